-- Adopt what a waiter moved into its holding list (BLMOVE queue → holding):
-- record each message the consumer received in unacked / unacked_index, as
-- the fetch script records what it pops, or carry out the settlement the
-- consumer already made of it. Messages are matched by content (SHA-1), not by
-- a tag read here, so the tag recorded is exactly the one the consumer acks.
-- Running it again with the same arguments changes nothing more (the consumer
-- repeats it when it cannot tell whether a try ran).
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
-- ARGV[3..] groups of four, one per message the consumer received:
--   SHA-1 of the message; its delivery tag ('' = none could be read: nothing
--   to record); what to do: 'r' record it, 'x' it was acked or dropped,
--   'q' requeue it; for 'q', the envelope to push back (marked redelivered).
-- Returns the number of messages recorded.
local msgs = redis.call('LRANGE', KEYS[1], 0, -1)
local at = {}
for i = 3, #ARGV, 4 do at[ARGV[i]] = i end
local held, unknown = {}, {}
-- LRANGE lists the newest first (BLMOVE pushes on the left).
for _, msg in ipairs(msgs) do
  local i = at[redis.sha1hex(msg)]
  if i then held[i] = msg else unknown[#unknown + 1] = msg end
end
if #msgs > 0 then redis.call('DEL', KEYS[1]) end

local suffix = ', "", ' .. cjson.encode(ARGV[2]) .. ']'
local scores, fields = {}, {}
for i = 3, #ARGV, 4 do
  local tag, how = ARGV[i + 1], ARGV[i + 2]
  if how == 'r' then
    if held[i] and tag ~= '' then
      scores[#scores + 1] = ARGV[1]
      scores[#scores + 1] = tag
      fields[#fields + 1] = tag
      fields[#fields + 1] = '[' .. held[i] .. suffix
    end
  else
    -- Settled: an earlier try may have recorded it; a requeue pushes it back
    -- only if it is still here or still recorded (not when a try already did).
    local recorded = tag ~= '' and redis.call('HDEL', KEYS[2], tag) == 1
    if tag ~= '' then redis.call('ZREM', KEYS[3], tag) end
    if how == 'q' and (held[i] or recorded) then redis.call('RPUSH', KEYS[4], ARGV[i + 3]) end
  end
end
if #scores > 0 then
  redis.call('ZADD', KEYS[3], unpack(scores))
  redis.call('HSET', KEYS[2], unpack(fields))
end
-- Newest first: the oldest ends up at the consuming (right) end, taken next.
if #unknown > 0 then redis.call('RPUSH', KEYS[4], unpack(unknown)) end
return #scores / 2
