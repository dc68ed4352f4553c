"""Image history on Redis, shared by every process (see ``ImageHistory``).

Per user: a sorted set of entry ids scored by creation time, and a hash of the entries'
JSON by id. Both keys expire with the newest entry; expired entries are pruned on write
and skipped on read.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from state.base import ImageHistory
from state.models import HistoryEntry
from state.redis_connection import translated_errors
from state.redis_keys import RedisKeys


class RedisImageHistory(ImageHistory):
    def __init__(self, client: Redis, keys: RedisKeys) -> None:
        self._client = client  # the state store's: it opens and closes the connections
        self._keys = keys

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def add(self, entry: HistoryEntry, ttl_s: float) -> None:
        kept = entry.model_copy(update={"expires_at": time.time() + ttl_s})
        order, entries = self._keys.history_order(entry.user_id), self._keys.history(entry.user_id)
        with translated_errors("history_add"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.zadd(order, {entry.id: entry.created_at})
                pipe.hset(entries, entry.id, kept.model_dump_json())
                pipe.expire(order, int(ttl_s) + 1)
                pipe.expire(entries, int(ttl_s) + 1)
                pipe.zcard(order)
                results = await pipe.execute()
            excess = int(results[-1]) - self.MAX_PER_USER
            if excess > 0:
                dropped = await self._client.zrange(order, 0, excess - 1)
                async with self._client.pipeline(transaction=True) as pipe:
                    pipe.zrem(order, *dropped)
                    pipe.hdel(entries, *dropped)
                    await pipe.execute()

    async def page(self, user_id: int, before: float | None, limit: int) -> list[HistoryEntry]:
        if limit <= 0:
            return []
        order, entries = self._keys.history_order(user_id), self._keys.history(user_id)
        found: list[HistoryEntry] = []
        upper = "+inf" if before is None else f"({before!r}"
        with translated_errors("history_page"):
            while len(found) < limit:  # expired entries are skipped: read on past them
                scored = await self._client.zrevrangebyscore(
                    order, upper, "-inf", start=0, num=limit - len(found), withscores=True
                )
                if not scored:
                    break
                pairs = [(str(item[0]), float(item[1])) for item in scored]
                ids = [entry_id for entry_id, _ in pairs]
                values = await self._client.hmget(entries, ids)
                now = time.time()
                for value in values:
                    entry = None if value is None else HistoryEntry.model_validate_json(value)
                    if entry is not None and entry.expires_at > now:
                        found.append(entry)
                upper = f"({pairs[-1][1]!r}"
        return found[:limit]

    async def get(self, user_id: int, entry_id: str) -> HistoryEntry | None:
        with translated_errors("history_get"):
            value = await self._client.hget(self._keys.history(user_id), entry_id)
        if value is None:
            return None
        entry = HistoryEntry.model_validate_json(value)
        return entry if entry.expires_at > time.time() else None

    async def delete(self, user_id: int, entry_id: str) -> bool:
        with translated_errors("history_delete"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.zrem(self._keys.history_order(user_id), entry_id)
                pipe.hdel(self._keys.history(user_id), entry_id)
                removed, _ = await pipe.execute()
        return bool(removed)

    async def clear(self, user_id: int) -> int:
        with translated_errors("history_clear"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.zcard(self._keys.history_order(user_id))
                pipe.delete(self._keys.history_order(user_id), self._keys.history(user_id))
                count, _ = await pipe.execute()
        return int(count)
