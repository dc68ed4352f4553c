"""The stats store beside the state store: on the same Redis when there is one."""

from __future__ import annotations

from state.base import StateStore, StatsStore


def build_stats_store(store: StateStore) -> StatsStore:
    """Borrows the state store's connection pool (the state store closes it)."""
    from state.redis_store import RedisStateStore

    if isinstance(store, RedisStateStore):
        from state.stats_redis import RedisStatsStore

        return RedisStatsStore(store.client, store.keys)
    from state.stats_memory import MemoryStatsStore

    return MemoryStatsStore(store)
