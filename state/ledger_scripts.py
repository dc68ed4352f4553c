"""Lua scripts of the Redis ledger: each check and write of a movement in one atomic step.

An account is a hash (``available``, ``reserved``); an entry is a hash per idempotency key
(``kind``, ``user``, ``sats``, ``free``, ``state``; a job's also ``units`` and ``price``)
whose existence makes a repeat a no-op. Reservations not yet settled are also in a sorted
set by when they were made (the server's clock, ``TIME``: effects are replicated, so
reading it before writing is allowed), for the sweep of reservations whose process died;
parked ones are in another, by when they were parked, until their price is complete or
they are settled.
Each account's movements are a list, newest first, trimmed to the last ``kept``, written by
the same script as the movement (``MOVED``).
"""

from __future__ import annotations

# A movement recorded on an account's list: a JSON object, newest first, the last ``kept``.
MOVED = """
local function moved(list_key, kind, sats, key, images, kept)
  local now_parts = redis.call('TIME')
  local at = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
  redis.call('LPUSH', list_key, cjson.encode({kind = kind, sats = tonumber(sats), key = key,
                                              at = at, images = tonumber(images)}))
  redis.call('LTRIM', list_key, 0, tonumber(kept) - 1)
end
"""

# KEYS[1]: entry (credit:<key>); KEYS[2]: account; KEYS[3]: its movements. ARGV[1]:
# user; ARGV[2]: sats; ARGV[3]: the credit's key; ARGV[4]: movements kept.
# Returns 1 when applied, 0 for a repeat.
CREDIT = (
    MOVED
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'kind', 'credit', 'user', ARGV[1], 'sats', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'available', tonumber(ARGV[2]))
moved(KEYS[3], 'credit', ARGV[2], ARGV[3], 0, ARGV[4])
return 1
"""
)

# KEYS[1]: entry (transfer:<key>); KEYS[2]: from account; KEYS[3]: to account; KEYS[4],
# KEYS[5]: their movements. ARGV[1]: from user; ARGV[2]: to user; ARGV[3]: sats; ARGV[4]:
# the transfer's key; ARGV[5]: movements kept.
# Returns {1} when applied (now or earlier), {0, missing sats} when the payer is short.
TRANSFER = (
    MOVED
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {1}
end
local sats = tonumber(ARGV[3])
local available = tonumber(redis.call('HGET', KEYS[2], 'available') or '0')
if available < sats then
  return {0, sats - available}
end
redis.call('HSET', KEYS[1], 'kind', 'transfer', 'user', ARGV[1], 'to', ARGV[2], 'sats', sats)
redis.call('HINCRBY', KEYS[2], 'available', -sats)
redis.call('HINCRBY', KEYS[3], 'available', sats)
moved(KEYS[4], 'transfer_out', sats, ARGV[4], 0, ARGV[5])
moved(KEYS[5], 'transfer_in', sats, ARGV[4], 0, ARGV[5])
return {1}
"""
)

# KEYS[1]: entry (job:<id>); KEYS[2]: account; KEYS[3]: the day's free-use counter;
# KEYS[4]: the held reservations; KEYS[5]: the parked ones. ARGV: user, units, price,
# free per day, free counter ttl (s), job id, park ("1": when short, hold the free units
# and the credit there is).
# An entry's ``held`` is the sats taken so far: less than ``sats`` while it is parked
# (state "parked"), when reserving it again takes the rest. The account's ``free_held``
# counts the free units of entries not yet settled.
# Returns {1, sats, free} when reserved (now or earlier), {0, missing sats, free held,
# sats held} when short (held: what a parked entry holds; 0, 0 when nothing was taken).
RESERVE = """
local state = redis.call('HGET', KEYS[1], 'state')
local available = tonumber(redis.call('HGET', KEYS[2], 'available') or '0')
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
if state == 'parked' then
  local sats = tonumber(redis.call('HGET', KEYS[1], 'sats'))
  local held = tonumber(redis.call('HGET', KEYS[1], 'held'))
  local free = tonumber(redis.call('HGET', KEYS[1], 'free'))
  local rest = sats - held
  if available < rest then
    return {0, rest - available, free, held}
  end
  if rest > 0 then
    redis.call('HINCRBY', KEYS[2], 'available', -rest)
    redis.call('HINCRBY', KEYS[2], 'reserved', rest)
  end
  redis.call('HSET', KEYS[1], 'state', 'reserved', 'held', sats)
  redis.call('ZREM', KEYS[5], ARGV[6])
  redis.call('ZADD', KEYS[4], now, ARGV[6])
  return {1, sats, free}
end
if state then
  return {1, tonumber(redis.call('HGET', KEYS[1], 'sats')),
          tonumber(redis.call('HGET', KEYS[1], 'free'))}
end
local units = tonumber(ARGV[2])
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
local free = math.min(units, math.max(tonumber(ARGV[4]) - used, 0))
local sats = (units - free) * tonumber(ARGV[3])
if available < sats and ARGV[7] ~= '1' then
  return {0, sats - available, 0, 0}
end
local taken = math.min(sats, available)
if taken > 0 then  -- Lua writes -0 as "-0", which HINCRBY refuses
  redis.call('HINCRBY', KEYS[2], 'available', -taken)
  redis.call('HINCRBY', KEYS[2], 'reserved', taken)
end
if free > 0 then
  redis.call('INCRBY', KEYS[3], free)
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[5]))
  redis.call('HINCRBY', KEYS[2], 'free_held', free)
end
local entry_state = 'reserved'
if taken < sats then
  entry_state = 'parked'
end
redis.call('HSET', KEYS[1], 'kind', 'reserve', 'user', ARGV[1], 'sats', sats, 'free', free,
           'free_key', KEYS[3], 'state', entry_state, 'units', units, 'price', ARGV[3],
           'held', taken)
if taken < sats then
  redis.call('ZADD', KEYS[5], now, ARGV[6])
  return {0, sats - taken, free, taken}
end
redis.call('ZADD', KEYS[4], now, ARGV[6])
return {1, sats, free}
"""

# KEYS[1]: entry; KEYS[2]: account; KEYS[3]: the free-use counter of the entry's day;
# KEYS[4]: the held reservations; KEYS[5]: the account's movements; KEYS[6]: the parked
# reservations. ARGV[1]: "capture"
# or "release"; ARGV[2]: job id; ARGV[3]: images to capture ("": all); ARGV[4]: movements
# kept. A parked entry can only be released; a capture that charged sats is a movement.
# Returns {1, sats charged, images charged} when applied, {0, 0, 0} otherwise.
SETTLE = (
    MOVED
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'reserved' and not (state == 'parked' and ARGV[1] == 'release') then
  if state ~= 'parked' then
    redis.call('ZREM', KEYS[4], ARGV[2])
    redis.call('ZREM', KEYS[6], ARGV[2])
  end
  return {0, 0, 0}
end
local sats = tonumber(redis.call('HGET', KEYS[1], 'sats'))
local free = tonumber(redis.call('HGET', KEYS[1], 'free'))
-- held is nil for an entry reserved before it was kept: all of its sats were taken.
local held = tonumber(redis.call('HGET', KEYS[1], 'held')) or sats
-- units is nil for an entry reserved before units were kept: it is captured whole.
local units = tonumber(redis.call('HGET', KEYS[1], 'units'))
local charged, images, free_back = sats, units or 0, 0
if ARGV[1] == 'release' then
  charged, images, free_back = 0, 0, free
elseif ARGV[3] ~= '' and units then
  images = math.min(math.max(tonumber(ARGV[3]), 0), units)
  local free_taken = math.min(images, free)
  charged = (images - free_taken) * tonumber(redis.call('HGET', KEYS[1], 'price'))
  free_back = free - free_taken
end
if held > 0 then  -- Lua writes -0 as "-0", which HINCRBY refuses
  redis.call('HINCRBY', KEYS[2], 'reserved', 0 - held)
end
if held - charged > 0 then
  redis.call('HINCRBY', KEYS[2], 'available', held - charged)
end
if free_back > 0 and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('DECRBY', KEYS[3], free_back)
end
local free_held = tonumber(redis.call('HGET', KEYS[2], 'free_held') or '0')
if free > 0 and free_held > 0 then  -- entries older than free_held were never counted
  redis.call('HINCRBY', KEYS[2], 'free_held', 0 - math.min(free, free_held))
end
local settled = 'captured'
if ARGV[1] == 'release' then
  settled = 'released'
end
redis.call('HSET', KEYS[1], 'state', settled, 'charged', charged, 'images', images)
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('ZREM', KEYS[6], ARGV[2])
if charged > 0 then
  moved(KEYS[5], 'capture', charged, ARGV[2], images, ARGV[4])
end
return {1, charged, images}
"""
)

# KEYS[1]: the held (or the parked) reservations. ARGV[1]: minimum age (s); ARGV[2]: at
# most this many.
# Returns {now (s, as text), {job id, reserved at, ...}}, oldest first.
HELD = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]),
                         'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
return {tostring(now), found}
"""
