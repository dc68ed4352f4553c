"""Redis answers lost or late at the worst moments, through a proxy on the link.

Lost right after a mark was taken: the mark's SET reached Redis, its reply did not (the
connection dropped), so the caller asks again. It must learn that it holds the mark: the
worker delivers rather than take the delivery mark for another worker's and leave the
job to time out, and the webhook handles the update rather than take it for a repeat (or
answer 503 and then, when Telegram sends it again, drop it as a repeat).

Late while a worker stops: Redis has handed the worker a job (it is pending under that
worker) but the answer is still on its way. A stopping worker that gave up on the claim
would leave the job to wait out the visibility timeout; the job must go back to the
queue, so the next worker starts it at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bot.frontend import TelegramFrontend
from devtools.emulator import BotApiEmulator
from orchestrator.app import create_app
from orchestrator.serving.server import serve_in_background
from orchestrator.settings import Settings
from tests.conftest import Stack, make_settings, redis_settings
from tests.redis_proxy import RedisLink
from tests.redis_server import RedisServer


@pytest.fixture
async def link(redis_server: RedisServer) -> AsyncIterator[RedisLink]:
    async with RedisLink(redis_server.port).serving() as proxy:
        yield proxy


@pytest.fixture
async def lossy_stack(
    emulator: tuple[BotApiEmulator, str], link: RedisLink, redis_server: RedisServer
) -> AsyncIterator[Stack]:
    bot_api, bot_api_url = emulator
    settings = make_settings(
        bot_api_url,
        **redis_settings(redis_server) | {"redis_url": link.url, "job_visibility_timeout_s": 30},
    )
    app = create_app(settings, TelegramFrontend)
    async with serve_in_background(app) as url, httpx.AsyncClient(timeout=10) as http:
        yield Stack(bot_api, app.state.runtime, url, http)


async def test_a_lost_answer_to_the_delivery_mark_still_delivers_once(
    lossy_stack: Stack, link: RedisLink
) -> None:
    stack = lossy_stack
    link.lose_reply_to(b":delivery:")
    user = stack.emulator.user(7001, "Ada")
    chat = stack.emulator.private_chat(user)
    await stack.post(stack.emulator.user_message(chat, user, text="/generate a fox"))
    async with asyncio.timeout(15):
        await stack.runtime.wait_idle()
    assert len(link.dropped) == 1, "the fault was not injected"
    photos = stack.emulator.calls_to("sendPhoto")
    assert [call.params["chat_id"] for call in photos] == [7001]
    assert await stack.runtime.stats.counter("jobs_delivered") == 1
    assert await stack.runtime.stats.counter("jobs_failed") == 0
    assert await stack.runtime.store.in_flight() == 0


async def test_a_lost_answer_to_the_update_mark_still_handles_the_update(
    lossy_stack: Stack, link: RedisLink
) -> None:
    stack = lossy_stack
    link.lose_reply_to(b":update:")
    user = stack.emulator.user(7002, "Ada")
    chat = stack.emulator.private_chat(user)
    update = stack.emulator.user_message(chat, user, text="/generate a fox")
    response = await stack.post(update)
    assert response.status_code == 200  # handled in this request: a re-send would be dropped
    async with asyncio.timeout(15):
        await stack.runtime.wait_idle()
    assert len(link.dropped) == 1, "the fault was not injected"
    photos = stack.emulator.calls_to("sendPhoto")
    assert [call.params["chat_id"] for call in photos] == [7002]
    assert await stack.runtime.stats.counter("jobs_accepted") == 1


async def test_a_job_handed_to_a_stopping_worker_goes_back_at_once(
    lossy_stack: Stack, link: RedisLink, redis_server: RedisServer
) -> None:
    stack = lossy_stack
    # The claim's answer (it carries the job), held past the stop whatever the machine's load.
    link.delay_reply_with(b"a late fox", 30)
    user = stack.emulator.user(7003, "Ada")
    chat = stack.emulator.private_chat(user)
    await stack.post(stack.emulator.user_message(chat, user, text="/generate a late fox"))
    await asyncio.wait_for(link.holding.wait(), 10)
    await stack.runtime.stop()  # while Redis's answer is still on its way
    assert stack.emulator.calls_to("sendPhoto") == []

    # The next worker, well within the first one's 30 s visibility timeout.
    direct: Settings = stack.runtime.settings.model_copy(
        update={"redis_url": SecretStr(redis_server.url)}
    )
    async with serve_in_background(create_app(direct, TelegramFrontend)):
        photo = await stack.emulator.wait_for_call("sendPhoto", timeout=10)
    assert photo.params["chat_id"] == 7003
    assert len(stack.emulator.calls_to("sendPhoto")) == 1
