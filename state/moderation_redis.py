"""Moderation records on Redis, shared by every process (see ``ModerationRecords``).

The latest blocks are a capped list; each user's blocks a sorted set scored by time (the
member is the record's JSON, unique enough: it holds the time); bans a set.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from state.base import ModerationRecords
from state.models import BlockRecord
from state.redis_connection import translated_errors
from state.redis_keys import RedisKeys


class RedisModerationRecords(ModerationRecords):
    def __init__(self, client: Redis, keys: RedisKeys) -> None:
        self._client = client  # the state store's: it opens and closes the connections
        self._keys = keys

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def record_block(self, record: BlockRecord) -> None:
        member = record.model_dump_json()
        user_key = self._keys.moderation_user_blocks(record.user_id)
        kept_s = self.USER_BLOCKS_KEPT_S
        with translated_errors("record_block"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.lpush(self._keys.moderation_blocks, member)
                pipe.ltrim(self._keys.moderation_blocks, 0, self.RECENT_BLOCKS_KEPT - 1)
                pipe.zadd(user_key, {member: record.at})
                pipe.zremrangebyscore(user_key, "-inf", f"({time.time() - kept_s}")
                pipe.expire(user_key, int(kept_s))
                await pipe.execute()

    async def recent_blocks(self, limit: int) -> list[BlockRecord]:
        if limit <= 0:
            return []
        with translated_errors("recent_blocks"):
            members = await self._client.lrange(self._keys.moderation_blocks, 0, limit - 1)
        return [BlockRecord.model_validate_json(member) for member in members]

    async def blocks_since(self, user_id: int, since: float) -> list[BlockRecord]:
        key = self._keys.moderation_user_blocks(user_id)
        with translated_errors("blocks_since"):
            members = await self._client.zrangebyscore(key, since, "+inf")
        return [BlockRecord.model_validate_json(str(member)) for member in members]

    async def ban(self, user_id: int) -> bool:
        with translated_errors("ban"):
            added = await self._client.sadd(self._keys.moderation_bans, str(user_id))
        return bool(added)

    async def unban(self, user_id: int) -> bool:
        with translated_errors("unban"):
            removed = await self._client.srem(self._keys.moderation_bans, str(user_id))
        return bool(removed)

    async def is_banned(self, user_id: int) -> bool:
        with translated_errors("is_banned"):
            member = await self._client.sismember(self._keys.moderation_bans, str(user_id))
        return bool(member)

    async def banned(self) -> list[int]:
        with translated_errors("banned"):
            members = await self._client.smembers(self._keys.moderation_bans)
        return sorted(int(member) for member in members)
