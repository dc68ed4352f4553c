"""Edit history through the emulator, on memory and on Redis: /undo walks back an edit
chain by file id with no new job (no provider call, nothing charged), the History button
lists the chain as an album, and /edit on an earlier version branches from it."""

from __future__ import annotations

from typing import Any

from bot import texts
from orchestrator.stats.counters import JOBS_ACCEPTED
from tests.conftest import Stack, png_bytes


def _last_photo(stack: Stack) -> tuple[int, str]:
    """The message id and file id of the bot's last photo."""
    result = stack.emulator.calls_to("sendPhoto")[-1].result
    return result["message_id"], result["photo"][-1]["file_id"]


async def _edit_chain(stack: Stack) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Ada sends a photo to edit, then edits the result: the three versions' file ids."""
    user = stack.emulator.user(1001, "Ada")
    chat = stack.emulator.private_chat(user)
    upload = stack.emulator.user_message(
        chat, user, photo=png_bytes((64, 48)), caption="/edit make it blue"
    )
    await stack.send(upload)
    original = upload["message"]["photo"][-1]["file_id"]
    blue_message, blue = _last_photo(stack)
    await stack.send(
        stack.emulator.user_message(
            chat, user, text="/edit add a hat", reply_to_message_id=blue_message
        )
    )
    return user, chat, [original, blue, _last_photo(stack)[1]]


async def _accepted(stack: Stack) -> int:
    return await stack.runtime.stats.counter(JOBS_ACCEPTED)


async def test_undo_walks_back_without_a_provider_call(stack: Stack) -> None:
    user, chat, (original, blue, _hat) = await _edit_chain(stack)
    assert await _accepted(stack) == 2
    photos = len(stack.emulator.calls_to("sendPhoto"))

    await stack.send(stack.emulator.user_message(chat, user, text="/undo"))
    again = stack.emulator.calls_to("sendPhoto")[-1]
    assert again.params["photo"] == blue  # sent again by its file id: nothing made
    assert again.params["caption"] == texts.text("undo_sent", instruction="make it blue")

    await stack.send(stack.emulator.user_message(chat, user, text="/undo"))
    again = stack.emulator.calls_to("sendPhoto")[-1]
    assert again.params["photo"] == original
    assert again.params["caption"] == texts.text("undo_sent_original")

    await stack.send(stack.emulator.user_message(chat, user, text="/undo"))
    assert stack.emulator.calls_to("sendMessage")[-1].params["text"] == texts.text("undo_nothing")
    assert len(stack.emulator.calls_to("sendPhoto")) == photos + 2
    assert await _accepted(stack) == 2  # no job, so no provider call and no charge


async def test_undo_as_a_reply_applies_to_that_image(stack: Stack) -> None:
    user, chat, (_original, blue, _hat) = await _edit_chain(stack)
    hat_message, _ = _last_photo(stack)
    await stack.send(
        stack.emulator.user_message(chat, user, text="/undo", reply_to_message_id=hat_message)
    )
    assert stack.emulator.calls_to("sendPhoto")[-1].params["photo"] == blue


async def test_history_button_lists_the_chain_and_edit_branches(stack: Stack) -> None:
    user, chat, (original, blue, hat) = await _edit_chain(stack)
    hat_message, _ = _last_photo(stack)
    keyboard = stack.emulator.get_message(chat["id"], hat_message)["reply_markup"]
    (history,) = [b for row in keyboard["inline_keyboard"] for b in row if b["text"] == "History"]
    press = stack.emulator.button_press(chat, user, hat_message, history["callback_data"])
    await stack.send(press)
    assert stack.emulator.callback_answered(press["callback_query"]["id"])
    (album,) = stack.emulator.calls_to("sendMediaGroup")
    assert [item["media"] for item in album.params["media"]] == [original, blue, hat]
    assert [item["caption"] for item in album.params["media"]] == [
        texts.text("history_original", number=1),
        texts.text("history_version", number=2, instruction="make it blue"),
        texts.text("history_version", number=3, instruction="add a hat"),
    ]

    # /edit on the blue version (its album copy) branches: its chain skips the hat.
    blue_copy = album.result[1]["message_id"]
    await stack.send(
        stack.emulator.user_message(
            chat, user, text="/edit add a scarf", reply_to_message_id=blue_copy
        )
    )
    _, scarf = _last_photo(stack)
    chain = await stack.runtime.edit_history.chain(scarf)
    assert [v.file_id for v in chain] == [original, blue, scarf]


async def test_a_generated_image_has_no_history_button(stack: Stack) -> None:
    user = stack.emulator.user(1001, "Ada")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
    message_id, _ = _last_photo(stack)
    keyboard = stack.emulator.get_message(chat["id"], message_id)["reply_markup"]
    assert all(b["text"] != "History" for row in keyboard["inline_keyboard"] for b in row)
