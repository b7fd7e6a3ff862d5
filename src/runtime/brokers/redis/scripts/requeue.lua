-- Give unacked messages back: for each (tag, list, envelope) triple, if the tag
-- is still in unacked, remove it from unacked / unacked_index and RPUSH the
-- envelope (already marked redelivered) to the consuming end of the list, so it
-- is taken next. A tag that is gone was acked or restored already: skipped.
--
-- KEYS[1] unacked   KEYS[2] unacked_index
-- ARGV: tag1, list1, envelope1, tag2, list2, envelope2, …
-- Returns the number of messages requeued.
local n = 0
for i = 1, #ARGV, 3 do
  local tag = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], tag) == 1 then
    redis.call('HDEL', KEYS[1], tag)
    redis.call('ZREM', KEYS[2], tag)
    redis.call('RPUSH', ARGV[i + 1], ARGV[i + 2])
    n = n + 1
  end
end
return n
