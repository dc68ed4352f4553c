"""The state store and job queue, from settings: Redis when REDIS_URL is set, else memory."""

from __future__ import annotations

from orchestrator.settings import Settings
from state.base import JobQueue, StateStore
from state.memory import MemoryJobQueue, MemoryStateStore


def build_state(settings: Settings) -> tuple[StateStore, JobQueue]:
    """Builds without I/O; the store and the queue share one Redis connection pool."""
    if settings.redis_url is None:
        return MemoryStateStore(), MemoryJobQueue()
    from state.redis_connection import connect
    from state.redis_keys import RedisKeys
    from state.redis_queue import RedisJobQueue
    from state.redis_store import RedisStateStore

    client = connect(settings.redis_url.get_secret_value())
    keys = RedisKeys(settings.redis_key_prefix)
    queue = RedisJobQueue(client, keys, settings.job_visibility_timeout_s)
    return RedisStateStore(client, keys), queue
