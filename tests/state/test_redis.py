"""What only the Redis implementation promises: many processes, a visibility timeout,
one key prefix, and clear errors when Redis is down."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from state.errors import StateUnavailable
from state.models import InFlightCap, Job, JobKind, Limit, SentImage
from state.redis_connection import connect
from state.redis_keys import RedisKeys
from state.redis_queue import RedisJobQueue
from state.redis_store import RedisStateStore
from state.stats_redis import RedisStatsStore
from tests.redis_server import RedisServer, redis_server_binary
from tests.state.conftest import VISIBILITY_TIMEOUT_S, Backend, redis_backend


def _job(prompt: str = "a fox") -> Job:
    return Job(kind=JobKind.GENERATE, prompt=prompt, chat_id=1, user_id=1, request_message_id=1)


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Backend]:
    built = redis_backend(redis_server)
    await built.state.start()
    yield built
    await built.state.stop()


def test_the_server_binary_exists_and_runs() -> None:
    binary = redis_server_binary()
    assert os.access(binary, os.X_OK)


async def test_a_dead_workers_job_is_reclaimed_after_the_visibility_timeout(
    redis: Backend,
) -> None:
    other = redis.second_queue()
    await other.start()
    await redis.queue.enqueue(_job())
    taken = await redis.queue.claim(1)
    assert taken is not None
    assert await other.claim(0.1) is None  # still within the first claimer's time
    await asyncio.sleep(VISIBILITY_TIMEOUT_S + 0.1)
    retaken = await other.claim(0.1)
    assert retaken is not None
    assert retaken.id == taken.id
    assert await redis.queue.touch(taken.id) is False  # the stalled one cannot take it back
    await other.ack(retaken.id)
    assert await redis.queue.pending() == 0


async def test_touching_a_job_keeps_it_from_other_workers(redis: Backend) -> None:
    other = redis.second_queue()
    await redis.queue.enqueue(_job())
    taken = await redis.queue.claim(1)
    assert taken is not None
    deadline = time.monotonic() + VISIBILITY_TIMEOUT_S * 3
    while time.monotonic() < deadline:
        assert await redis.queue.touch(taken.id)
        assert await other.claim(VISIBILITY_TIMEOUT_S / 3) is None
    await redis.queue.ack(taken.id)


async def test_every_key_lives_under_the_prefix(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        client = connect(server.url)
        keys = RedisKeys("bot-a:")
        store = RedisStateStore(client, keys)
        queue = RedisJobQueue(client, keys, 30)
        await store.start()
        await queue.start()
        await store.first_sighting("update:1", 60)
        await store.take_mark("delivery:1", "attempt", 60)
        await store.save_job(_job())
        await store.admit("t", [Limit("user", "user:1", 5, 60)], InFlightCap(10, 60))
        await RedisStatsStore(client, keys).count("jobs_delivered", 1, dt.date(2026, 1, 2))
        await store.set_user_settings(1, {"seed": "4"})
        await store.remember_sent_image(
            SentImage(chat_id=1, message_id=2, job_id="j", file_id="f"), 60
        )
        await queue.enqueue(_job())
        written = [key async for key in client.scan_iter("*")]
        # The counter: its total and its day; the waiting job: its tier's ring and age, its
        # user's line, the jobs and where-they-wait hashes, the wake list.
        assert len(written) == 16
        assert all(key.startswith("bot-a:") for key in written), written
        await store.stop()
    finally:
        server.stop()


async def test_redis_down_ping_is_false_and_operations_raise_state_unavailable(
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path)
    server.start()
    client = connect(server.url)
    store = RedisStateStore(client, RedisKeys("down:"))
    await store.start()
    assert await store.ping() is True
    server.stop()
    started = time.monotonic()
    assert await store.ping() is False
    with pytest.raises(StateUnavailable) as raised:
        await store.first_sighting("update:1", 60)
    assert server.url not in str(raised.value)
    with pytest.raises(StateUnavailable):
        await store.take_mark("update:1", "request", 60)
    with pytest.raises(StateUnavailable):
        await RedisJobQueue(client, RedisKeys("down:"), 30).enqueue(_job())
    assert time.monotonic() - started < 5
    await store.stop()
    await store.stop()


async def test_start_fails_clearly_when_redis_is_not_there(tmp_path: Path) -> None:
    unused = RedisServer(tmp_path)  # never started: nothing listens on its port
    store = RedisStateStore(connect(unused.url), RedisKeys("x:"))
    with pytest.raises(StateUnavailable):
        await store.start()
    await store.stop()


async def test_a_stopping_consumer_hands_back_only_what_nobody_took_up(redis: Backend) -> None:
    assert isinstance(redis.store, RedisStateStore)
    client, keys = redis.store.client, RedisKeys(redis.prefix)

    def process() -> RedisJobQueue:  # long visibility: nothing is reclaimed meanwhile
        return RedisJobQueue(client, keys, 30)

    stopping, other, next_one = process(), process(), process()
    for queue in (stopping, other, next_one):
        await queue.start()
    kept, lost, elsewhere = _job("kept"), _job("lost"), _job("elsewhere")
    for job in (kept, lost, elsewhere):
        await stopping.enqueue(job)
    taken = await stopping.claim(1)
    assert taken is not None
    assert taken.id == kept.id  # claimed, and still being worked on
    # Handed to the stopping consumer by Redis, its answer never read (a cancelled claim).
    assert await stopping._pick_entry() is not None
    taken = await other.claim(1)
    assert taken is not None
    assert taken.id == elsewhere.id

    await stopping.stop()

    back = await next_one.claim(0.1)
    assert back is not None
    assert back.id == lost.id
    assert await next_one.claim(0.1) is None  # the other two are still held
    assert await other.touch(elsewhere.id) is True
    held = await client.xpending_range(
        keys.job_stream, keys.WORKERS_GROUP, "-", "+", 10, consumername=stopping.consumer
    )
    assert len(held) == 1  # "kept": pending under the stopped consumer, not dropped
    await other.ack(elsewhere.id)
    await next_one.ack(lost.id)
