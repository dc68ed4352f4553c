"""``SendPacer`` in memory: one process's budget (the default without Redis)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from state.base import SendPacer
from state.pacing import Bucket, gcra

MAX_BUCKETS = 100_000  # buckets whose slots have all passed are dropped past this many


class MemorySendPacer(SendPacer):
    def __init__(self) -> None:
        self._arrivals: dict[str, float] = {}  # bucket key: theoretical arrival (monotonic)

    async def reserve(self, buckets: Sequence[Bucket]) -> float:
        now = time.monotonic()
        if len(self._arrivals) >= MAX_BUCKETS:
            self._arrivals = {k: t for k, t in self._arrivals.items() if t > now}
        start = gcra(now, [self._arrivals.get(b.key) for b in buckets], buckets)
        for bucket in buckets:
            self._arrivals[bucket.key] = (
                max(self._arrivals.get(bucket.key, start), start) + bucket.interval_s
            )
        return start - now
