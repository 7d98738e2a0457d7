-- Switches the projection a base name serves, only if it still serves the expected one.
-- KEYS[1] the pointer '<base>:active'.
-- ARGV[1] base name (what a missing pointer means), ARGV[2] expected current namespace,
-- ARGV[3] new namespace.
-- Returns the namespace found: equal to ARGV[2] when the switch happened.
local current = redis.call('GET', KEYS[1])
if current == false then current = ARGV[1] end
if current ~= ARGV[2] then return current end
redis.call('SET', KEYS[1], ARGV[3])
return current
