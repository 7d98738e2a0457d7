-- Applies one projection batch to one unit atomically, or nothing at all.
-- Every key belongs to the same unit hash tag, so this also runs on Redis Cluster.
--
-- KEYS[1] meta hash, KEYS[2] open zset, KEYS[3] paused set,
-- KEYS[4 .. 3+nStates] subject state strings, then the bucket hashes in ARGV order.
-- ARGV: nStates, nBuckets, appliedAtMs, lastEventMs ('' when none), then
--   per state:  expected current value ('' = absent), new value
--   per bucket: field count, then field, increment pairs
--   meta increments: count, then field, increment pairs
--   open upserts: count, then member, score pairs
--   open removals, paused additions, paused removals: count, then members
-- Returns 0 when applied, or the 1-based index of the first state whose current value
-- differs from the expected one (another writer got there first: re-read and retry).
local nStates = tonumber(ARGV[1])
local nBuckets = tonumber(ARGV[2])
local i = 5
for s = 1, nStates do
  local current = redis.call('GET', KEYS[3 + s])
  if current == false then current = '' end
  if current ~= ARGV[i] then return s end
  i = i + 2
end
i = 5
for s = 1, nStates do
  redis.call('SET', KEYS[3 + s], ARGV[i + 1])
  i = i + 2
end
for b = 1, nBuckets do
  local key = KEYS[3 + nStates + b]
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    redis.call('HINCRBY', key, ARGV[i], ARGV[i + 1])
    i = i + 2
  end
end
local nMeta = tonumber(ARGV[i])
i = i + 1
for _ = 1, nMeta do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local nUpsert = tonumber(ARGV[i])
i = i + 1
for _ = 1, nUpsert do
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
  i = i + 2
end
local nRemove = tonumber(ARGV[i])
i = i + 1
for _ = 1, nRemove do
  redis.call('ZREM', KEYS[2], ARGV[i])
  i = i + 1
end
local nPausedAdd = tonumber(ARGV[i])
i = i + 1
for _ = 1, nPausedAdd do
  redis.call('SADD', KEYS[3], ARGV[i])
  i = i + 1
end
local nPausedRemove = tonumber(ARGV[i])
i = i + 1
for _ = 1, nPausedRemove do
  redis.call('SREM', KEYS[3], ARGV[i])
  i = i + 1
end
redis.call('HSET', KEYS[1], 'lastAppliedMs', ARGV[3])
if ARGV[4] ~= '' then
  local seen = tonumber(redis.call('HGET', KEYS[1], 'lastEventMs') or '0')
  if tonumber(ARGV[4]) > seen then redis.call('HSET', KEYS[1], 'lastEventMs', ARGV[4]) end
end
return 0
