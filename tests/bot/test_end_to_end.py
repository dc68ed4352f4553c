"""The whole path: webhook → python-telegram-bot → job → placeholder → sendPhoto,
with the real client talking to the Bot API emulator over HTTP."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot import texts
from tests.conftest import BOT_USERNAME, Stack, png_bytes


def _user(stack: Stack, user_id: int = 1001) -> dict[str, Any]:
    return stack.emulator.user(user_id, "Ada", language_code="en")


def _methods(stack: Stack) -> list[str]:
    return [call.method for call in stack.emulator.calls if call.method != "getMe"]


def _photo_of(stack: Stack, call_index: int = -1) -> Image.Image:
    call = stack.emulator.calls_to("sendPhoto")[call_index]
    (data,) = call.files.values()
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("settings_overrides", [{"chat_action_after_s": 0}])
async def test_private_generate_sends_photo_as_reply_with_caption(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    update = stack.emulator.user_message(chat, user, text="/generate a red fox")
    response = await stack.send(update)

    assert response.status_code == 200
    (photo,) = stack.emulator.calls_to("sendPhoto")
    request_id = update["message"]["message_id"]
    assert photo.params["chat_id"] == chat["id"]
    assert photo.params["reply_parameters"]["message_id"] == request_id
    assert photo.params["caption"] == "a red fox"
    assert _photo_of(stack).size == (768, 768)

    (status,) = stack.emulator.calls_to("sendMessage")
    assert status.params["text"] == texts.text("status_accepted")
    (deleted,) = stack.emulator.calls_to("deleteMessage")
    assert deleted.params["message_id"] == status.result["message_id"]
    actions = stack.emulator.calls_to("sendChatAction")
    assert actions
    assert actions[0].params["action"] == "upload_photo"


# A loaded machine can stretch a fast job past the default second before a chat action.
@pytest.mark.parametrize("settings_overrides", [{"chat_action_after_s": 5}])
async def test_a_fast_job_needs_no_chat_action(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a quick one"))
    assert len(stack.emulator.calls_to("sendPhoto")) == 1
    assert stack.emulator.calls_to("sendChatAction") == []  # the status message was enough


@pytest.mark.parametrize("alias", ["gen", "imagine"])
async def test_generate_aliases(stack: Stack, alias: str) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text=f"/{alias} a boat"))
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "a boat"


async def test_group_generate_addressed_to_the_bot(stack: Stack) -> None:
    user = _user(stack)
    group = stack.emulator.group_chat(-100500, "Painters")
    update = stack.emulator.user_message(
        group, user, text=f"/generate@{BOT_USERNAME} a lighthouse at dusk"
    )
    await stack.send(update)

    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["chat_id"] == -100500
    assert photo.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    # In a group the result names who asked (a mention of them), then the prompt.
    assert photo.params["caption"] == texts.text(
        "result_caption_group", name="Ada", prompt="a lighthouse at dusk"
    )
    (mention,) = photo.params["caption_entities"]
    assert (mention["type"], mention["user"]["id"]) == ("text_mention", user["id"])


async def test_group_command_for_another_bot_is_ignored(stack: Stack) -> None:
    user = _user(stack)
    group = stack.emulator.group_chat(-100501, "Painters")
    await stack.send(stack.emulator.user_message(group, user, text="/generate@other_bot a cat"))
    assert _methods(stack) == []


async def _bot_photo_message(stack: Stack, chat: dict[str, Any], user: dict[str, Any]) -> int:
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a tree"))
    return int(stack.emulator.calls_to("sendPhoto")[-1].result["message_id"])


async def test_edit_as_reply_to_a_photo(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    original = png_bytes((320, 200), "blue")
    photo_update = stack.emulator.user_message(chat, user, photo=original)
    await stack.send(photo_update)
    edit = stack.emulator.user_message(
        chat,
        user,
        text="/edit make it night",
        reply_to_message_id=photo_update["message"]["message_id"],
    )
    await stack.send(edit)

    assert stack.emulator.calls_to("getFile")
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "make it night"
    assert photo.params["reply_parameters"]["message_id"] == edit["message"]["message_id"]
    edited = _photo_of(stack)
    assert edited.size == (320, 200)
    assert edited.convert("RGB").getpixel((300, 190)) != (0, 0, 255)
    asked, status = stack.emulator.calls_to("sendMessage")  # the photo alone was asked about
    assert asked.params["text"] == texts.text("ask_edit")
    assert status.params["text"] == texts.text("status_accepted")


async def test_edit_as_reply_to_the_bots_own_photo(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    photo_message_id = await _bot_photo_message(stack, chat, user)
    await stack.send(
        stack.emulator.user_message(
            chat, user, text="/edit add snow", reply_to_message_id=photo_message_id
        )
    )
    photos = stack.emulator.calls_to("sendPhoto")
    assert len(photos) == 2
    assert photos[1].params["caption"] == "add snow"


async def test_edit_as_reply_to_an_image_document(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    doc_update = stack.emulator.user_message(
        chat, user, document=(png_bytes((100, 80)), "cat.png", "image/png")
    )
    await stack.send(doc_update)
    await stack.send(
        stack.emulator.user_message(
            chat,
            user,
            text="/edit make it green",
            reply_to_message_id=doc_update["message"]["message_id"],
        )
    )
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == "make it green"
    assert _photo_of(stack).size == (100, 80)


async def test_edit_as_the_caption_of_a_photo(stack: Stack) -> None:
    user = _user(stack)
    group = stack.emulator.group_chat(-100502, "Editors")
    update = stack.emulator.user_message(
        group, user, photo=png_bytes((200, 150)), caption=f"/edit@{BOT_USERNAME} add a hat"
    )
    await stack.send(update)
    (photo,) = stack.emulator.calls_to("sendPhoto")
    assert photo.params["caption"] == texts.text(
        "result_caption_group", name="Ada", prompt="add a hat"
    )
    assert photo.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert _photo_of(stack).size == (200, 150)


async def test_edit_as_reply_to_a_text_message_explains(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    text_update = stack.emulator.user_message(chat, user, text="just words")
    await stack.send(text_update)
    stack.emulator.calls.clear()
    await stack.send(
        stack.emulator.user_message(
            chat,
            user,
            text="/edit make it blue",
            reply_to_message_id=text_update["message"]["message_id"],
        )
    )
    assert _methods(stack) == ["sendMessage"]
    assert stack.emulator.calls_to("sendMessage")[0].params["text"] == texts.text(
        "edit_needs_image"
    )


async def test_edit_of_an_unsupported_file_explains(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    doc = stack.emulator.user_message(
        chat, user, document=(b"%PDF-1.4 not an image", "paper.pdf", "application/pdf")
    )
    await stack.send(doc)
    stack.emulator.calls.clear()
    await stack.send(
        stack.emulator.user_message(
            chat, user, text="/edit colour it", reply_to_message_id=doc["message"]["message_id"]
        )
    )
    assert _methods(stack) == ["sendMessage"]
    assert stack.emulator.calls_to("sendMessage")[0].params["text"] == texts.text(
        "unsupported_file", mime_type="application/pdf"
    )


async def test_edit_of_an_image_document_pillow_cannot_open(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    doc = stack.emulator.user_message(
        chat, user, document=(b"\x89PNG\r\n\x1a\n broken", "broken.png", "image/png")
    )
    await stack.send(doc)
    await stack.send(
        stack.emulator.user_message(
            chat, user, text="/edit fix it", reply_to_message_id=doc["message"]["message_id"]
        )
    )
    assert stack.emulator.calls_to("sendPhoto") == []
    (edit,) = stack.emulator.calls_to("editMessageText")
    assert edit.params["text"] == texts.text("failed_input")


@pytest.mark.parametrize(
    ("text", "expected_key", "fields"),
    [
        ("/generate", "ask_prompt", {}),
        ("/generate    ", "ask_prompt", {}),
        ("/generate --seed 7", "generate_usage", {}),
        ("/edit", "edit_needs_image", {}),
        ("/generate " + "x" * 501, "prompt_too_long", {"length": 501, "max_chars": 500}),
    ],
)
async def test_bad_input_gets_a_short_answer_and_nothing_else(
    stack: Stack, text: str, expected_key: str, fields: dict[str, Any]
) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    update = stack.emulator.user_message(chat, user, text=text)
    await stack.send(update)
    assert _methods(stack) == ["sendMessage"]
    assert stack.emulator.calls_to("sendMessage")[0].params["text"] == texts.text(
        expected_key, **fields
    )
    assert await stack.runtime.queue.pending() == 0


async def test_start_and_help(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/start"))
    await stack.send(stack.emulator.user_message(chat, user, text="/help"))
    start, help_ = (call.params["text"] for call in stack.emulator.calls_to("sendMessage"))
    assert start == texts.text("start", name="Ada")
    assert help_ == texts.text("help", max_chars=500)
    assert "/generate" in help_
    assert "/edit" in help_


@pytest.mark.parametrize("settings_overrides", [{"max_prompt_chars": 3000}])
async def test_long_prompt_caption_is_cut_to_telegram_limit(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    prompt = "a very long prompt " * 100
    await stack.send(stack.emulator.user_message(chat, user, text=f"/generate {prompt}"))
    (photo,) = stack.emulator.calls_to("sendPhoto")
    caption = photo.params["caption"]
    assert len(caption) == 1024
    assert caption.endswith("…")
    assert prompt.startswith(caption[:-1])


async def test_duplicate_update_is_processed_once(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    update = stack.emulator.user_message(chat, user, text="/generate twice?")
    first = await stack.post(update)
    second = await stack.post(update)
    await stack.runtime.wait_idle()
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(stack.emulator.calls_to("sendPhoto")) == 1


@pytest.mark.parametrize("secret", [None, "wrong-secret", ""])
async def test_wrong_or_missing_secret_is_refused(stack: Stack, secret: str | None) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    response = await stack.post(
        stack.emulator.user_message(chat, user, text="/generate sneaky"), secret=secret
    )
    await stack.runtime.wait_idle()
    assert response.status_code == 403
    assert _methods(stack) == []


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'"text"', b'{"update_id": "7"}', b"\xff\xfe", b""]
)
async def test_malformed_bodies_are_rejected_without_5xx(stack: Stack, body: bytes) -> None:
    response = await stack.post(body)
    await stack.runtime.wait_idle()
    assert response.status_code == 400
    assert _methods(stack) == []


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 900001, "some_future_kind": {"id": 1}},
        {"update_id": 900002, "poll": {"id": "p", "question": "q"}},
        {"update_id": 900003, "message": "not an object"},
        {"update_id": 900004},
    ],
)
async def test_unknown_or_odd_update_kinds_are_acknowledged_and_dropped(
    stack: Stack, update: dict[str, Any]
) -> None:
    response = await stack.send(update)
    assert response.status_code == 200
    assert _methods(stack) == []


async def test_edited_message_never_starts_a_job(stack: Stack) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    update = stack.emulator.user_message(chat, user, text="/generate a cat")
    update["edited_message"] = update.pop("message")
    update["edited_message"]["edit_date"] = update["edited_message"]["date"] + 5
    await stack.send(update)
    assert _methods(stack) == []


async def test_health(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.url}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
