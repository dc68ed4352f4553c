"""The state store and job queue, built both ways: in memory and on a real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from state.base import JobQueue, StateStore
from state.memory import MemoryJobQueue, MemoryStateStore
from state.redis_connection import connect
from state.redis_keys import RedisKeys
from state.redis_queue import RedisJobQueue
from state.redis_store import RedisStateStore
from tests.redis_server import RedisServer

VISIBILITY_TIMEOUT_S = 0.5


@dataclass
class Backend:
    name: str
    store: StateStore
    queue: JobQueue
    prefix: str = ""

    def second_queue(self) -> JobQueue:
        """Another process's queue on the same state (Redis only)."""
        assert isinstance(self.store, RedisStateStore)
        return RedisJobQueue(self.store.client, RedisKeys(self.prefix), VISIBILITY_TIMEOUT_S)


def redis_backend(server: RedisServer) -> Backend:
    prefix = f"contract-{uuid.uuid4().hex[:12]}:"
    client = connect(server.url)
    keys = RedisKeys(prefix)
    store = RedisStateStore(client, keys)
    return Backend("redis", store, RedisJobQueue(client, keys, VISIBILITY_TIMEOUT_S), prefix)


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        built = Backend("memory", MemoryStateStore(), MemoryJobQueue())
    else:
        built = redis_backend(request.getfixturevalue("redis_server"))
    await built.store.start()
    await built.queue.start()
    yield built
    await built.queue.stop()
    await built.store.stop()
