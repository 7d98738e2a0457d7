-- Applies one projection batch to one unit atomically, or nothing at all.
-- Every key belongs to the same unit hash tag, so this also runs on Redis Cluster.
--
-- KEYS[1] meta hash, KEYS[2] the unit's owners hash, then nStates subject state strings,
-- nBuckets bucket hashes and nSets sorted sets, in ARGV order.
-- ARGV: nStates, nBuckets, nSets, appliedAtMs, lastEventMs ('' when none), then
--   per state:  expected revision ('' = absent), new value '<revision>|<JSON>'
--   per bucket: packed increments 'field\nn\nfield\nn…', expiry ('' = none, else epoch ms)
--   meta:       packed increments
--   per set:    packed upserts 'member\nscore…', packed removals 'member\nmember…'
-- The meta hash gets lastAppliedMs, lastEventMs (the latest) and revision (+1 per applied call);
-- the owners hash's `ext` gets +1: this writer owns no partition, so the projectors that own
-- partitions of the unit learn that their in-memory states of it may be stale (owned.lua).
-- Returns 0 when applied, or the 1-based index of the first state whose revision differs
-- from the expected one (another writer got there first: re-read and retry).
local nStates = tonumber(ARGV[1])
local nBuckets = tonumber(ARGV[2])
local nSets = tonumber(ARGV[3])

-- eachPair, variadic and applyBody come from packed.lua.

local i = 6
for s = 1, nStates do
  local current = redis.call('GET', KEYS[2 + s])
  local revision = ''
  if current then revision = string.sub(current, 1, string.find(current, '|', 1, true) - 1) end
  if revision ~= ARGV[i] then return s end
  i = i + 2
end
i = 6
for s = 1, nStates do
  redis.call('SET', KEYS[2 + s], ARGV[i + 1])
  i = i + 2
end
applyBody(2 + nStates, i, nBuckets, nSets, ARGV[4], ARGV[5])
redis.call('HINCRBY', KEYS[2], 'ext', 1)
return 0
