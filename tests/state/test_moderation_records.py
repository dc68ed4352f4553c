"""The contract of ``state.base.ModerationRecords``, over memory and a real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest

from state.base import ModerationRecords
from state.errors import StateUnavailable
from state.models import BlockRecord
from state.moderation_memory import MemoryModerationRecords
from state.moderation_redis import RedisModerationRecords
from state.redis_connection import connect
from state.redis_keys import RedisKeys
from state.redis_store import RedisStateStore
from tests.redis_server import RedisServer


@pytest.fixture(params=["memory", "redis"])
async def records(request: pytest.FixtureRequest) -> AsyncIterator[ModerationRecords]:
    if request.param == "memory":
        built: ModerationRecords = MemoryModerationRecords()
        await built.start()
        yield built
        await built.stop()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    store = RedisStateStore(connect(server.url), RedisKeys(f"mod-{uuid.uuid4().hex[:12]}:"))
    await store.start()
    built = RedisModerationRecords(store.client, store.keys)
    await built.start()
    yield built
    await built.stop()
    await built.stop()  # idempotent, and it leaves the store's connection alone
    assert await store.ping()
    await store.stop()


def _block(user_id: int = 1, at: float | None = None, **fields: object) -> BlockRecord:
    values: dict[str, object] = {
        "user_id": user_id,
        "chat_id": -100 - user_id,
        "stage": "prompt",
        "category": "sexual",
        "score": 0.97,
        "prompt_hash": "ab" * 32,
        "prompt": "a prompt",
        **fields,
    }
    if at is not None:
        values["at"] = at
    return BlockRecord.model_validate(values)


async def test_recent_blocks_are_newest_first_and_limited(records: ModerationRecords) -> None:
    assert await records.recent_blocks(10) == []
    now = time.time()
    blocks = [_block(user_id=i, at=now + i, prompt=f"prompt {i}") for i in range(5)]
    for block in blocks:
        await records.record_block(block)
    assert await records.recent_blocks(3) == blocks[::-1][:3]
    assert await records.recent_blocks(10) == blocks[::-1]
    assert await records.recent_blocks(0) == []


async def test_records_keep_every_field(records: ModerationRecords) -> None:
    block = _block(user_id=7, stage="output_image", category="violence", score=0.5, prompt="ü ✓")
    await records.record_block(block)
    assert await records.recent_blocks(1) == [block]


async def test_blocks_since_are_one_users_oldest_first(records: ModerationRecords) -> None:
    now = time.time()
    old, mid, new = _block(at=now - 100), _block(at=now - 50), _block(at=now - 1)
    for block in (new, old, mid, _block(user_id=2, at=now)):
        await records.record_block(block)
    assert await records.blocks_since(1, now - 1000) == [old, mid, new]
    assert await records.blocks_since(1, now - 50) == [mid, new]
    assert await records.blocks_since(1, now) == []
    assert await records.blocks_since(3, 0) == []


async def test_ban_and_unban_say_whether_they_changed_anything(
    records: ModerationRecords,
) -> None:
    assert not await records.is_banned(5)
    assert await records.ban(5) is True
    assert await records.ban(5) is False
    assert await records.ban(3) is True
    assert await records.is_banned(5)
    assert await records.banned() == [3, 5]
    assert await records.unban(5) is True
    assert await records.unban(5) is False
    assert not await records.is_banned(5)
    assert await records.banned() == [3]


async def test_redis_faults_are_state_unavailable() -> None:
    client = connect("redis://127.0.0.1:1/0")  # nothing listens on port 1
    records = RedisModerationRecords(client, RedisKeys("x:"))
    with pytest.raises(StateUnavailable):
        await records.is_banned(1)
    with pytest.raises(StateUnavailable):
        await records.record_block(_block())
    await client.aclose()
