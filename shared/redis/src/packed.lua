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
