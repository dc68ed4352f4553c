"""``SendPacer`` on Redis: one budget for every process, reserved by one Lua script.

Each bucket is a key holding its theoretical arrival time in microseconds of the Redis
server's clock, expiring once it has passed (an idle bucket is a full one).
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from state.base import SendPacer
from state.pacing import Bucket
from state.redis_connection import translated_errors
from state.redis_keys import RedisKeys

# KEYS: the buckets; ARGV: interval (µs) and burst of each, in order. Returns the wait in µs.
RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local start = now
local arrivals = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key))
  arrivals[i] = tat
  if tat ~= nil and tat - (burst - 1) * interval > start then
    start = tat - (burst - 1) * interval
  end
end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tat = arrivals[i]
  if tat == nil or tat < start then tat = start end
  tat = tat + interval
  local ttl_ms = math.floor((tat - now) / 1000) + 1000
  redis.call('SET', key, string.format('%.0f', tat), 'PX', ttl_ms)
end
return string.format('%.0f', start - now)
"""


class RedisSendPacer(SendPacer):
    def __init__(self, client: Redis, keys: RedisKeys) -> None:
        self._keys = keys
        self._reserve = client.register_script(RESERVE)

    async def reserve(self, buckets: Sequence[Bucket]) -> float:
        args: list[int] = []
        for bucket in buckets:
            args += [round(bucket.interval_s * 1_000_000), bucket.burst]
        keys = [self._keys.pace(bucket.key) for bucket in buckets]
        with translated_errors("reserve"):
            waited = await self._reserve(keys=keys, args=args)
        return int(waited) / 1_000_000
