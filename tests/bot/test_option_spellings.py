"""Options read the same wherever a prompt is typed, through the emulator: a command, a
plain-text prompt, an edit's caption and an inline query each answer a misspelt or
unknown option with the same message, and nothing is made."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from bot.intake.options import ASPECT_RATIOS
from bot.results.inline import PROBLEM_RESULT
from orchestrator.stats.counters import JOBS_ACCEPTED
from tests.conftest import Stack, png_bytes

BAD_AR = texts.text("option_bad_ar", value="17:9", allowed=", ".join(ASPECT_RATIOS))
UNKNOWN = texts.text("option_unknown", option="--style")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"telegram_inline": True}


@pytest.fixture
def state_backend() -> dict[str, Any]:
    return {}  # parsing does not touch state


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


async def _answer_to(stack: Stack, text: str) -> str:
    user, chat = _ada(stack)
    before = len(stack.emulator.calls_to("sendMessage"))
    await stack.send(stack.emulator.user_message(chat, user, text=text))
    answers = stack.emulator.calls_to("sendMessage")[before:]
    assert len(answers) == 1, [a.params["text"] for a in answers]
    return str(answers[0].params["text"])


@pytest.mark.parametrize(
    "text",
    [
        "/generate a fox --ar 17:9",
        "/generate a fox --ar17:9",
        "/generate a fox \u2014ar 17:9",  # a phone's "--"
        "/generate a fox \u2013AR 17:9",
        "/generate a fox -ar=17:9",
        "a fox \u2014ar 17:9",  # a plain-text prompt
        "a fox --AR17:9",
    ],
)
async def test_every_spelling_is_refused_with_the_same_message(stack: Stack, text: str) -> None:
    assert await _answer_to(stack, text) == BAD_AR
    assert await stack.runtime.stats.counter(JOBS_ACCEPTED) == 0


@pytest.mark.parametrize("text", ["/generate a fox -style anime", "a fox \u2014style anime"])
async def test_an_unknown_option_is_refused_by_name(stack: Stack, text: str) -> None:
    assert await _answer_to(stack, text) == UNKNOWN
    assert stack.emulator.calls_to("sendPhoto") == []


async def test_a_phones_dash_and_a_glued_value_are_understood(stack: Stack) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="a fox \u2014ar16:9 -n 2"))
    (album,) = stack.emulator.calls_to("sendMediaGroup")
    assert album.params["media"][0]["caption"] == "a fox"  # no option left in the prompt
    assert len(album.params["media"]) == 2


async def test_an_edit_caption_is_read_the_same_way(stack: Stack) -> None:
    user, chat = _ada(stack)
    update = stack.emulator.user_message(
        chat, user, caption="/edit night \u2014N 9", photo=png_bytes()
    )
    await stack.send(update)
    (answer,) = stack.emulator.calls_to("sendMessage")
    assert answer.params["text"] == texts.text("option_bad_n", value="9", max=4)


async def test_an_inline_query_shows_the_same_message(stack: Stack) -> None:
    user, _ = _ada(stack)
    update = stack.emulator.inline_query(user, "a fox \u2014ar 17:9", chat_type="group")
    await stack.send(update)
    query_id = update["inline_query"]["id"]
    results = stack.emulator.inline_answer(query_id)
    assert results is not None
    (problem,) = results
    assert problem["id"] == PROBLEM_RESULT
    assert problem["description"] == BAD_AR
    await stack.send(stack.emulator.choose_inline_result(query_id, PROBLEM_RESULT))
    assert await stack.runtime.stats.counter(JOBS_ACCEPTED) == 0
