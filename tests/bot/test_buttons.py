"""Regenerate and Variations under a result: each press is a request of its own, through
the same path as a typed command. Runs with state in memory and on Redis."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from bot import texts
from bot.frontend import TelegramFrontend
from bot.results.buttons import VARIATION_STRENGTH
from devtools.emulator import BotApiEmulator
from orchestrator.app import create_app
from orchestrator.serving.server import serve_in_background
from tests.bot.hosted import extra_settings, settings_overrides  # noqa: F401 (fixtures)
from tests.conftest import Stack, make_settings
from tests.fakes.fal import FakeFal
from tests.fakes.fixtures import hosted_settings
from tests.fakes.images import png
from tests.fakes.replicate import FakeReplicate


def _buttons(stack: Stack, method: str = "sendPhoto") -> tuple[int, str, str]:
    """The message carrying the last result's buttons, and their data."""
    call = stack.emulator.calls_to(method)[-1]
    row, (upscale, original, details) = call.params["reply_markup"]["inline_keyboard"]
    assert details["callback_data"].startswith("i:")  # tests/bot/test_details.py
    assert upscale["callback_data"].startswith("u:")  # tests/bot/test_upscale.py
    assert original["callback_data"].startswith("o:")  # tests/bot/test_provenance.py
    regenerate, variations = (button["callback_data"] for button in row)
    return call.result["message_id"], regenerate, variations


async def _press(
    stack: Stack, chat: dict[str, Any], user: dict[str, Any], message_id: int, data: str
) -> str:
    update = stack.emulator.button_press(chat, user, message_id, data)
    await stack.send(update)
    query_id = update["callback_query"]["id"]
    assert stack.emulator.callback_answered(query_id)
    (answer,) = [
        call
        for call in stack.emulator.calls_to("answerCallbackQuery")
        if call.params["callback_query_id"] == query_id
    ]
    return str(answer.params.get("text", ""))


async def test_regenerate_is_the_same_request_with_a_new_seed(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    await stack.send(
        stack.emulator.user_message(chat, ada, text="/generate a fox --ar 16:9 --seed 42")
    )
    result_id, regenerate, _ = _buttons(stack)
    assert await _press(stack, chat, ada, result_id, regenerate) == ""

    first, second = (create["input"] for create in fake_replicate.creates())
    assert second["seed"] != 42
    assert {**second, "seed": 42} == first
    photos = stack.emulator.calls_to("sendPhoto")
    assert len(photos) == 2
    assert photos[1].params["caption"] == "a fox"
    assert photos[1].params["reply_parameters"]["message_id"] == result_id


async def test_variations_are_image_to_image_from_the_image_that_was_sent(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_replicate.outputs = lambda prediction, index: png((64, 64), "salmon")
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a fox --ar 16:9"))
    result_id, _, variations = _buttons(stack)
    await _press(stack, chat, ada, result_id, variations)

    first, varied = fake_replicate.creates()
    assert fake_fal.submits() == []  # not an edit whose instruction is the prompt
    assert varied["input"]["prompt"] == "a fox"
    assert varied["input"]["prompt_strength"] == VARIATION_STRENGTH
    assert varied["input"]["aspect_ratio"] == "16:9"
    assert varied["input"]["seed"] != first["input"]["seed"]
    (sent,) = stack.emulator.calls_to("sendPhoto")[0].files.values()
    assert base64.b64decode(varied["input"]["image"].partition(",")[2]) == sent
    assert len(stack.emulator.calls_to("sendPhoto")) == 2


async def test_an_albums_buttons_work_from_their_own_message(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate two foxes --n 2"))
    buttons = stack.emulator.calls_to("sendMessage")[-1]
    ((regenerate, _details), *_) = buttons.params["reply_markup"]["inline_keyboard"]
    await _press(stack, chat, ada, buttons.result["message_id"], regenerate["callback_data"])
    assert [c["input"]["num_outputs"] for c in fake_replicate.creates()] == [2, 2]
    assert len(stack.emulator.calls_to("sendMediaGroup")) == 2


async def test_each_album_image_has_its_own_buttons(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    fake_replicate.outputs = lambda prediction, index: png((64, 64), ("red", "blue")[int(index)])
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate two tiles --n 2"))
    (album,) = stack.emulator.calls_to("sendMediaGroup")
    buttons = stack.emulator.calls_to("sendMessage")[-1]
    _, first, second = buttons.params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in second] == [
        texts.text(f"button_{name}_n", n=2) for name in ("upscale", "variations", "edit")
    ]
    message_id = buttons.result["message_id"]

    # Variations of image 2: made from image 2, not image 1.
    await _press(stack, chat, ada, message_id, second[1]["callback_data"])
    _, varied = fake_replicate.creates()
    second_sent = album.result[1]["photo"][-1]["file_id"]
    assert base64.b64decode(varied["input"]["image"].partition(",")[2]) == (
        stack.emulator.file_bytes(second_sent)
    )

    # Edit image 1: asked what to change; the answer edits image 1.
    await _press(stack, chat, ada, message_id, first[2]["callback_data"])
    ask = stack.emulator.calls_to("sendMessage")[-1]
    assert ask.params["text"] == texts.text("ask_edit")
    await stack.send(
        stack.emulator.user_message(
            chat, ada, text="make it night", reply_to_message_id=ask.result["message_id"]
        )
    )
    (edit,) = fake_fal.submits()
    assert edit["prompt"] == "make it night"
    first_sent = album.result[0]["photo"][-1]["file_id"]
    assert base64.b64decode(edit["image_urls"][0].partition(",")[2]) == (
        stack.emulator.file_bytes(first_sent)
    )


async def test_someone_elses_button_is_answered_and_starts_nothing(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    bob = stack.emulator.user(1002, "Bob", language_code="en")
    group = stack.emulator.group_chat(-100900, "Painters")
    await stack.send(stack.emulator.user_message(group, ada, text="/generate a fox"))
    result_id, regenerate, variations = _buttons(stack)
    for data in (regenerate, variations):
        assert await _press(stack, group, bob, result_id, data) == texts.text("button_foreign")
    assert len(fake_replicate.creates()) == 1
    assert len(stack.emulator.calls_to("sendPhoto")) == 1


@pytest.mark.parametrize("extra_settings", [{"rate_limit_per_minute": 1}])
async def test_a_rate_limited_press_gets_the_buttons_pop_up(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a fox"))
    messages_before = len(stack.emulator.calls_to("sendMessage"))
    result_id, regenerate, _ = _buttons(stack)
    pop_up = await _press(stack, chat, ada, result_id, regenerate)
    assert len(fake_replicate.creates()) == 1
    assert pop_up in {texts.text("rate_limited_user", seconds=s) for s in range(1, 61)}
    assert len(stack.emulator.calls_to("sendMessage")) == messages_before  # nothing posted


async def test_try_again_under_a_failure_runs_the_same_request_with_a_new_seed(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.final_error = "NSFW content detected"
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a fox --n 2"))
    (failure,) = stack.emulator.calls_to("editMessageText")
    assert failure.params["text"] == texts.text("failed_refused")
    ((retry,),) = failure.params["reply_markup"]["inline_keyboard"]

    fake_replicate.final_error = None
    assert (
        await _press(stack, chat, ada, failure.params["message_id"], retry["callback_data"]) == ""
    )
    first, again = fake_replicate.creates()
    assert again["input"]["prompt"] == "a fox"
    assert again["input"]["num_outputs"] == 2
    assert again["input"]["seed"] != first["input"]["seed"]
    assert stack.emulator.calls_to("sendMediaGroup")


async def test_a_button_whose_job_is_forgotten_has_expired(
    stack: Stack,
    emulator: tuple[BotApiEmulator, str],
    fake_replicate: FakeReplicate,
    fake_fal: FakeFal,
) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(ada)
    await stack.send(stack.emulator.user_message(chat, ada, text="/generate a fox"))
    result_id, regenerate, _ = _buttons(stack)

    # Another orchestrator with empty state (a restart without Redis) gets the press.
    bot_api, bot_api_url = emulator
    settings = make_settings(bot_api_url, **hosted_settings(fake_replicate, fake_fal))
    app = create_app(settings, TelegramFrontend)
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        fresh = Stack(bot_api, app.state.runtime, url, http)
        assert await _press(fresh, chat, ada, result_id, regenerate) == texts.text("button_expired")
    assert len(fake_replicate.creates()) == 1
    assert len(stack.emulator.calls_to("sendPhoto")) == 1
