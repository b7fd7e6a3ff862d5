-- Record the messages a waiter moved into its holding list (BLMOVE queue →
-- holding) in unacked / unacked_index, as the fetch script records what it
-- pops. Messages are matched by content (SHA-1), not by any tag read here, so
-- the tag recorded is exactly the one the consumer will ack with.
--
-- A message in the holding list that the consumer does not name was moved
-- there by a BLMOVE whose reply never reached it (connection lost): it was
-- never delivered, so it goes back to the consuming end of its list. So only
-- the waiter's own connection, or the consumer once that connection is gone,
-- runs this: anyone else could race a BLMOVE whose reply is on its way.
--
-- KEYS[1] holding list   KEYS[2] unacked   KEYS[3] unacked_index
-- KEYS[4] the queue list the holding list is filled from
-- ARGV[1] now (unix seconds, the score)
-- ARGV[2] queue name (restore sends a message back there)
-- ARGV[3..] pairs: SHA-1 of a message the consumer received, its delivery tag
--           ('' = nothing to record: the consumer could not read a tag)
-- Returns the number of messages recorded.
local msgs = redis.call('LRANGE', KEYS[1], 0, -1)
if #msgs == 0 then return 0 end
local known = {}
for i = 3, #ARGV, 2 do known[ARGV[i]] = ARGV[i + 1] end
local suffix = ', "", ' .. cjson.encode(ARGV[2]) .. ']'
local scores, fields, unknown = {}, {}, {}
-- LRANGE lists the newest first (BLMOVE pushes on the left).
for _, msg in ipairs(msgs) do
  local tag = known[redis.sha1hex(msg)]
  if tag == nil then
    unknown[#unknown + 1] = msg
  elseif tag ~= '' then
    scores[#scores + 1] = ARGV[1]
    scores[#scores + 1] = tag
    fields[#fields + 1] = tag
    fields[#fields + 1] = '[' .. msg .. suffix
  end
end
if #scores > 0 then
  redis.call('ZADD', KEYS[3], unpack(scores))
  redis.call('HSET', KEYS[2], unpack(fields))
end
redis.call('DEL', KEYS[1])
-- Newest first: the oldest ends up at the consuming (right) end, taken next.
if #unknown > 0 then redis.call('RPUSH', KEYS[4], unpack(unknown)) end
return #scores / 2
