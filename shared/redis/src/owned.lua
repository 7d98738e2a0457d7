-- Applies one partition batch's changes to one unit atomically, or nothing at all, for the
-- projector that owns the partition (its states are in its memory, so none is read here).
-- Every key belongs to the same unit hash tag, so this also runs on Redis Cluster.
--
-- KEYS[1] meta hash, KEYS[2] the unit's owners hash, then nAbsent state strings that must not
-- exist (subjects the caller takes for new without having read them), nStates subject state
-- strings, nBuckets bucket hashes and nSets sorted sets, in ARGV order.
-- ARGV: partition, epoch, ext ('' when the caller has read nothing of the unit yet), nAbsent,
--   nStates, nBuckets, nSets, appliedAtMs, lastEventMs ('' when none), then
--   the states' new values, packed: '<revision>|<JSON>\n<revision>|<JSON>…' (JSON text holds no
--     raw line feed), in the order of their keys
--   per bucket: packed increments 'field\nn\nfield\nn…', expiry ('' = none, else epoch ms)
--   meta:       packed increments
--   per set:    packed upserts 'member\nscore…', packed removals 'member\nmember…'
-- Returns the unit's `ext` (>= 0) when applied, or nothing applied and:
--   -1 a newer owner holds the partition (another projector took it over);
--   -2 `ext` moved: a writer that owns no partition wrote the unit since the caller read it;
--   -3 a state taken for new exists: the caller must read it;
--   -4 the epoch the caller recorded is gone (Redis lost writes): reload and retry.
local nAbsent = tonumber(ARGV[4])
local nStates = tonumber(ARGV[5])
local nBuckets = tonumber(ARGV[6])
local nSets = tonumber(ARGV[7])

local fence = redis.call('HMGET', KEYS[2], ARGV[1], 'ext')
local owner = tonumber(fence[1] or '0')
local epoch = tonumber(ARGV[2])
if owner > epoch then return -1 end
local ext = tonumber(fence[2] or '0')
if ARGV[3] == '' then
  -- First contact: nothing of the unit was read, so every state written is checked new below;
  -- the fence is taken here, in the same step.
  if owner < epoch then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
else
  if owner < epoch then return -4 end
  if ext ~= tonumber(ARGV[3]) then return -2 end
end
-- eachPair, variadic, existing and applyBody come from packed.lua.
if existing(3, 2 + nAbsent) > 0 then return -3 end

local states = {}
local s = 0
eachItem(ARGV[10], function(value)
  s = s + 1
  states[#states + 1] = KEYS[2 + nAbsent + s]
  states[#states + 1] = value
end)
-- Checked before anything is written: a script that fails half-way is not undone.
if s ~= nStates then return redis.error_reply('owned.lua: ' .. s .. ' state values for ' .. nStates .. ' state keys') end
variadic('MSET', false, states)
applyBody(2 + nAbsent + nStates, 11, nBuckets, nSets, ARGV[8], ARGV[9])
return ext
