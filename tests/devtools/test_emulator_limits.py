"""The emulator's limit mode: Telegram's sending limits, 429 with ``retry_after`` past
them, calls that do not count left alone; and the least time a burst's shape allows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from devtools.emulator import BotApiEmulator
from devtools.emulator.limits import OVERALL, PER_CHAT, PER_GROUP, SendingLimits, minimum_seconds
from orchestrator.serving.server import serve_in_background
from tests.conftest import BOT_TOKEN


@pytest.fixture
async def limited() -> AsyncIterator[tuple[BotApiEmulator, httpx.AsyncClient]]:
    emulator = BotApiEmulator(BOT_TOKEN, limits=SendingLimits())
    async with (
        serve_in_background(emulator.app) as url,
        httpx.AsyncClient(base_url=f"{url}/bot{BOT_TOKEN}/", timeout=10) as http,
    ):
        yield emulator, http


async def _send(http: httpx.AsyncClient, chat_id: int, method: str = "sendMessage") -> int:
    params = {"chat_id": chat_id, "text": "hi"}
    if method == "sendChatAction":
        params = {"chat_id": chat_id, "action": "typing"}
    response = await http.post(method, json=params)
    if response.status_code == 429:
        body = response.json()
        assert body["parameters"]["retry_after"] >= 1
        assert body["description"].startswith("Too Many Requests: retry after")
    return response.status_code


async def test_a_private_chat_takes_a_short_burst_then_429(
    limited: tuple[BotApiEmulator, httpx.AsyncClient],
) -> None:
    emulator, http = limited
    user = emulator.user(1, "Ann")
    chat = emulator.private_chat(user)
    codes = [await _send(http, chat["id"]) for _ in range(PER_CHAT.capacity + 1)]
    assert codes == [200] * PER_CHAT.capacity + [429]
    assert emulator.limits is not None
    assert emulator.limits.refused == 1
    assert len(emulator.messages(chat["id"])) == PER_CHAT.capacity  # the refused one not sent
    # Chat actions and other chats are not held back.
    assert await _send(http, chat["id"], "sendChatAction") == 200
    assert await _send(http, emulator.private_chat(emulator.user(2, "Bob"))["id"]) == 200


async def test_a_group_takes_twenty_a_minute(
    limited: tuple[BotApiEmulator, httpx.AsyncClient],
) -> None:
    emulator, http = limited
    assert emulator.limits is not None
    emulator.limits.per_chat = PER_GROUP  # the group's own limit, alone
    group = emulator.group_chat()
    codes = [await _send(http, group["id"]) for _ in range(PER_GROUP.capacity + 1)]
    assert codes == [200] * PER_GROUP.capacity + [429]


async def test_the_bot_takes_thirty_a_second_in_all(
    limited: tuple[BotApiEmulator, httpx.AsyncClient],
) -> None:
    emulator, http = limited
    chats = [emulator.private_chat(emulator.user(100 + i, f"U{i}")) for i in range(80)]
    started = time.monotonic()
    codes = await asyncio.gather(*(_send(http, chat["id"]) for chat in chats))
    refilled = (time.monotonic() - started) * OVERALL.per_s
    assert codes.count(200) <= OVERALL.capacity + refilled + 1
    assert codes.count(429) > 0
    assert sum(len(emulator.messages(chat["id"])) for chat in chats) == codes.count(200)


async def test_off_by_default() -> None:
    emulator = BotApiEmulator(BOT_TOKEN)
    async with (
        serve_in_background(emulator.app) as url,
        httpx.AsyncClient(base_url=f"{url}/bot{BOT_TOKEN}/", timeout=10) as http,
    ):
        chat = emulator.private_chat(emulator.user(1, "Ann"))
        assert [await _send(http, chat["id"]) for _ in range(10)] == [200] * 10


def test_the_least_time_a_burst_allows() -> None:
    # 100 messages to 100 chats: the overall bucket's 30 at once, 70 at 30 a second.
    assert minimum_seconds(dict.fromkeys(range(1, 101), 1)) == pytest.approx(70 / 30)
    # One chat with 8: three at once, then one a second.
    assert minimum_seconds({1: 8}) == pytest.approx(5.0)
    # A group with 40: its own bucket (20 at once, then one per 3 s) is the slowest; with
    # 26 the chat's (3 at once, then one a second) is.
    assert minimum_seconds({-100: 40}) == pytest.approx(60.0)
    assert minimum_seconds({-100: 26}) == pytest.approx(23.0)
    assert minimum_seconds({}) == 0.0
