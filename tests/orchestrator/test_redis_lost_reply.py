"""A Redis answer lost at the worst moment: right after a job's delivery mark was taken.

The mark's SET reached Redis, its reply did not (the connection dropped), so the worker
asks again. It must learn that it holds the mark, and deliver, rather than take the
mark for another worker's and leave the job to time out.
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
