"""``StatsStore`` on Redis: HyperLogLogs for users, capped lists (LTRIM) for latencies.

It borrows the state store's connection pool and key builder (the store closes the pool).
A count adds to the total and the day's bucket in one MULTI/EXEC transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from redis.asyncio import Redis

from state.base import LATENCY_SAMPLES_PER_DAY, STATS_RETENTION_DAYS, StatsStore
from state.redis_connection import translated_errors
from state.redis_keys import RedisKeys

RETENTION_S = STATS_RETENTION_DAYS * 24 * 3600
DAY_BUCKET_RETENTION_S = 400 * 24 * 3600  # counters' day buckets: about a year


class RedisStatsStore(StatsStore):
    def __init__(self, client: Redis, keys: RedisKeys) -> None:
        self._client = client
        self._keys = keys

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def count(self, name: str, by: int, day: dt.date) -> None:
        day_key = self._keys.counter(name, day)
        with translated_errors("count"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incrby(self._keys.counter(name), by)
                pipe.incrby(day_key, by)
                pipe.expire(day_key, DAY_BUCKET_RETENTION_S)
                await pipe.execute()

    async def counter(self, name: str, day: dt.date | None = None) -> int:
        with translated_errors("counter"):
            value = await self._client.get(self._keys.counter(name, day))
        return int(value) if value is not None else 0

    async def record_user(self, user_id: int, day: dt.date) -> None:
        day_key = self._keys.stats_users(day)
        with translated_errors("record_user"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.pfadd(self._keys.stats_users(), user_id)
                pipe.pfadd(day_key, user_id)
                pipe.expire(day_key, RETENTION_S)
                await pipe.execute()

    async def count_users(self, days: Sequence[dt.date] | None = None) -> int:
        keys = (
            [self._keys.stats_users()]
            if days is None
            else [self._keys.stats_users(day) for day in days]
        )
        if not keys:
            return 0
        with translated_errors("count_users"):
            return int(await self._client.pfcount(*keys))  # the union's cardinality

    async def add_latency(self, provider: str, day: dt.date, seconds: float) -> None:
        key = self._keys.stats_latency(provider, day)
        with translated_errors("add_latency"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.rpush(key, repr(seconds))
                pipe.ltrim(key, -LATENCY_SAMPLES_PER_DAY, -1)
                pipe.expire(key, RETENTION_S)
                await pipe.execute()

    async def latencies(self, provider: str, days: Sequence[dt.date]) -> list[float]:
        with translated_errors("latencies"):
            async with self._client.pipeline(transaction=False) as pipe:
                for day in days:
                    pipe.lrange(self._keys.stats_latency(provider, day), 0, -1)
                per_day = await pipe.execute()
        return [float(sample) for samples in per_day for sample in samples]

    async def read_counters(
        self, names: Sequence[str], days: Sequence[dt.date]
    ) -> dict[str, list[int]]:
        keys = [self._keys.counter(name, day) for name in names for day in days]
        if not keys:
            return {name: [] for name in names}
        with translated_errors("read_counters"):
            values = await self._client.mget(keys)
        counts = [int(value) if value is not None else 0 for value in values]
        width = len(days)
        return {name: counts[i * width : (i + 1) * width] for i, name in enumerate(names)}
