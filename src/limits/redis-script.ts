/**
 * The one script behind `redisQuotaStore`: every command runs atomically in Redis, on Redis's
 * clock, so processes on machines with skewed clocks still share one exact limit.
 *
 * KEYS[1] is the limiter's pause key; quota i has its log at KEYS[2i] (a sorted set of
 * "<permit id>|<cost>" members scored by admission time, or by lease end for a concurrency
 * quota) and its running total at KEYS[2i+1].
 * ARGV: command, quota count, permit id, lease ms (for pause: its length), then four values per
 * quota: kind (w: window, c: concurrency), window ms, and two that depend on the command (cost
 * and limit for take; cost and actual cost for release; units and reset ms for raise).
 */
export const quotaScript = `
local command, n, id, leaseMs = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function quota(i)
  local at = 4 + (i - 1) * 4
  return ARGV[at + 1], tonumber(ARGV[at + 2]), ARGV[at + 3], ARGV[at + 4]
end
local function costOf(member) return tonumber(string.match(member, '|([^|]+)$')) end
-- Totals move by float steps; rounding keeps 100 - 1e-13 from blocking the last unit.
local function used(i)
  local total = tonumber(redis.call('GET', KEYS[2 * i + 1]) or '0')
  return math.max(0, math.floor(total * 1e6 + 0.5) / 1e6)
end
local function expire(i, kind, windowMs)
  local log = KEYS[2 * i]
  local cutoff = kind == 'w' and now - windowMs or now
  local dead = redis.call('ZRANGEBYSCORE', log, '-inf', cutoff)
  if #dead == 0 then return end
  local freed = 0
  for _, member in ipairs(dead) do freed = freed + costOf(member) end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', cutoff)
  redis.call('INCRBYFLOAT', KEYS[2 * i + 1], -freed)
end
local function add(i, score, member, cost, ttl)
  redis.call('ZADD', KEYS[2 * i], score, member)
  redis.call('INCRBYFLOAT', KEYS[2 * i + 1], cost)
  redis.call('PEXPIRE', KEYS[2 * i], ttl)
  redis.call('PEXPIRE', KEYS[2 * i + 1], ttl)
end
-- Milliseconds until cost fits in window quota i, oldest entries leaving first.
local function waitFor(i, windowMs, cost, limit)
  local excess = used(i) + cost - math.max(limit, cost)
  if excess <= 0 then return 0 end
  local start = 0
  while true do
    local page = redis.call('ZRANGE', KEYS[2 * i], start, start + 99, 'WITHSCORES')
    if #page == 0 then return -1 end
    for j = 1, #page, 2 do
      excess = excess - costOf(page[j])
      if excess <= 1e-6 then return tonumber(page[j + 1]) + windowMs - now end
    end
    start = start + 100
  end
end

if command == 'take' then
  local paused = redis.call('PTTL', KEYS[1])
  if paused > 0 then return {0, paused, 0, now} end
  local worst, which = 0, 0
  for i = 1, n do
    local kind, windowMs, cost, limit = quota(i)
    cost, limit = tonumber(cost), tonumber(limit)
    expire(i, kind, windowMs)
    local ms = 0
    if kind == 'w' then ms = waitFor(i, windowMs, cost, limit)
    elseif used(i) + cost > math.max(limit, cost) + 1e-6 then ms = -1 end
    -- A full concurrency quota frees on a release somewhere: the caller asks again.
    if ms < 0 then return {0, -1, i, now} end
    if ms > worst then worst, which = ms, i end
  end
  if which > 0 then return {0, math.ceil(worst), which, now} end
  for i = 1, n do
    local kind, windowMs, cost = quota(i)
    if kind == 'w' then add(i, now, id .. '|' .. cost, cost, windowMs + 1000)
    else add(i, now + leaseMs, id .. '|' .. cost, cost, leaseMs + 1000) end
  end
  return {1, 0, 0, now}
elseif command == 'release' then
  for i = 1, n do
    local kind, windowMs, cost, actual = quota(i)
    local log, member = KEYS[2 * i], id .. '|' .. cost
    if kind == 'c' then
      if redis.call('ZREM', log, member) == 1 then
        redis.call('INCRBYFLOAT', KEYS[2 * i + 1], -tonumber(cost))
      end
    elseif actual ~= '' then
      local score = redis.call('ZSCORE', log, member)
      if score then
        redis.call('ZREM', log, member)
        redis.call('ZADD', log, score, id .. '|' .. actual)
        redis.call('INCRBYFLOAT', KEYS[2 * i + 1], tonumber(actual) - tonumber(cost))
      end
    end
  end
  return {1, 0, 0, now}
elseif command == 'raise' then
  for i = 1, n do
    local kind, windowMs, units, resetMs = quota(i)
    if kind == 'w' and units ~= '' then
      expire(i, kind, windowMs)
      local unseen = tonumber(units) - used(i)
      -- Dated so that they leave the window when the provider restores them.
      local at = now
      if resetMs ~= '' then at = math.min(now, now + tonumber(resetMs) - windowMs) end
      if unseen > 0 and at > now - windowMs then
        add(i, at, id .. '|' .. unseen, unseen, windowMs + 1000)
      end
    end
  end
  return {1, 0, 0, now}
elseif command == 'pause' then
  if redis.call('PTTL', KEYS[1]) < leaseMs then redis.call('SET', KEYS[1], '1', 'PX', leaseMs) end
  return {1, 0, 0, now}
elseif command == 'used' then
  local out = {}
  for i = 1, n do
    local kind, windowMs = quota(i)
    expire(i, kind, windowMs)
    out[i] = tostring(used(i))
  end
  return out
end
return redis.error_reply('unknown command ' .. tostring(command))
`
