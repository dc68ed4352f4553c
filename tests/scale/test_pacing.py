"""Two real processes, ``fulmine serve`` and ``fulmine worker``, on one Redis, both
sending to the same chats: their one shared pace keeps a burst under Telegram's limits
(the emulator in limit mode answers no 429)."""

from __future__ import annotations

import asyncio

import httpx

from devtools.emulator.limits import SendingLimits
from tests.bot.test_pacing import GROUP_MEMBERS, PRIVATE_CHATS, burst
from tests.processes import post_update
from tests.scale.conftest import Cluster


async def test_two_processes_share_one_pace(cluster: Cluster, http: httpx.AsyncClient) -> None:
    cluster.emulator.limits = SendingLimits()
    telegram = {
        "FRONTENDS": "telegram",
        "TELEGRAM_CHAT_MESSAGES_PER_S": "1",  # Telegram's published rates
        "TELEGRAM_GROUP_MESSAGES_PER_MIN": "20",
    }
    web, worker = await asyncio.gather(
        cluster.start("web", "serve", **telegram), cluster.start("worker", "worker", **telegram)
    )
    updates = burst(cluster.emulator)
    codes = await asyncio.gather(*(post_update(http, web, update) for update in updates))
    assert set(codes) == {200}
    jobs = PRIVATE_CHATS + GROUP_MEMBERS
    async with asyncio.timeout(90):
        while len(cluster.emulator.calls_to("sendPhoto")) < jobs:  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # anything still sending arrives by now

    assert cluster.emulator.limits.refused == 0
    assert all(call.ok for call in cluster.emulator.calls_to("sendPhoto"))
    assert worker.logged("job_delivered") == jobs  # the worker sent the photos, the serve the rest
    assert web.logged("job_delivered") == 0
