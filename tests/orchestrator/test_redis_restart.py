"""Redis restarted mid-run, configured as an operator should (append-only file on).

Paid jobs are in flight, some at a slow provider and some still in the queue, when
redis-server is stopped and, seconds later, started again on the same port and data
folder; the provider finishes while Redis is down, so the workers meet the outage just
before sending. Every accepted job must still end delivered exactly once (or failed with
its user told), charged once, the process up and ready again; an update that arrives
while Redis is down is not acknowledged (503) and goes through when Telegram re-sends it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import texts
from bot.frontend import TelegramFrontend
from devtools.emulator import BotApiEmulator
from orchestrator.app import create_app
from orchestrator.serving.server import serve_in_background
from state.models import Balance
from tests.conftest import Stack, make_settings
from tests.fakes.fixtures import FAST_RETRIES, REPLICATE_TOKEN
from tests.fakes.replicate import FakeReplicate
from tests.redis_server import RedisServer

PRICE = 100
JOBS = 5
WORKERS = 2  # fewer than the jobs: some wait in the queue through the restart
DOWN_S = 3.0
SETTLE_S = 20.0


@pytest.fixture
def persistent_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", persistent=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def restart_stack(
    emulator: tuple[BotApiEmulator, str],
    persistent_redis: RedisServer,
    fake_replicate: FakeReplicate,
) -> AsyncIterator[Stack]:
    bot_api, bot_api_url = emulator
    settings = make_settings(
        bot_api_url,
        redis_url=persistent_redis.url,
        payments_backend="fake",
        price_generate_sats=PRICE,
        generate_provider="replicate",
        replicate_api_token=REPLICATE_TOKEN,
        replicate_base_url=fake_replicate.base_url,
        worker_concurrency=WORKERS,
        **FAST_RETRIES | {"provider_poll_interval_s": 0.1},
    )
    app = create_app(settings, TelegramFrontend)
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        yield Stack(bot_api, app.state.runtime, url, http)


async def _until(condition: Callable[[], Awaitable[bool]], timeout_s: float = SETTLE_S) -> None:
    async with asyncio.timeout(timeout_s):
        while not await condition():  # noqa: ASYNC110 (conditions that need awaiting)
            await asyncio.sleep(0.05)


def _photos_for(stack: Stack, chat_id: int) -> list[Any]:
    return [c for c in stack.emulator.calls_to("sendPhoto") if c.params["chat_id"] == chat_id]


def _told_to(stack: Stack, chat_id: int) -> list[str]:
    said = stack.emulator.calls_to("sendMessage") + stack.emulator.calls_to("editMessageText")
    return [str(c.params["text"]) for c in said if c.ok and c.params["chat_id"] == chat_id]


async def test_a_redis_restart_mid_run_loses_and_doubles_nothing(
    restart_stack: Stack, persistent_redis: RedisServer, fake_replicate: FakeReplicate
) -> None:
    stack = restart_stack
    payments = stack.runtime.payments
    assert payments is not None
    people = [stack.emulator.user(7001 + i, f"P{i}") for i in range(JOBS + 1)]
    chats = [stack.emulator.private_chat(person) for person in people]
    for person in people:
        await payments.ledger.credit(person["id"], f"topup-{person['id']}", 2 * PRICE)
    updates = [
        stack.emulator.user_message(chat, person, text=f"/generate fox number {i}")
        for i, (person, chat) in enumerate(zip(people, chats, strict=True))
    ]

    fake_replicate.hang = True  # every prediction stays "processing" until released
    for update in updates[:JOBS]:
        assert (await stack.post(update)).status_code == 200

    async def all_in_flight() -> bool:  # WORKERS jobs at the provider, the rest queued
        at_provider = len(fake_replicate.creates())
        return at_provider == WORKERS and await stack.runtime.queue.pending() == JOBS

    await _until(all_in_flight)

    await asyncio.to_thread(persistent_redis.stop)
    # An update that comes while Redis is down is not acknowledged (503), so Telegram
    # sends it again later, and then it goes through like any other.
    assert (await stack.post(updates[JOBS])).status_code == 503
    fake_replicate.hang = False  # the jobs at the provider finish while Redis is down
    await asyncio.sleep(DOWN_S)
    await asyncio.to_thread(persistent_redis.start)

    async def resent_and_acknowledged() -> bool:
        return (await stack.post(updates[JOBS])).status_code == 200

    await _until(resent_and_acknowledged)

    async def settled() -> bool:
        try:
            await stack.runtime.wait_idle()
        except Exception:  # a Redis call that met the restart: look again
            return False
        return True

    await _until(settled)

    for person, chat in zip(people, chats, strict=True):
        photos = _photos_for(stack, chat["id"])
        told = _told_to(stack, chat["id"])
        balance = await payments.balance(person["id"])
        assert len(photos) <= 1, f"{person['first_name']} got {len(photos)} photos"
        if photos:
            assert balance == Balance(PRICE, 0), person  # charged once
        else:
            assert told[-1].endswith(texts.text("not_charged")), told
            assert balance == Balance(2 * PRICE, 0), person
    delivered = sum(len(_photos_for(stack, chat["id"])) for chat in chats)
    assert delivered == JOBS + 1  # a restart that keeps the queue loses nothing
    ready = await stack.http.get(f"{stack.url}/ready")
    assert ready.status_code == 200, ready.text
