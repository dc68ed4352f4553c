"""The contract of ``state.base.ImageHistory``, over memory and a real Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from state.base import ImageHistory
from state.history_memory import MemoryImageHistory
from state.history_redis import RedisImageHistory
from state.models import HistoryEntry
from state.redis_connection import connect
from state.redis_keys import RedisKeys
from state.redis_store import RedisStateStore
from tests.redis_server import RedisServer

DAY_S = 86400.0


@pytest.fixture(params=["memory", "redis"])
async def history(request: pytest.FixtureRequest) -> AsyncIterator[ImageHistory]:
    if request.param == "memory":
        built: ImageHistory = MemoryImageHistory()
        await built.start()
        yield built
        await built.stop()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    store = RedisStateStore(connect(server.url), RedisKeys(f"hist-{uuid.uuid4().hex[:12]}:"))
    await store.start()
    built = RedisImageHistory(store.client, store.keys)
    await built.start()
    yield built
    await built.stop()
    await built.stop()  # idempotent, and it leaves the store's connection alone
    assert await store.ping()
    await store.stop()


def _entry(user_id: int, at: float, entry_id: str | None = None) -> HistoryEntry:
    return HistoryEntry(
        id=entry_id or uuid.uuid4().hex,
        user_id=user_id,
        chat_id=user_id,
        kind="generate",
        prompt=f"prompt at {at}",
        created_at=at,
        image_keys=[f"images/{at}/0.png"],
    )


async def test_pages_are_newest_first_and_continue_before(history: ImageHistory) -> None:
    now = time.time()
    for offset in range(5):
        await history.add(_entry(7, now - offset * 10), DAY_S)
    first = await history.page(7, None, 3)
    assert [entry.created_at for entry in first] == [now, now - 10, now - 20]
    assert all(entry.expires_at > now for entry in first)
    rest = await history.page(7, first[-1].created_at, 3)
    assert [entry.created_at for entry in rest] == [now - 30, now - 40]
    assert await history.page(7, None, 0) == []


async def test_a_user_sees_only_their_own(history: ImageHistory) -> None:
    mine = _entry(1, time.time())
    await history.add(mine, DAY_S)
    assert await history.page(2, None, 10) == []
    assert await history.get(2, mine.id) is None
    assert not await history.delete(2, mine.id)
    found = await history.get(1, mine.id)
    assert found is not None
    assert found.prompt == mine.prompt


async def test_same_id_replaces(history: ImageHistory) -> None:
    now = time.time()
    await history.add(_entry(3, now, "job-a"), DAY_S)
    await history.add(_entry(3, now + 1, "job-a"), DAY_S)
    assert [entry.created_at for entry in await history.page(3, None, 10)] == [now + 1]


async def test_delete_one_and_clear_all(history: ImageHistory) -> None:
    now = time.time()
    entries = [_entry(4, now - index) for index in range(3)]
    for entry in entries:
        await history.add(entry, DAY_S)
    assert await history.delete(4, entries[0].id)
    assert not await history.delete(4, entries[0].id)
    assert await history.get(4, entries[0].id) is None
    assert len(await history.page(4, None, 10)) == 2
    assert await history.clear(4) == 2
    assert await history.page(4, None, 10) == []
    assert await history.clear(4) == 0


async def test_expired_entries_are_gone(history: ImageHistory) -> None:
    now = time.time()
    await history.add(_entry(5, now, "old"), 0.2)
    await history.add(_entry(5, now - 1, "kept"), DAY_S)
    await asyncio.sleep(0.3)
    assert await history.get(5, "old") is None
    assert [entry.id for entry in await history.page(5, None, 1)] == ["kept"]


async def test_oldest_dropped_past_the_cap(
    history: ImageHistory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(history), "MAX_PER_USER", 3)
    now = time.time()
    for offset in range(5):
        await history.add(_entry(6, now + offset, f"e{offset}"), DAY_S)
    assert [entry.id for entry in await history.page(6, None, 10)] == ["e4", "e3", "e2"]
