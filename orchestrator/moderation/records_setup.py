"""The moderation records, from settings: on the state store's Redis when REDIS_URL is set,
else in memory (like ``orchestrator.state_setup``)."""

from __future__ import annotations

from orchestrator.settings import Settings
from state.base import ModerationRecords, StateStore
from state.moderation_memory import MemoryModerationRecords


def build_records(settings: Settings, store: StateStore) -> ModerationRecords:
    """Builds without I/O; on Redis the records share the store's connection pool."""
    if settings.redis_url is None:
        return MemoryModerationRecords()
    from state.moderation_redis import RedisModerationRecords
    from state.redis_store import RedisStateStore

    if not isinstance(store, RedisStateStore):
        raise TypeError(f"REDIS_URL is set but the state store is {type(store).__name__}")
    return RedisModerationRecords(store.client, store.keys)
