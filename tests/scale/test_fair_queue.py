"""The fair queue across processes: two web processes take a flood, a light user's job and
a turbo user's; two worker processes then share one order of picks."""

from __future__ import annotations

import asyncio

import httpx

from tests.processes import post_update
from tests.scale.conftest import Cluster

FLOODER, LIGHT, TURBO = 9001, 9002, 9003
FLOOD = 20


async def test_a_light_users_job_starts_before_a_flooders_backlog(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    settings = {
        "RATE_LIMIT_PER_MINUTE": "0",
        "MAX_CONCURRENT_JOBS": "1000",
        "TURBO_USER_IDS": str(TURBO),
        "WORKER_CONCURRENCY": "1",
    }
    web_a, web_b = await asyncio.gather(
        cluster.start("web-a", "serve", **settings), cluster.start("web-b", "serve", **settings)
    )
    emulator = cluster.emulator

    async def send(user_id: int, text: str, web_index: int) -> None:
        user = emulator.user(user_id, f"User{user_id}")
        update = emulator.user_message(emulator.private_chat(user), user, text=text)
        assert await post_update(http, (web_a, web_b)[web_index % 2], update) == 200

    for i in range(FLOOD):  # the flood is queued first, through both web processes
        await send(FLOODER, f"/generate flood {i}", i)
    await send(LIGHT, "/generate light", 0)
    await send(TURBO, "/generate turbo", 1)
    queued = FLOOD + 2
    async with asyncio.timeout(30):  # every job queued (its status message sent)
        while len(emulator.calls_to("sendMessage")) < queued:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    await asyncio.gather(
        cluster.start("worker-a", "worker", **settings),
        cluster.start("worker-b", "worker", **settings),
    )
    async with asyncio.timeout(90):
        while len(emulator.calls_to("sendPhoto")) < queued:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    order = [call.params["chat_id"] for call in emulator.calls_to("sendPhoto")]
    assert sorted(order) == sorted([FLOODER] * FLOOD + [LIGHT, TURBO])
    # Picks: turbo, then the relax users by turns (the flooder's first, the light user's);
    # two workers may finish their first jobs in either order.
    assert order.index(TURBO) <= 1
    assert order.index(LIGHT) <= 3, order
