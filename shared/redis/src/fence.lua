-- Takes (or confirms) ownership of one partition's share of one unit, and reads states.
-- Every key belongs to the unit's hash tag, so this also runs on Redis Cluster.
--
-- KEYS[1] the unit's owners hash, then the subject state strings to read.
-- ARGV[1] partition, ARGV[2] the caller's fencing epoch for that partition.
-- The owners hash's field <partition> is set to the epoch unless a newer owner holds it:
-- from then on the unit refuses writes of that partition by any older epoch (owned.lua).
-- Returns -1 when a newer owner holds the partition, else { ext, { state or false, ... } }:
-- `ext` counts writes by writers that own no partition, so the caller can tell later whether
-- what it read was overwritten behind its back.
local fence = redis.call('HMGET', KEYS[1], ARGV[1], 'ext')
local owner = tonumber(fence[1] or '0')
local epoch = tonumber(ARGV[2])
if owner > epoch then return -1 end
if owner < epoch then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
local ext = tonumber(fence[2] or '0')
local states = {}
if #KEYS > 1 then states = redis.call('MGET', unpack(KEYS, 2)) end
return { ext, states }
