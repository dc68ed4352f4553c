"""``/models`` and ``/settings`` buttons: a user's defaults, kept in the state store and
used by their next requests (which may still name their own)."""

from __future__ import annotations

from typing import Any

from bot import texts
from tests.bot.hosted import extra_settings, settings_overrides  # noqa: F401 (fixtures)
from tests.conftest import Stack
from tests.fakes.replicate import FakeReplicate


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


async def _press(stack: Stack, chat: dict[str, Any], user: dict[str, Any], data: str) -> str:
    message = stack.emulator.calls_to("sendMessage")[-1]
    message_id = message.result["message_id"]
    update = stack.emulator.button_press(chat, user, message_id, data)
    await stack.send(update)
    query_id = update["callback_query"]["id"]
    (answer,) = [
        call
        for call in stack.emulator.calls_to("answerCallbackQuery")
        if call.params["callback_query_id"] == query_id
    ]
    return str(answer.params.get("text", ""))


def _model_paths(fake: FakeReplicate) -> list[str]:
    return [r.path.removeprefix("/v1/models/") for r in fake.log.to("POST")]


async def test_a_default_model_from_models_is_used_until_a_request_names_another(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/models"))
    note = await _press(stack, chat, user, "m:flux-schnell")
    assert note == texts.text("model_default_set", name="flux-schnell", kind="generate")

    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
    await stack.send(
        stack.emulator.user_message(chat, user, text="/generate a fox --model flux-pro")
    )
    assert _model_paths(fake_replicate) == [
        "black-forest-labs/flux-schnell/predictions",
        "black-forest-labs/flux-1.1-pro/predictions",
    ]
    await stack.send(stack.emulator.user_message(chat, user, text="/models"))
    listed = str(stack.emulator.calls_to("sendMessage")[-1].params["text"])
    assert "★ flux-schnell:" in listed
    assert "• flux-dev:" in listed


async def test_settings_buttons_change_the_next_requests(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/settings"))
    first = str(stack.emulator.calls_to("sendMessage")[-1].params["text"])
    assert "Shape: 1:1" in first
    assert await _press(stack, chat, user, "s:ar:16:9") == texts.text("settings_saved")
    assert await _press(stack, chat, user, "s:n:2") == texts.text("settings_saved")
    (redrawn, *_) = stack.emulator.calls_to("editMessageText")
    assert "Shape: 16:9" in str(redrawn.params["text"])

    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a cat --ar 1:1"))
    first_create, second_create = fake_replicate.creates()
    assert (first_create["input"]["aspect_ratio"], first_create["input"]["num_outputs"]) == (
        "16:9",
        2,
    )
    assert second_create["input"]["aspect_ratio"] == "1:1"


async def test_in_a_group_only_the_asker_changes_what_their_settings_show(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    bob = stack.emulator.user(1002, "Bob", language_code="en")
    group = stack.emulator.group_chat(-5001, "Foxes")
    await stack.send(stack.emulator.user_message(group, ada, text="/settings"))

    assert await _press(stack, group, bob, "s:ar:16:9") == texts.text("settings_foreign")
    assert stack.emulator.calls_to("editMessageText") == []  # Ada's settings still shown
    assert await _press(stack, group, ada, "s:ar:4:3") == texts.text("settings_saved")
    (redrawn,) = stack.emulator.calls_to("editMessageText")
    assert "Shape: 4:3" in str(redrawn.params["text"])

    await stack.send(stack.emulator.user_message(group, bob, text="/generate a fox"))
    await stack.send(stack.emulator.user_message(group, ada, text="/generate a cat"))
    by_bob, by_ada = fake_replicate.creates()
    assert (by_bob["input"]["aspect_ratio"], by_ada["input"]["aspect_ratio"]) == ("1:1", "4:3")
