-- Shared by the write scripts (prepended when they are loaded).
-- Calls fn(arg, a, b) for each pair of a packed 'a\nb\na\nb…' argument. fn is a function defined
-- once and arg its state, so that no closure is made per call (most calls of a write go through here).
local function eachPair(packed, fn, arg)
  local find = string.find
  local sub = string.sub
  local pos = 1
  local len = #packed
  while pos <= len do
    local sep = find(packed, '\n', pos, true)
    local stop = find(packed, '\n', sep + 1, true) or (len + 1)
    fn(arg, sub(packed, pos, sep - 1), sub(packed, sep + 1, stop - 1))
    pos = stop + 1
  end
end

-- Calls fn(item) for each item of a packed 'item\nitem…' argument.
local function eachItem(packed, fn)
  local pos = 1
  local len = #packed
  while pos <= len do
    local stop = string.find(packed, '\n', pos, true) or (len + 1)
    fn(string.sub(packed, pos, stop - 1))
    pos = stop + 1
  end
end

-- Runs redis.call(command, ...prefix, ...args) with `args` cut into chunks of at most 4,000
-- values (Lua's stack bounds unpack): one call for many members instead of one per member.
local function variadic(command, prefix, args)
  local n = #args
  for first = 1, n, 4000 do
    local last = math.min(first + 3999, n)
    if prefix then
      redis.call(command, prefix, unpack(args, first, last))
    else
      redis.call(command, unpack(args, first, last))
    end
  end
end

-- How many of KEYS[first..last] exist: one EXISTS per 4,000 keys instead of one per key.
local function existing(first, last)
  local n = 0
  for from = first, last, 4000 do
    n = n + redis.call('EXISTS', unpack(KEYS, from, math.min(from + 3999, last)))
  end
  return n
end

-- ZADD's order for eachPair: score, then member.
local function addScored(scored, member, score)
  scored[#scored + 1] = score
  scored[#scored + 1] = member
end

-- Applies one sorted set's packed upserts ('member\nscore…') and removals ('member\nmember…').
local function applySet(key, upserts, removals)
  local scored = {}
  eachPair(upserts, addScored, scored)
  variadic('ZADD', key, scored)
  local members = {}
  eachItem(removals, function(member) members[#members + 1] = member end)
  variadic('ZREM', key, members)
end

-- HINCRBY for eachPair.
local function hincrby(key, field, n)
  redis.call('HINCRBY', key, field, n)
end

-- Applies what both write scripts apply after the states: each bucket's increments (and
-- expiry), the meta increments, each sorted set's changes, then the meta hash's lastAppliedMs,
-- revision (+1: in the same atomic step as the changes, so a reader that saw the same revision
-- knows the unit's keys are unchanged: the exporter's per-unit cache) and lastEventMs (the
-- latest). KEYS[1] is the meta hash; the buckets' then the sets' keys follow KEYS[k]; their
-- arguments start at ARGV[i] (per bucket: packed increments, expiry or ''; the meta's packed
-- increments; per set: packed upserts, packed removals).
local function applyBody(k, i, nBuckets, nSets, appliedAtMs, lastEventMs)
  for _ = 1, nBuckets do
    k = k + 1
    local key = KEYS[k]
    eachPair(ARGV[i], hincrby, key)
    if ARGV[i + 1] ~= '' then redis.call('PEXPIREAT', key, ARGV[i + 1]) end
    i = i + 2
  end
  eachPair(ARGV[i], hincrby, KEYS[1])
  i = i + 1
  for _ = 1, nSets do
    k = k + 1
    applySet(KEYS[k], ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  redis.call('HINCRBY', KEYS[1], 'revision', 1)
  if lastEventMs ~= '' and tonumber(lastEventMs) > tonumber(redis.call('HGET', KEYS[1], 'lastEventMs') or '0') then
    redis.call('HSET', KEYS[1], 'lastAppliedMs', appliedAtMs, 'lastEventMs', lastEventMs)
  else
    redis.call('HSET', KEYS[1], 'lastAppliedMs', appliedAtMs)
  end
end
