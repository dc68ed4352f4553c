"""Everything remembered, opened once: in memory, or on Redis when a URL is given.

:func:`open_backend` is the one place that decides memory-or-Redis; every other part takes
the :class:`StateBackend` it returns and never asks which it is. On Redis the parts share
one connection pool, owned by the store (started first, stopped last).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from state.base import (
    ImageHistory,
    JobQueue,
    Ledger,
    ModerationRecords,
    SendPacer,
    StateStore,
    StatsStore,
)
from state.scheduling import TierPolicy

log = structlog.get_logger(__name__)


@dataclass
class StateBackend:
    store: StateStore
    queue: JobQueue
    ledger: Ledger
    stats: StatsStore
    records: ModerationRecords
    history: ImageHistory
    kind: str  # "memory" or "redis", for logs; never branched on
    pacer: SendPacer  # the sending pace to a platform, shared where the jobs are
    _started: bool = field(default=False, init=False, repr=False)

    @property
    def durable(self) -> bool:
        """Jobs outlive this process (another process can run them)."""
        return self.queue.durable

    async def start(self) -> None:
        """Idempotent; a failed start stops what had started."""
        if self._started:
            return
        Part = StateStore | JobQueue | Ledger | StatsStore | ModerationRecords | ImageHistory
        started: list[Part] = []
        try:
            for part in (
                self.store,
                self.queue,
                self.ledger,
                self.stats,
                self.records,
                self.history,
            ):
                await part.start()
                started.append(part)
        except BaseException:
            for part in reversed(started):
                await part.stop()
            if not started:  # the store owns the pool: close it even when its start failed
                await self.store.stop()
            raise
        self._started = True

    async def stop(self) -> None:
        """Idempotent; the store, which owns the connection pool, goes last."""
        if not self._started:
            return
        self._started = False
        try:
            for part in (self.history, self.records, self.stats, self.ledger, self.queue):
                try:
                    await part.stop()
                except Exception as exc:  # the others still stop, the pool still closes
                    log.error("state_part_stop_failed", part=type(part).__name__, error=repr(exc))
        finally:
            await self.store.stop()


def open_backend(
    redis_url: str | None,
    *,
    key_prefix: str = "fulmine:",
    visibility_timeout_s: float = 60.0,
    policy: TierPolicy | None = None,
) -> StateBackend:
    """Builds without I/O (``start`` connects). No URL: memory, one process. ``policy``:
    how the queue weighs tiers (``state/scheduling.py``; the defaults when None)."""
    if redis_url is None:
        from state.history_memory import MemoryImageHistory
        from state.ledger_memory import MemoryLedger
        from state.memory import MemoryJobQueue, MemoryStateStore
        from state.moderation_memory import MemoryModerationRecords
        from state.pacing_memory import MemorySendPacer
        from state.stats_memory import MemoryStatsStore

        return StateBackend(
            MemoryStateStore(),
            MemoryJobQueue(policy),
            MemoryLedger(),
            MemoryStatsStore(),
            MemoryModerationRecords(),
            MemoryImageHistory(),
            kind="memory",
            pacer=MemorySendPacer(),
        )
    from state.history_redis import RedisImageHistory
    from state.ledger_redis import RedisLedger
    from state.moderation_redis import RedisModerationRecords
    from state.pacing_redis import RedisSendPacer
    from state.redis_connection import connect
    from state.redis_keys import RedisKeys
    from state.redis_queue import RedisJobQueue
    from state.redis_store import RedisStateStore
    from state.stats_redis import RedisStatsStore

    client = connect(redis_url)
    keys = RedisKeys(key_prefix)
    return StateBackend(
        RedisStateStore(client, keys),
        RedisJobQueue(client, keys, visibility_timeout_s, policy),
        RedisLedger(client, keys),
        RedisStatsStore(client, keys),
        RedisModerationRecords(client, keys),
        RedisImageHistory(client, keys),
        kind="redis",
        pacer=RedisSendPacer(client, keys),
    )
