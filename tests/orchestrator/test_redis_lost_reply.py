"""A Redis answer lost at the worst moments: right after a mark was taken.

The mark's SET reached Redis, its reply did not (the connection dropped), so the caller
asks again. It must learn that it holds the mark: the worker delivers rather than take
the delivery mark for another worker's and leave the job to time out, and the webhook
handles the update rather than take it for a repeat (or answer 503 and then, when
Telegram sends it again, drop it as a repeat).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.frontend import TelegramFrontend
from orchestrator.app import create_app
from orchestrator.emulator import BotApiEmulator
from orchestrator.serving import serve_in_background
from tests.conftest import Stack, make_settings, redis_settings
from tests.redis_proxy import ReplyDropper
from tests.redis_server import RedisServer


@pytest.fixture
async def dropper(redis_server: RedisServer) -> AsyncIterator[ReplyDropper]:
    async with ReplyDropper(redis_server.port).serving() as proxy:
        yield proxy


@pytest.fixture
async def lossy_stack(
    emulator: tuple[BotApiEmulator, str], dropper: ReplyDropper, redis_server: RedisServer
) -> AsyncIterator[Stack]:
    bot_api, bot_api_url = emulator
    settings = make_settings(
        bot_api_url, **redis_settings(redis_server) | {"redis_url": dropper.url}
    )
    app = create_app(settings, TelegramFrontend)
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        yield Stack(bot_api, app.state.runtime, url, http)


async def test_a_lost_answer_to_the_delivery_mark_still_delivers_once(
    lossy_stack: Stack, dropper: ReplyDropper
) -> None:
    stack = lossy_stack
    dropper.arm(b":delivery:")
    user = stack.emulator.user(7001, "Ada")
    chat = stack.emulator.private_chat(user)
    await stack.post(stack.emulator.user_message(chat, user, text="/generate a fox"))
    async with asyncio.timeout(15):
        await stack.runtime.wait_idle()
    assert len(dropper.dropped) == 1, "the fault was not injected"
    photos = stack.emulator.calls_to("sendPhoto")
    assert [call.params["chat_id"] for call in photos] == [7001]
    assert await stack.runtime.store.get_counter("jobs_delivered") == 1
    assert await stack.runtime.store.get_counter("jobs_failed") == 0
    assert await stack.runtime.store.in_flight() == 0


async def test_a_lost_answer_to_the_update_mark_still_handles_the_update(
    lossy_stack: Stack, dropper: ReplyDropper
) -> None:
    stack = lossy_stack
    dropper.arm(b":update:")
    user = stack.emulator.user(7002, "Ada")
    chat = stack.emulator.private_chat(user)
    update = stack.emulator.user_message(chat, user, text="/generate a fox")
    response = await stack.post(update)
    if response.status_code != 200:  # not acknowledged: Telegram sends it again
        response = await stack.post(update)
    assert response.status_code == 200
    async with asyncio.timeout(15):
        await stack.runtime.wait_idle()
    assert len(dropper.dropped) == 1, "the fault was not injected"
    photos = stack.emulator.calls_to("sendPhoto")
    assert [call.params["chat_id"] for call in photos] == [7002]
    assert await stack.runtime.store.get_counter("jobs_accepted") == 1
