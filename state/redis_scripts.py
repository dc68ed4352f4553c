"""Lua scripts: what must be read and written in one atomic step on the Redis server.

Both use the server's clock (``TIME``), so processes on machines whose clocks disagree
still share one notion of a window. Redis replicates a script's effects, so reading the
clock before writing is allowed.
"""

from __future__ import annotations

COUNT_ONLY = -1  # the cap argument that counts a ticket in flight but never refuses it

# KEYS[1]: the in-flight sorted set (ticket -> lease expiry, ms); KEYS[2..]: one sorted set
# per window (ticket -> admission time, ms).
# ARGV[1]: ticket; ARGV[2]: the in-flight cap (-1: count, never refuse); ARGV[3]: lease ms;
# then per window: max hits, window ms.
# Returns {-1, 0} when admitted, else {index of the refusing limit (0: the cap, i: the
# i-th window), ms until it would admit}.
ADMIT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local ticket = ARGV[1]
for i = 2, #KEYS do
  local max_hits = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= max_hits then
    local retry = window
    if max_hits > 0 then
      local oldest = redis.call('ZRANGE', KEYS[i], count - max_hits, count - max_hits, 'WITHSCORES')
      retry = tonumber(oldest[2]) + window - now
    end
    return {i - 1, retry}
  end
end
local cap = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if cap >= 0 and not redis.call('ZSCORE', KEYS[1], ticket) then
  if redis.call('ZCARD', KEYS[1]) >= cap then
    return {0, 0}
  end
end
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now, ticket)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 * i + 1]))
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ticket)
return {-1, 0}
"""

# KEYS[1]: the in-flight sorted set. Returns how many leases have not run out.
IN_FLIGHT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""

# KEYS[1]: the job stream. ARGV[1]: group; ARGV[2]: consumer; ARGV[3]: entry id.
# Resets the entry's idle time only if it is still pending for this consumer, so a worker
# that stalled past the visibility timeout cannot take back a job another worker holds.
TOUCH = """
local entry = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #entry == 0 or entry[1][2] ~= ARGV[2] then
  return 0
end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
"""

# A mark that names its holder: taken if free (with its time to live), else answered by
# whether ARGV[1] holds it. Returns 1 when ARGV[1] holds the mark now, else 0.
TAKE_MARK = """
local held = redis.call('GET', KEYS[1])
if not held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if held == ARGV[1] then
  return 1
end
return 0
"""

# Forgets a consumer only while it holds nothing: XGROUP DELCONSUMER drops whatever is
# still pending under it, which would leave those jobs to nobody.
DELETE_IDLE_CONSUMER = """
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending > 0 then
  return 0
end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
