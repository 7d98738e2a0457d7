-- Applies one partition batch's changes to one unit atomically, or nothing at all, for the
-- projector that owns the partition (its states are in its memory, so none is read here).
-- Every key belongs to the same unit hash tag, so this also runs on Redis Cluster.
--
-- KEYS[1] meta hash, KEYS[2] the unit's owners hash, then nStates subject state strings,
-- nBuckets bucket hashes and nSets sorted sets, in ARGV order.
-- ARGV: partition, epoch, ext, nStates, nBuckets, nSets, appliedAtMs, lastEventMs ('' when
--   none), then
--   per state:  new value '<revision>|<JSON>'
--   per bucket: packed increments 'field\nn\nfield\nn…', expiry ('' = none, else epoch ms)
--   meta:       packed increments
--   per set:    packed upserts 'member\nscore…', packed removals 'member\nmember…'
-- Returns 0 when applied; -1 when the owners hash does not name this epoch for the partition
-- (another projector took the partition over, or Redis lost the fence: reload and retry);
-- -2 when a writer that owns no partition wrote the unit since the caller read it (`ext`
-- moved: the caller's states of the unit may be stale; re-read them and recompute).
local nStates = tonumber(ARGV[4])
local nBuckets = tonumber(ARGV[5])
local nSets = tonumber(ARGV[6])

if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return -1 end
if tonumber(redis.call('HGET', KEYS[2], 'ext') or '0') ~= tonumber(ARGV[3]) then return -2 end

-- eachPair, variadic and applySet come from packed.lua.

local i = 9
local states = {}
for s = 1, nStates do
  states[#states + 1] = KEYS[2 + s]
  states[#states + 1] = ARGV[i]
  i = i + 1
end
variadic('MSET', false, states)
local k = 2 + nStates
for _ = 1, nBuckets do
  k = k + 1
  local key = KEYS[k]
  eachPair(ARGV[i], function(field, n) redis.call('HINCRBY', key, field, n) end)
  if ARGV[i + 1] ~= '' then redis.call('PEXPIREAT', key, ARGV[i + 1]) end
  i = i + 2
end
eachPair(ARGV[i], function(field, n) redis.call('HINCRBY', KEYS[1], field, n) end)
i = i + 1
for _ = 1, nSets do
  k = k + 1
  local key = KEYS[k]
  applySet(key, ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('HSET', KEYS[1], 'lastAppliedMs', ARGV[7])
-- The unit's revision, as apply.lua keeps it: the exporter's per-unit cache reads it.
redis.call('HINCRBY', KEYS[1], 'revision', 1)
if ARGV[8] ~= '' then
  local seen = tonumber(redis.call('HGET', KEYS[1], 'lastEventMs') or '0')
  if tonumber(ARGV[8]) > seen then redis.call('HSET', KEYS[1], 'lastEventMs', ARGV[8]) end
end
return 0
