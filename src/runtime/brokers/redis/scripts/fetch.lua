-- Pop up to ARGV[1] messages from the queue lists in KEYS[3..] (in that order)
-- and record each one in unacked / unacked_index in the same atomic step, as
-- kombu does after BRPOP: a worker that dies now cannot lose a message.
--
-- KEYS[1] unacked (hash)   KEYS[2] unacked_index (sorted set)   KEYS[3..] lists
-- ARGV[1] max messages     ARGV[2] now (unix seconds, the score)
-- ARGV[3..] the queue name of each list (restore sends a message back there)
--
-- Returns a flat list: delivery tag ('' if none could be read), raw envelope,
-- index of the list it came from (1-based, into KEYS[3..]), for each message.
local max = tonumber(ARGV[1])
local now = ARGV[2]
local out = {}
local n = 0

local function tag_at_end(msg, needle)
  -- Plain search near the end only: a pattern match would retry at every position.
  local s = string.find(msg, needle, -128, true)
  if not s then return nil end
  local b = s + #needle
  local e = string.find(msg, '"', b, true)
  if e and e > b and string.find(msg, '^%s*}%s*}%s*$', e + 1) then return string.sub(msg, b, e - 1) end
  return nil
end

local function tag_of(msg)
  -- kombu (", " separators) and Celeriac (compact) both end the envelope with
  -- properties.delivery_tag; anything else is parsed properly.
  local tag = tag_at_end(msg, '"delivery_tag": "') or tag_at_end(msg, '"delivery_tag":"')
  if tag and not string.find(tag, '\\', 1, true) then return tag end
  local ok, env = pcall(cjson.decode, msg)
  if ok and type(env) == 'table' and type(env.properties) == 'table' then
    local t = env.properties.delivery_tag
    if type(t) == 'string' and t ~= '' then return t end
  end
  return nil
end

-- One ZADD and one HSET for the whole batch: far cheaper than a call per message.
local scores = {}
local fields = {}
for i = 3, #KEYS do
  if n >= max then break end
  local popped = redis.call('RPOP', KEYS[i], max - n)
  if popped then
    local suffix = ', "", ' .. cjson.encode(ARGV[i]) .. ']'
    for _, msg in ipairs(popped) do
      local tag = tag_of(msg)
      if tag then
        scores[#scores + 1] = now
        scores[#scores + 1] = tag
        -- kombu stores [envelope, exchange, routing_key]; '' + queue name
        -- sends a restored message back to the queue it was taken from.
        fields[#fields + 1] = tag
        fields[#fields + 1] = '[' .. msg .. suffix
      end
      out[#out + 1] = tag or ''
      out[#out + 1] = msg
      out[#out + 1] = i - 2
      n = n + 1
    end
  end
end
if #scores > 0 then
  redis.call('ZADD', KEYS[2], unpack(scores))
  redis.call('HSET', KEYS[1], unpack(fields))
end
return out
