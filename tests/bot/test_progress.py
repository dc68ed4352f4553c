"""The status message only moves forward, through the whole stack: "Got it", then its
place in line while it waits (fewer ahead), then "Editing… 12 s" while it is made,
counted sparingly and with the Cancel button under it, never back to waiting."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot import texts
from bot.sending.status import elapsed_text
from state.models import Job, JobKind
from tests.bot import test_limits
from tests.bot.test_limits import HOLDING, _hold_an_edit, _release
from tests.conftest import Stack
from tests.processes import HeldDownloads

# The emulator with downloads a test can hold (a job mid-way), as test_limits has it.
bot_api, emulator, held = test_limits.bot_api, test_limits.emulator, test_limits.held


@pytest.fixture
def state_backend() -> dict[str, Any]:
    return {}  # the stage record is covered on both backends in test_status_stage


def _status_edits(stack: Stack, chat_id: int) -> list[dict[str, Any]]:
    edits = stack.emulator.calls_to("editMessageText")
    return [call.params for call in edits if call.params["chat_id"] == chat_id]


def _rank(text: str) -> int:
    """0: taken; 1: waiting; 2: being made."""
    if text == texts.text("status_accepted"):
        return 0
    return 1 if text.startswith("⏳") else 2


def test_the_seconds_are_said_plainly() -> None:
    job = Job(kind=JobKind.EDIT, prompt="night", chat_id=1, user_id=1, request_message_id=1)
    assert elapsed_text(job, 12.7) == "🎨 Editing… 12 s"
    assert elapsed_text(job, 65) == "🎨 Editing… 1 min 5 s"


# The first progress tick comes CHAT_ACTION_AFTER_S after the start: at 3 s the count shows.
@pytest.mark.parametrize("settings_overrides", [{"chat_action_after_s": 3.0} | HOLDING])
async def test_a_running_job_counts_its_seconds_with_its_cancel_button(
    stack: Stack, held: HeldDownloads
) -> None:
    await _hold_an_edit(stack, held, 6001)
    async with asyncio.timeout(30):
        while not _status_edits(stack, 6001):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    (edit,) = _status_edits(stack, 6001)
    assert re.fullmatch(r"🎨 Editing… [0-9]+ s", edit["text"])
    assert int(edit["text"].split()[-2]) >= 3
    (cancel,) = edit["reply_markup"]["inline_keyboard"][0]
    assert cancel["text"] == texts.text("button_cancel")
    await _release(stack, held)
    assert len(stack.emulator.calls_to("sendPhoto")) == 1
    assert len(_status_edits(stack, 6001)) == 1  # sparing: one count in four seconds


@pytest.mark.parametrize(
    "settings_overrides", [{"worker_concurrency": 1, "queue_edit_interval_s": 0.5} | HOLDING]
)
async def test_a_waiting_job_goes_from_its_place_in_line_to_being_made(
    stack: Stack, held: HeldDownloads
) -> None:
    await _hold_an_edit(stack, held, 6101)  # the only worker is busy with this
    user = stack.emulator.user(6102, "Ada")
    chat = stack.emulator.private_chat(user)
    await stack.post(stack.emulator.user_message(chat, user, text="/generate a fox"))
    waiting = texts.text("status_queued_next")
    async with asyncio.timeout(30):
        while waiting not in [e["text"] for e in _status_edits(stack, 6102)]:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await _release(stack, held)
    await asyncio.sleep(1.5)  # a waiting position would have been shown again by now
    (status,) = [c for c in stack.emulator.calls_to("sendMessage") if c.params["chat_id"] == 6102]
    shown = [status.params["text"], *(e["text"] for e in _status_edits(stack, 6102))]
    assert shown[0] == texts.text("status_accepted")
    ranks = [_rank(text) for text in shown]
    assert ranks == sorted(ranks)  # never back
    assert ranks[-1] == 2  # being made, then the photo
    assert all(e["reply_markup"] for e in _status_edits(stack, 6102))  # Cancel throughout
    assert len(stack.emulator.calls_to("sendPhoto")) == 2
