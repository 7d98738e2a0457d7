-- Shared by the write scripts (prepended when they are loaded).
-- Calls fn(a, b) for each pair of a packed 'a\nb\na\nb…' argument.
local function eachPair(packed, fn)
  local pos = 1
  local len = #packed
  while pos <= len do
    local sep = string.find(packed, '\n', pos, true)
    local stop = string.find(packed, '\n', sep + 1, true) or (len + 1)
    fn(string.sub(packed, pos, sep - 1), string.sub(packed, sep + 1, stop - 1))
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

-- Applies one sorted set's packed upserts ('member\nscore…') and removals ('member\nmember…').
local function applySet(key, upserts, removals)
  local scored = {}
  eachPair(upserts, function(member, score)
    scored[#scored + 1] = score
    scored[#scored + 1] = member
  end)
  variadic('ZADD', key, scored)
  local members = {}
  eachItem(removals, function(member) members[#members + 1] = member end)
  variadic('ZREM', key, members)
end
