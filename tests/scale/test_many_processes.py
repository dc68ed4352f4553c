"""Many real ``fulmine serve`` and ``fulmine worker`` processes on one real Redis, the Bot
API emulator in this process: every job delivered exactly once, whatever happens."""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter
from typing import Any

import httpx

from bot import texts
from state.stats_redis import RedisStatsStore
from tests.conftest import png_bytes
from tests.processes import Fulmine, post_update
from tests.scale.conftest import Cluster

JOBS = 200
USERS = 50  # four requests each: under the default limit of five a minute


async def _photos_settle(cluster: Cluster, expected: int, timeout_s: float = 90) -> None:
    async with asyncio.timeout(timeout_s):
        while len(cluster.emulator.calls_to("sendPhoto")) < expected:  # noqa: ASYNC110 - counting calls in another server
            await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # a second photo for any job would arrive by now


def _job_ids(web: Fulmine) -> list[str]:
    return [entry["job_id"] for entry in web.events() if entry.get("event") == "job_accepted"]


async def test_two_serves_two_workers_deliver_every_job_exactly_once(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    settings = {"MAX_CONCURRENT_JOBS": "1000"}
    web_a, web_b, worker_a, worker_b = await asyncio.gather(
        cluster.start("web-a", "serve", **settings),
        cluster.start("web-b", "serve", **settings),
        cluster.start("worker-a", "worker", **settings),
        cluster.start("worker-b", "worker", **settings),
    )
    emulator = cluster.emulator
    updates = []
    for i in range(JOBS):
        user = emulator.user(5000 + i % USERS, f"User{i % USERS}")
        updates.append(
            emulator.user_message(emulator.private_chat(user), user, text=f"/generate scene {i}")
        )
    posts: list[tuple[Fulmine, dict[str, Any]]] = []
    for i, update in enumerate(updates):
        first, second = (web_a, web_b) if i % 2 else (web_b, web_a)
        posts.append((first, update))
        if i % 4 == 0:  # Telegram re-sends it; this time a load balancer picks the other
            posts.append((second, update))
    random.Random(4).shuffle(posts)
    gate = asyncio.Semaphore(16)

    async def post(server: Fulmine, update: dict[str, Any]) -> int:
        async with gate:
            return await post_update(http, server, update)

    codes = await asyncio.gather(*(post(server, update) for server, update in posts))
    assert set(codes) == {200}

    await _photos_settle(cluster, JOBS)
    async with asyncio.timeout(20):  # each worker logs a job after it has settled it
        while sum(w.logged("job_delivered") for w in (worker_a, worker_b)) < JOBS:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    photos = emulator.calls_to("sendPhoto")
    answered = Counter(
        (call.params["chat_id"], call.params["reply_parameters"]["message_id"]) for call in photos
    )
    asked = {(u["message"]["chat"]["id"], u["message"]["message_id"]) for u in updates}
    assert set(answered) == asked
    assert max(answered.values()) == 1, "a job was delivered twice"
    assert web_a.logged("duplicate_update") + web_b.logged("duplicate_update") == JOBS // 4
    assert len(_job_ids(web_a)) + len(_job_ids(web_b)) == JOBS
    delivered = [worker.logged("job_delivered") for worker in (worker_a, worker_b)]
    assert sum(delivered) == JOBS
    assert min(delivered) > 0, "one worker did all the work"
    assert web_a.logged("job_delivered") == web_b.logged("job_delivered") == 0
    store = cluster.store()
    await store.start()
    assert await RedisStatsStore(store.client, store.keys).counter("jobs_delivered") == JOBS
    assert await store.in_flight() == 0
    await store.stop()


async def _edit_held_mid_job(cluster: Cluster, http: httpx.AsyncClient, web: Fulmine) -> None:
    """Post an /edit and return once a worker is downloading its input (held there)."""
    emulator = cluster.emulator
    user = emulator.user(6001, "Ada")
    chat = emulator.private_chat(user)
    photo = emulator.user_message(chat, user, photo=png_bytes((64, 48), "blue"))
    edit = emulator.user_message(
        chat, user, text="/edit make it night", reply_to_message_id=photo["message"]["message_id"]
    )
    cluster.held.hold = True
    assert await post_update(http, web, edit) == 200
    await asyncio.wait_for(cluster.held.started.wait(), 20)


def _release(cluster: Cluster) -> None:
    cluster.held.hold = False
    cluster.held.release.set()


async def test_a_worker_killed_mid_job_is_reclaimed_and_delivered_once(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    # Short enough to reclaim soon, long enough that the rescuer's own touches (every
    # third of it) keep the job through a stalled second on a loaded machine.
    fast = {"JOB_VISIBILITY_TIMEOUT_S": "3"}
    web, doomed = await asyncio.gather(
        cluster.start("web", "serve", **fast), cluster.start("doomed", "worker", **fast)
    )
    await _edit_held_mid_job(cluster, http, web)
    doomed.signal(signal.SIGKILL)
    assert await doomed.wait() == -signal.SIGKILL
    _release(cluster)
    rescuer = await cluster.start("rescuer", "worker", **fast)

    photo = await cluster.emulator.wait_for_call("sendPhoto", timeout=20)
    await _photos_settle(cluster, 1)
    assert len(cluster.emulator.calls_to("sendPhoto")) == 1
    assert photo.params["caption"] == "make it night"
    await rescuer.wait_logged("job_delivered")
    store = cluster.store()
    await store.start()
    (job_id,) = _job_ids(web)
    job = await store.get_job(job_id)
    assert job is not None
    assert (job.status, job.attempts) == ("delivered", 2)
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.created_at <= job.started_at <= job.finished_at
    await store.stop()


async def test_sigterm_hands_a_running_job_back_at_once_and_loses_nothing(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    # The visibility timeout is long: only a hand-back explains a quick second delivery.
    settings = {"JOB_VISIBILITY_TIMEOUT_S": "120", "SHUTDOWN_GRACE_S": "0.5"}
    web, leaving = await asyncio.gather(
        cluster.start("web", "serve", **settings), cluster.start("leaving", "worker", **settings)
    )
    await _edit_held_mid_job(cluster, http, web)
    leaving.signal(signal.SIGTERM)
    assert await leaving.wait() == 0
    assert leaving.logged("job_requeued") == 1
    assert cluster.emulator.calls_to("sendPhoto") == []
    _release(cluster)
    staying = await cluster.start("staying", "worker", **settings)
    await cluster.emulator.wait_for_call("sendPhoto", timeout=15)
    await _photos_settle(cluster, 1)
    assert len(cluster.emulator.calls_to("sendPhoto")) == 1
    await staying.wait_logged("job_delivered")


async def test_sigterm_lets_a_running_job_finish_within_the_grace_period(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    settings = {"SHUTDOWN_GRACE_S": "20"}
    web, leaving = await asyncio.gather(
        cluster.start("web", "serve", **settings), cluster.start("leaving", "worker", **settings)
    )
    await _edit_held_mid_job(cluster, http, web)
    leaving.signal(signal.SIGTERM)
    await asyncio.sleep(0.5)
    _release(cluster)
    assert await leaving.wait() == 0
    assert leaving.logged("job_delivered") == 1
    assert len(cluster.emulator.calls_to("sendPhoto")) == 1


async def test_rate_limits_hold_across_two_processes(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    # No workers: every admitted job stays in flight, so the global cap is exercised too.
    settings = {"MAX_CONCURRENT_JOBS": "8", "ADMIN_USER_IDS": "42"}
    web_a, web_b = await asyncio.gather(
        cluster.start("web-a", "serve", **settings), cluster.start("web-b", "serve", **settings)
    )
    emulator = cluster.emulator
    accepted = texts.text("status_accepted")

    async def burst(user_ids: list[int]) -> list[str]:
        updates = []
        for user_id in user_ids:
            user = emulator.user(user_id, "Eve")
            updates.append(emulator.user_message(emulator.private_chat(user), user, text="/gen x"))
        servers = [web_a, web_b]
        codes = await asyncio.gather(
            *(post_update(http, servers[i % 2], u) for i, u in enumerate(updates))
        )
        assert set(codes) == {200}
        chats = set(user_ids)
        async with asyncio.timeout(20):
            while True:
                answers = [
                    c.params["text"]
                    for c in emulator.calls_to("sendMessage")
                    if c.params["chat_id"] in chats
                ]
                if len(answers) >= len(user_ids):
                    return answers
                await asyncio.sleep(0.05)

    one_user = await burst([7001] * 20)
    assert one_user.count(accepted) == 5
    too_fast = texts.text("rate_limited_user", seconds=999).split("999")[0]
    assert sum(answer.startswith(too_fast) for answer in one_user) == 15

    others = await burst(list(range(7100, 7110)))  # 5 in flight already; room for 3 more
    assert others.count(accepted) == 3
    busy = texts.text("rate_limited_busy", seconds=999).split("999")[0]
    assert sum(answer.startswith(busy) for answer in others) == 7

    admin = await burst([42] * 7)  # admins pass every limit
    assert admin.count(accepted) == 7
    store = cluster.store()
    await store.start()
    assert await store.in_flight() == 8 + 7
    await store.stop()


async def test_serve_with_worker_runs_jobs_itself_on_redis(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    both = await cluster.start("both", "serve", "--with-worker")
    emulator = cluster.emulator
    user = emulator.user(8001, "Ada")
    update = emulator.user_message(emulator.private_chat(user), user, text="/generate a boat")
    assert await post_update(http, both, update) == 200
    photo = await emulator.wait_for_call("sendPhoto", timeout=20)
    assert photo.params["caption"] == "a boat"
    await both.wait_logged("job_delivered")
