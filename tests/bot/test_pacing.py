"""A burst of jobs against the emulator enforcing Telegram's sending limits: the shared
pace keeps every call under them (no 429), in memory and on Redis, and every job is
delivered."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.sending.flood import OVERALL_BURST, SharedPaceLimiter
from devtools.emulator import BotApiEmulator
from devtools.emulator.limits import SendingLimits, counted
from orchestrator.serving.server import serve_in_background
from state.pacing_memory import MemorySendPacer
from tests.conftest import BOT_TOKEN, BOT_USERNAME, Stack

PRIVATE_CHATS = 10
HELPS_PER_CHAT = 3  # answered at once: a burst past Telegram's limits unless paced
GROUP_MEMBERS = 3


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[BotApiEmulator, str]]:
    limited = BotApiEmulator(BOT_TOKEN, bot_username=BOT_USERNAME, limits=SendingLimits())
    async with serve_in_background(limited.app) as url:
        yield limited, url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Telegram's published rates (the shared test settings leave chats unpaced)."""
    return {"telegram_chat_messages_per_s": 1, "telegram_group_messages_per_min": 20}


def burst(emulator: BotApiEmulator) -> list[dict[str, Any]]:
    """From private chats and one group's members: /help a few times and one /generate."""
    updates = []
    senders = [(emulator.user(7000 + i, f"P{i}"), None) for i in range(PRIVATE_CHATS)]
    group = emulator.group_chat()
    senders += [(emulator.user(7100 + n, f"G{n}"), group) for n in range(GROUP_MEMBERS)]
    for user, chat in senders:
        where = chat if chat is not None else emulator.private_chat(user)
        texts = ["/help"] * HELPS_PER_CHAT + ["/generate a fox"]
        updates += [emulator.user_message(where, user, text=text) for text in texts]
    return updates


async def test_a_burst_is_delivered_without_a_429(stack: Stack) -> None:
    updates = burst(stack.emulator)
    responses = await asyncio.gather(*(stack.post(update) for update in updates))
    assert {response.status_code for response in responses} == {200}
    await stack.runtime.wait_idle()

    limits = stack.emulator.limits
    assert limits is not None
    assert limits.refused == 0
    photos = stack.emulator.calls_to("sendPhoto")
    assert len(photos) == PRIVATE_CHATS + GROUP_MEMBERS
    assert all(call.ok for call in photos)
    sent = Counter(
        call.params["chat_id"]
        for call in stack.emulator.calls
        if call.ok and counted(call.method, call.params.get("chat_id"))
    )
    # The burst is past Telegram's limits: more than its overall burst, and more than its
    # burst per chat in every chat, so the pace was needed.
    assert sum(sent.values()) > 30
    assert min(sent.values()) > 3


async def test_a_call_waiting_for_its_chat_holds_no_other_chat_back() -> None:
    limiter = SharedPaceLimiter(
        MemorySendPacer(), max_retries=0, per_s=30, chat_per_s=1, group_per_min=20
    )
    started = time.monotonic()
    sent: list[tuple[int, float]] = []

    async def call(chat_id: int) -> bool:
        async def send() -> bool:
            sent.append((chat_id, time.monotonic() - started))
            return True

        return await limiter.process_request(
            send, (), {}, "sendMessage", {"chat_id": chat_id}, None
        )

    busy = [asyncio.create_task(call(1)) for _ in range(3)]
    await asyncio.sleep(0.05)  # the busy chat's calls are waiting for its slots
    await call(2)
    await asyncio.gather(*busy)
    other = next(at for chat, at in sent if chat == 2)
    assert other < 0.5
    busy_at = sorted(at for chat, at in sent if chat == 1)
    assert busy_at[1] - busy_at[0] > 0.9  # one a second in one chat
    assert busy_at[2] - busy_at[1] > 0.9


def test_what_is_paced() -> None:
    limiter = SharedPaceLimiter(
        MemorySendPacer(), max_retries=0, per_s=30, chat_per_s=1, group_per_min=20
    )
    assert [b.key for b in limiter.buckets("sendPhoto", 5)] == ["all", "chat:5"]
    assert [b.key for b in limiter.buckets("editMessageText", -100)] == [
        "all",
        "chat:-100",
        "group:-100",
    ]
    assert limiter.buckets("sendChatAction", 5) == []  # chat actions have their own budget
    assert limiter.buckets("getMe", None) == []
    assert limiter.buckets("answerCallbackQuery", None) == []
    unpaced = SharedPaceLimiter(
        MemorySendPacer(), max_retries=0, per_s=0, chat_per_s=0, group_per_min=0
    )
    assert unpaced.buckets("sendMessage", -100) == []


async def test_calls_woken_late_by_a_stalled_loop_do_not_go_out_at_once() -> None:
    limiter = SharedPaceLimiter(
        MemorySendPacer(), max_retries=0, per_s=10, chat_per_s=0, group_per_min=0
    )
    sent: list[float] = []

    async def send() -> bool:
        sent.append(time.monotonic())
        return True

    calls = [
        asyncio.create_task(
            limiter.process_request(send, (), {}, "sendMessage", {"chat_id": i}, None)
        )
        for i in range(20)
    ]
    await asyncio.sleep(0.01)  # every call has its slot: 5 at once, then one per 0.1 s
    time.sleep(1.0)  # noqa: ASYNC251 - the stall under test: the whole event loop blocked
    stalled_until = time.monotonic()
    await asyncio.gather(*calls)
    after = sorted(at for at in sent if at >= stalled_until)
    # Ten slots passed during the stall: without new slots those ten would go at once.
    most_at_once = max(sum(1 for t in after if s <= t < s + 0.05) for s in after)
    assert most_at_once <= OVERALL_BURST
    assert len(sent) == 20
