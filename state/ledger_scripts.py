"""Lua scripts of the Redis ledger: each check and write of a movement in one atomic step.

An account is a hash (``available``, ``reserved``); an entry is a hash per idempotency key
(``kind``, ``user``, ``sats``, ``free``, ``state``) whose existence makes a repeat a no-op.
"""

from __future__ import annotations

# KEYS[1]: entry (credit:<key>); KEYS[2]: account. ARGV[1]: user; ARGV[2]: sats.
# Returns 1 when applied, 0 for a repeat.
CREDIT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'kind', 'credit', 'user', ARGV[1], 'sats', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'available', tonumber(ARGV[2]))
return 1
"""

# KEYS[1]: entry (job:<id>); KEYS[2]: account; KEYS[3]: the day's free-use counter.
# ARGV: user, units, price, free per day, free counter ttl (s).
# Returns {1, sats, free} when reserved (now or earlier), {0, missing sats} when short.
RESERVE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {1, tonumber(redis.call('HGET', KEYS[1], 'sats')),
          tonumber(redis.call('HGET', KEYS[1], 'free'))}
end
local units = tonumber(ARGV[2])
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
local free = math.min(units, math.max(tonumber(ARGV[4]) - used, 0))
local sats = (units - free) * tonumber(ARGV[3])
local available = tonumber(redis.call('HGET', KEYS[2], 'available') or '0')
if available < sats then
  return {0, sats - available}
end
if sats > 0 then  -- Lua writes -0 as "-0", which HINCRBY refuses
  redis.call('HINCRBY', KEYS[2], 'available', -sats)
  redis.call('HINCRBY', KEYS[2], 'reserved', sats)
end
if free > 0 then
  redis.call('INCRBY', KEYS[3], free)
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[5]))
end
redis.call('HSET', KEYS[1], 'kind', 'reserve', 'user', ARGV[1], 'sats', sats, 'free', free,
           'free_key', KEYS[3], 'state', 'reserved')
return {1, sats, free}
"""

# KEYS[1]: entry; KEYS[2]: account; KEYS[3]: the free-use counter of the entry's day.
# ARGV[1]: "capture" or "release". Returns 1 when applied, 0 otherwise.
SETTLE = """
if redis.call('HGET', KEYS[1], 'state') ~= 'reserved' then
  return 0
end
local sats = tonumber(redis.call('HGET', KEYS[1], 'sats'))
redis.call('HINCRBY', KEYS[2], 'reserved', 0 - sats)
if ARGV[1] == 'release' then
  redis.call('HINCRBY', KEYS[2], 'available', sats)
  local free = tonumber(redis.call('HGET', KEYS[1], 'free'))
  if free > 0 and redis.call('EXISTS', KEYS[3]) == 1 then
    redis.call('DECRBY', KEYS[3], free)
  end
  redis.call('HSET', KEYS[1], 'state', 'released')
else
  redis.call('HSET', KEYS[1], 'state', 'captured')
end
return 1
"""
