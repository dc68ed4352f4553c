"""The state backend, opened both ways: in memory and on a real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from state.backend import StateBackend, open_backend
from state.base import JobQueue, Ledger, StateStore, StatsStore
from state.ledger_memory import MemoryLedger
from state.ledger_redis import RedisLedger
from state.redis_connection import connect
from state.redis_keys import RedisKeys
from state.redis_queue import RedisJobQueue
from state.redis_store import RedisStateStore
from state.scheduling import TierPolicy
from tests.redis_server import RedisServer

VISIBILITY_TIMEOUT_S = 0.5


@dataclass
class Backend:
    name: str
    state: StateBackend
    prefix: str = ""

    @property
    def store(self) -> StateStore:
        return self.state.store

    @property
    def queue(self) -> JobQueue:
        return self.state.queue

    @property
    def stats(self) -> StatsStore:
        return self.state.stats

    def second_queue(self, policy: TierPolicy | None = None) -> JobQueue:
        """Another process's queue on the same state (Redis only)."""
        assert isinstance(self.store, RedisStateStore)
        keys = RedisKeys(self.prefix)
        return RedisJobQueue(self.store.client, keys, VISIBILITY_TIMEOUT_S, policy)


def redis_backend(server: RedisServer, policy: TierPolicy | None = None) -> Backend:
    prefix = f"contract-{uuid.uuid4().hex[:12]}:"
    state = open_backend(
        server.url, key_prefix=prefix, visibility_timeout_s=VISIBILITY_TIMEOUT_S, policy=policy
    )
    return Backend("redis", state, prefix)


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        built = Backend("memory", open_backend(None))
    else:
        built = redis_backend(request.getfixturevalue("redis_server"))
    await built.state.start()
    yield built
    await built.state.stop()


@pytest.fixture(params=["memory", "redis"])
async def ledger(request: pytest.FixtureRequest) -> AsyncIterator[Ledger]:
    """The ledger both ways; on Redis under a prefix of its own."""
    if request.param == "memory":
        yield MemoryLedger()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    client = connect(server.url)
    built = RedisLedger(client, RedisKeys(f"ledger-{uuid.uuid4().hex[:12]}:"))
    await built.start()
    yield built
    await built.stop()
    await client.aclose()
