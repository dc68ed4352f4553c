"""The fair queue's Lua scripts: ``state/scheduling.py``'s rules, one atomic step each.

Keys are built inside the scripts from the queue's key prefix (ARGV[1], e.g.
``fulmine:queue:``; see ``RedisKeys.queue_*``), because which user's line a pick reads is
only known inside the pick. All of them share the prefix, so a hash tag in it keeps them
in one Cluster slot. Tiers are named in ``TIER_ORDER`` (turbo, fast, relax):

- ``ring:<tier>``: LIST of the users with jobs waiting in the tier, in turn order;
- ``line:<tier>:<user>``: LIST of the user's waiting job ids, oldest first;
- ``age:<tier>``: ZSET job id -> when it was queued (ms, the server's clock);
- ``jobs``: HASH job id -> job JSON; ``where``: HASH job id -> ``<tier>|<user>``;
- ``credit``: HASH tier -> its weighted round-robin credit;
- ``wake``: LIST of tokens, one per job queued, that idle claimers block on (capped).
"""

from __future__ import annotations

_PRELUDE = """
local p = ARGV[1]
local tiers = {'turbo', 'fast', 'relax'}
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

# ARGV[2]: job id; ARGV[3]: tier; ARGV[4]: user; ARGV[5]: job JSON; ARGV[6]: '1' to put
# the job first in its user's line and the user first in the ring (a hand-back).
# Returns 1 when queued, 0 when the job was already waiting.
ENQUEUE = (
    _PRELUDE
    + """
if redis.call('HEXISTS', p .. 'jobs', ARGV[2]) == 1 then
  return 0
end
local ring = p .. 'ring:' .. ARGV[3]
local line = p .. 'line:' .. ARGV[3] .. ':' .. ARGV[4]
local new_user = redis.call('LLEN', line) == 0
if ARGV[6] == '1' then
  if not new_user then
    redis.call('LREM', ring, 1, ARGV[4])
  end
  redis.call('LPUSH', ring, ARGV[4])
  redis.call('LPUSH', line, ARGV[2])
else
  if new_user then
    redis.call('RPUSH', ring, ARGV[4])
  end
  redis.call('RPUSH', line, ARGV[2])
end
redis.call('ZADD', p .. 'age:' .. ARGV[3], now, ARGV[2])
redis.call('HSET', p .. 'jobs', ARGV[2], ARGV[5])
redis.call('HSET', p .. 'where', ARGV[2], ARGV[3] .. '|' .. ARGV[4])
redis.call('RPUSH', p .. 'wake', '1')
redis.call('LTRIM', p .. 'wake', -64, -1)
return 1
"""
)

# ARGV[2]: the job stream; ARGV[3]: its consumer group; ARGV[4]: this consumer;
# ARGV[5..7]: each tier's maximum wait (ms); ARGV[8..31]: the shares for every set of
# waiting tiers (``TierPolicy.share_table``: 8 masks of 3, 0 for a tier not waiting).
# Picks the next job, adds it to the stream and reads it as this consumer, so from here on
# it is a pending stream entry like any other (touched, acknowledged, or taken over after
# the visibility timeout). Returns {entry id, job JSON}, or false when nothing waits.
PICK = (
    _PRELUDE
    + """
local bits = {1, 2, 4}
local mask, oldest = 0, {}
for i = 1, 3 do
  local first = redis.call('ZRANGE', p .. 'age:' .. tiers[i], 0, 0, 'WITHSCORES')
  if #first > 0 then
    mask = mask + bits[i]
    oldest[i] = {first[1], tonumber(first[2])}
  end
end
if mask > 0 then
  local tier, job, user
  local furthest = 0
  for i = 1, 3 do
    if oldest[i] then
      local late = now - oldest[i][2] - tonumber(ARGV[4 + i])
      if late > furthest then
        tier, furthest, job = i, late, oldest[i][1]
      end
    end
  end
  if tier then
    local where = redis.call('HGET', p .. 'where', job)
    user = string.sub(where, string.find(where, '|', 1, true) + 1)
    local line = p .. 'line:' .. tiers[tier] .. ':' .. user
    redis.call('LREM', line, 1, job)
    if redis.call('LLEN', line) == 0 then
      redis.call('LREM', p .. 'ring:' .. tiers[tier], 1, user)
    end
  else
    local base = 8 + mask * 3
    local total, credit = 0, {}
    for i = 1, 3 do
      local share = tonumber(ARGV[base + i - 1])
      if share > 0 then
        credit[i] = tonumber(redis.call('HGET', p .. 'credit', tiers[i]) or '0') + share
        total = total + share
        if not tier or credit[i] > credit[tier] then
          tier = i
        end
      else
        credit[i] = 0
      end
    end
    credit[tier] = credit[tier] - total
    for i = 1, 3 do
      redis.call('HSET', p .. 'credit', tiers[i], credit[i])
    end
    local ring = p .. 'ring:' .. tiers[tier]
    user = redis.call('LPOP', ring)
    local line = p .. 'line:' .. tiers[tier] .. ':' .. user
    job = redis.call('LPOP', line)
    if redis.call('LLEN', line) > 0 then
      redis.call('RPUSH', ring, user)
    end
  end
  redis.call('ZREM', p .. 'age:' .. tiers[tier], job)
  local payload = redis.call('HGET', p .. 'jobs', job)
  redis.call('HDEL', p .. 'jobs', job)
  redis.call('HDEL', p .. 'where', job)
  redis.call('XADD', ARGV[2], '*', 'job', payload)
end
-- The oldest entry nobody has read: the one just added, or one queued before the queue
-- was fair (read first, so an upgrade loses nothing).
local got = redis.call('XREADGROUP', 'GROUP', ARGV[3], ARGV[4], 'COUNT', 1, 'STREAMS', ARGV[2], '>')
if not got then
  return false
end
local entry = got[1][2][1]
local fields = entry[2]
for i = 1, #fields, 2 do
  if fields[i] == 'job' then
    return {entry[1], fields[i + 1]}
  end
end
return {entry[1], false}
"""
)

# ARGV[2]: job id; ARGV[3]: how many users of the ring to read at most.
# Returns false when the job is not waiting, else {tier, index in its user's line, its
# user's place in the ring (-1: past those read), the lines' lengths in ring order,
# jobs waiting per tier, credit per tier} (tiers in TIER_ORDER): what
# ``scheduling.predict_position`` needs.
POSITION = (
    _PRELUDE
    + """
local where = redis.call('HGET', p .. 'where', ARGV[2])
if not where then
  return false
end
local sep = string.find(where, '|', 1, true)
local tier, user = string.sub(where, 1, sep - 1), string.sub(where, sep + 1)
local prefix = p .. 'line:' .. tier .. ':'
local index = redis.call('LPOS', prefix .. user, ARGV[2])
local ring = redis.call('LRANGE', p .. 'ring:' .. tier, 0, tonumber(ARGV[3]) - 1)
local lengths, ring_index = {}, -1
for i, other in ipairs(ring) do
  lengths[i] = redis.call('LLEN', prefix .. other)
  if other == user then
    ring_index = i - 1
  end
end
local counts, credit = {}, {}
for i = 1, 3 do
  counts[i] = redis.call('ZCARD', p .. 'age:' .. tiers[i])
  credit[i] = tonumber(redis.call('HGET', p .. 'credit', tiers[i]) or '0')
end
return {tier, index, ring_index, lengths, counts, credit}
"""
)
