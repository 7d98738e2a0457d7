-- Reads one page of a unit's sorted set in order (score, then member byte by byte, as Redis
-- sorts it), inside a score range, after a cursor, with the stored state of every member read,
-- all in one atomic step. The state keys are named by the members, so they cannot be declared;
-- they carry the same unit hash tag as KEYS[1] and so live on the same Redis Cluster slot.
--
-- KEYS[1] the sorted set.
-- ARGV[1] lowest score, inclusive ('-inf' or a number), ARGV[2] highest score in range syntax
--   ('+inf', '<n>' or '(<n>' for exclusive), ARGV[3] page size,
-- ARGV[4] cursor score ('' = from the start of the range), ARGV[5] cursor member,
-- ARGV[6] prefix of the members' state keys.
-- Returns { more, member, score, state, member, score, state, ... }: more is 1 when members of
-- the range follow the page; a missing state is nil.
local key = KEYS[1]
local limit = tonumber(ARGV[3])

-- True when member a sorts after member b: bytes compared as unsigned, a prefix first (memcmp,
-- Redis's order for equal scores; Lua's own string order follows the server's locale).
local function after(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end

-- The rank of the first member inside the range.
local first = 0
if ARGV[1] ~= '-inf' then first = redis.call('ZCOUNT', key, '-inf', '(' .. ARGV[1]) end

-- The rank right after the cursor's position: found by its member when it is still there with
-- the same score, else (it left or moved) by searching the members of that score.
if ARGV[4] ~= '' then
  local score, member = ARGV[4], ARGV[5]
  local start
  local held = redis.call('ZSCORE', key, member)
  if held and tonumber(held) == tonumber(score) then
    start = redis.call('ZRANK', key, member) + 1
  else
    local lo = redis.call('ZCOUNT', key, '-inf', '(' .. score)
    local hi = lo + redis.call('ZCOUNT', key, score, score)
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if after(redis.call('ZRANGE', key, mid, mid)[1], member) then hi = mid else lo = mid + 1 end
    end
    start = lo
  end
  if start > first then first = start end
end

local last = redis.call('ZCOUNT', key, '-inf', ARGV[2]) - 1
local stop = math.min(first + limit - 1, last)
local out = { 0 }
if stop >= first then
  local page = redis.call('ZRANGE', key, first, stop, 'WITHSCORES')
  for i = 1, #page, 2 do
    out[#out + 1] = page[i]
    out[#out + 1] = page[i + 1]
    out[#out + 1] = redis.call('GET', ARGV[6] .. page[i])
  end
end
if stop < last then out[1] = 1 end
return out
