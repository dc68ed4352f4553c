"""Rate limits, the cap on jobs in flight and queue positions, through the whole stack
(memory and Redis alike): webhook → handlers → state → worker → Bot API emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import texts
from devtools.emulator import BotApiEmulator
from orchestrator.serving.server import serve_in_background
from tests.conftest import BOT_TOKEN, BOT_USERNAME, Stack, png_bytes
from tests.processes import HeldDownloads

ADMIN_ID = 42  # make_settings makes 42 an admin


@pytest.fixture
def bot_api() -> BotApiEmulator:
    return BotApiEmulator(BOT_TOKEN, bot_username=BOT_USERNAME)


@pytest.fixture
def held(bot_api: BotApiEmulator) -> HeldDownloads:
    return HeldDownloads(bot_api.app)


@pytest.fixture
async def emulator(
    bot_api: BotApiEmulator, held: HeldDownloads
) -> AsyncIterator[tuple[BotApiEmulator, str]]:
    """The Bot API emulator, with file downloads that a test can hold (a job mid-way)."""
    async with serve_in_background(held) as url:
        yield bot_api, url
        held.release.set()


def _texts_to(stack: Stack, chat_id: int) -> list[str]:
    return [
        call.params["text"]
        for call in stack.emulator.calls_to("sendMessage")
        if call.params["chat_id"] == chat_id
    ]


def _prefix(key: str) -> str:
    return texts.text(key, seconds=999).split("999")[0]


async def _generate(stack: Stack, user_id: int, chat: dict[str, Any] | None = None) -> None:
    user = stack.emulator.user(user_id, "Ada")
    chat = chat or stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/generate a fox"))


async def test_the_sixth_request_in_a_minute_is_told_when_to_retry(stack: Stack) -> None:
    for _ in range(6):
        await _generate(stack, 1001)
    assert len(stack.emulator.calls_to("sendPhoto")) == 5
    last = _texts_to(stack, 1001)[-1]
    assert last.startswith(_prefix("rate_limited_user"))
    seconds = int(last.removeprefix(_prefix("rate_limited_user")).split()[0])
    assert 1 <= seconds <= 60
    await _generate(stack, 1002)  # someone else is not affected
    assert len(stack.emulator.calls_to("sendPhoto")) == 6
    today = dt.datetime.now(dt.UTC).date()
    assert await stack.runtime.stats.counter("requests_rate_limited", today) == 1


async def test_admins_are_exempt(stack: Stack) -> None:
    for _ in range(7):
        await _generate(stack, ADMIN_ID)
    assert len(stack.emulator.calls_to("sendPhoto")) == 7


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_chat_per_minute": 3}])
async def test_a_group_has_its_own_limit(stack: Stack) -> None:
    group = stack.emulator.group_chat(-100777, "Painters")
    for user_id in (2001, 2002, 2003, 2004):
        await _generate(stack, user_id, group)
    assert len(stack.emulator.calls_to("sendPhoto")) == 3
    assert _texts_to(stack, -100777)[-1].startswith(_prefix("rate_limited_chat"))


# A held download must outlast the test's waiting, not the Bot API read timeout (5 s by
# default): on a loaded machine the held job used to time out first and free the worker.
HOLDING = {"telegram_read_timeout_s": 60}


async def _hold_an_edit(stack: Stack, held: HeldDownloads, user_id: int) -> None:
    """Post an /edit whose worker then waits on the input download, until released."""
    user = stack.emulator.user(user_id, "Ada")
    chat = stack.emulator.private_chat(user)
    photo = stack.emulator.user_message(chat, user, photo=png_bytes())
    held.hold = True
    await stack.post(
        stack.emulator.user_message(
            chat, user, text="/edit blue", reply_to_message_id=photo["message"]["message_id"]
        )
    )
    await asyncio.wait_for(held.started.wait(), 10)


async def _release(stack: Stack, held: HeldDownloads) -> None:
    held.hold = False
    held.release.set()
    await stack.runtime.wait_idle()


@pytest.mark.parametrize("settings_overrides", [{"max_concurrent_jobs": 1} | HOLDING])
async def test_the_cap_on_jobs_in_flight_says_busy(stack: Stack, held: HeldDownloads) -> None:
    await _hold_an_edit(stack, held, 3001)
    user = stack.emulator.user(3002, "Ada")
    chat = stack.emulator.private_chat(user)
    await stack.post(stack.emulator.user_message(chat, user, text="/generate a fox"))
    await stack.runtime.updates.wait_idle()  # the edit is still running: only the update
    assert _texts_to(stack, 3002) == [texts.text("rate_limited_busy", seconds=20)]
    await _release(stack, held)
    await _generate(stack, 3002)  # the slot came back when the edit was delivered
    assert len(stack.emulator.calls_to("sendPhoto")) == 2


@pytest.mark.parametrize(
    "settings_overrides", [{"worker_concurrency": 1, "queue_edit_interval_s": 0.5} | HOLDING]
)
async def test_a_waiting_job_shows_its_place_in_the_queue(
    stack: Stack, held: HeldDownloads
) -> None:
    await _hold_an_edit(stack, held, 4001)  # the only worker is busy with this
    waiting = [4002, 4003]
    for user_id in waiting:
        user = stack.emulator.user(user_id, "Ada")
        chat = stack.emulator.private_chat(user)
        await stack.post(stack.emulator.user_message(chat, user, text="/generate a fox"))
        # Queued in this order: updates from different chats are handled concurrently, and
        # on a loaded machine the second could otherwise be queued first.
        await stack.runtime.updates.wait_idle()
    expected = {
        4002: texts.text("status_queued_next"),
        4003: texts.text("status_queued", ahead=1),
    }

    def shown(chat_id: int) -> list[str]:
        return [
            call.params["text"]
            for call in stack.emulator.calls_to("editMessageText")
            if call.params["chat_id"] == chat_id
        ]

    # First shown after FIRST_SHOW_AFTER_S + a poll (about 3 s); the budget is generous
    # because a loaded CI machine once took over 10 s here.
    async with asyncio.timeout(30):
        while any(expected[c] not in shown(c) for c in waiting):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await _release(stack, held)
    photos = stack.emulator.calls_to("sendPhoto")
    assert sorted(call.params["chat_id"] for call in photos) == [4001, 4002, 4003]
    # Once running, the job says so again (the status message is deleted on delivery).
    edits = shown(4003)
    assert texts.text("status_generating") in edits[edits.index(expected[4003]) :]
    assert len(shown(4003)) <= 3  # sparing: a position change or two, then "generating"


# A deadline of a few seconds: the held job must be claimed within it, and a loaded
# machine may take a second or more to admit it and send its status message.
@pytest.mark.parametrize(
    "settings_overrides", [{"worker_concurrency": 1, "job_deadline_s": 3} | HOLDING]
)
async def test_a_job_left_waiting_past_its_deadline_is_failed_and_reported(
    stack: Stack, held: HeldDownloads
) -> None:
    await _hold_an_edit(stack, held, 5001)
    user = stack.emulator.user(5002, "Ada")
    chat = stack.emulator.private_chat(user)
    await stack.post(stack.emulator.user_message(chat, user, text="/generate a fox"))
    await stack.runtime.updates.wait_idle()
    await asyncio.sleep(3.2)  # the only worker is busy past the waiting job's deadline
    await _release(stack, held)
    photos = stack.emulator.calls_to("sendPhoto")
    assert [call.params["chat_id"] for call in photos] == [5001]
    edits = [c for c in stack.emulator.calls_to("editMessageText") if c.params["chat_id"] == 5002]
    # Its queue position may have been shown while it waited; the last word is the failure.
    assert edits[-1].params["text"] == texts.text("failed_internal")
    assert await stack.runtime.store.in_flight() == 0
    assert await stack.runtime.stats.counter("jobs_failed") == 1
    assert await stack.runtime.stats.counter("jobs_delivered") == 1
    assert await stack.runtime.stats.counter("jobs_accepted") == 2


@pytest.mark.parametrize(
    "settings_overrides", [{"worker_concurrency": 1, "queue_edit_interval_s": 0.5} | HOLDING]
)
async def test_a_waiting_job_is_told_its_wait_once_a_service_time_is_measured(
    stack: Stack, held: HeldDownloads
) -> None:
    await _generate(stack, 4101)  # one provider call measured
    await _hold_an_edit(stack, held, 4102)
    user = stack.emulator.user(4103, "Ada")
    await stack.post(
        stack.emulator.user_message(stack.emulator.private_chat(user), user, text="/generate a fox")
    )
    await stack.runtime.updates.wait_idle()
    # The placeholder answers at once: one running job and a fraction of a second of
    # service make the shortest wait there is to say.
    expected = texts.text("status_queued_next_eta", wait=texts.wait(0.1))
    assert expected == "⏳ You're next in line, about 5 s."

    def shown() -> list[str]:
        edits = stack.emulator.calls_to("editMessageText")
        return [call.params["text"] for call in edits if call.params["chat_id"] == 4103]

    async with asyncio.timeout(30):
        while expected not in shown():  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await _release(stack, held)
    assert texts.text("status_queued_next") not in shown()  # never without the estimate
