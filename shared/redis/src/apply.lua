-- Applies one projection batch to one unit atomically, or nothing at all.
-- Every key belongs to the same unit hash tag, so this also runs on Redis Cluster.
--
-- KEYS[1] meta hash, then nStates subject state strings, nBuckets bucket hashes and
-- nSets sorted sets, in ARGV order.
-- ARGV: nStates, nBuckets, nSets, appliedAtMs, lastEventMs ('' when none), then
--   per state:  expected current value ('' = absent), new value
--   per bucket: field count, then field, increment pairs, then expiry ('' = none, else epoch ms)
--   meta increments: count, then field, increment pairs
--   per set:    upsert count, then member, score pairs; removal count, then members
-- Returns 0 when applied, or the 1-based index of the first state whose current value
-- differs from the expected one (another writer got there first: re-read and retry).
local nStates = tonumber(ARGV[1])
local nBuckets = tonumber(ARGV[2])
local nSets = tonumber(ARGV[3])
local i = 6
for s = 1, nStates do
  local current = redis.call('GET', KEYS[1 + s])
  if current == false then current = '' end
  if current ~= ARGV[i] then return s end
  i = i + 2
end
i = 6
for s = 1, nStates do
  redis.call('SET', KEYS[1 + s], ARGV[i + 1])
  i = i + 2
end
local k = 1 + nStates
for _ = 1, nBuckets do
  k = k + 1
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    redis.call('HINCRBY', KEYS[k], ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  if ARGV[i] ~= '' then redis.call('PEXPIREAT', KEYS[k], ARGV[i]) end
  i = i + 1
end
local nMeta = tonumber(ARGV[i])
i = i + 1
for _ = 1, nMeta do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for _ = 1, nSets do
  k = k + 1
  local nUpsert = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, nUpsert do
    redis.call('ZADD', KEYS[k], ARGV[i + 1], ARGV[i])
    i = i + 2
  end
  local nRemove = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, nRemove do
    redis.call('ZREM', KEYS[k], ARGV[i])
    i = i + 1
  end
end
redis.call('HSET', KEYS[1], 'lastAppliedMs', ARGV[4])
if ARGV[5] ~= '' then
  local seen = tonumber(redis.call('HGET', KEYS[1], 'lastEventMs') or '0')
  if tonumber(ARGV[5]) > seen then redis.call('HSET', KEYS[1], 'lastEventMs', ARGV[5]) end
end
return 0
