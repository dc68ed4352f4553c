"""``StatsStore`` in process memory (the embedded default): exact sets, bounded lists."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Sequence

from state.base import LATENCY_SAMPLES_PER_DAY, STATS_RETENTION_DAYS, StatsStore


class MemoryStatsStore(StatsStore):
    def __init__(self) -> None:
        self._counters: dict[tuple[str, dt.date | None], int] = {}
        self._users: set[int] = set()
        self._users_by_day: dict[dt.date, set[int]] = {}
        self._latencies: dict[tuple[str, dt.date], deque[float]] = {}

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def count(self, name: str, by: int, day: dt.date) -> None:
        for key in ((name, None), (name, day)):  # no await between: atomic on the loop
            self._counters[key] = self._counters.get(key, 0) + by

    async def counter(self, name: str, day: dt.date | None = None) -> int:
        return self._counters.get((name, day), 0)

    async def record_user(self, user_id: int, day: dt.date) -> None:
        self._users.add(user_id)
        self._users_by_day.setdefault(day, set()).add(user_id)
        self._forget_before(day)

    async def count_users(self, days: Sequence[dt.date] | None = None) -> int:
        if days is None:
            return len(self._users)
        return len(set().union(*(self._users_by_day.get(day, set()) for day in days)))

    async def add_latency(self, provider: str, day: dt.date, seconds: float) -> None:
        samples = self._latencies.setdefault((provider, day), deque(maxlen=LATENCY_SAMPLES_PER_DAY))
        samples.append(seconds)
        self._forget_before(day)

    async def latencies(self, provider: str, days: Sequence[dt.date]) -> list[float]:
        return [s for day in days for s in self._latencies.get((provider, day), ())]

    async def read_counters(
        self, names: Sequence[str], days: Sequence[dt.date]
    ) -> dict[str, list[int]]:
        return {name: [self._counters.get((name, day), 0) for day in days] for name in names}

    def _forget_before(self, today: dt.date) -> None:
        oldest = today - dt.timedelta(days=STATS_RETENTION_DAYS)
        for day in [d for d in self._users_by_day if d < oldest]:
            del self._users_by_day[day]
        for key in [k for k in self._latencies if k[1] < oldest]:
            del self._latencies[key]
