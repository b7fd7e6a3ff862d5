-- Give back what a dead consumer's waiter held: its holding list goes back to
-- the consuming end of the queue list, entry by entry as the caller rewrote
-- them (marked redelivered), and its registry entry goes. Nothing happens if
-- the consumer's guard key is back (it was alive after all) or the holding
-- list changed since the caller read it.
--
-- KEYS[1] holding list   KEYS[2] queue list   KEYS[3] the consumer's guard key
-- KEYS[4] registry hash (holding list → its consumer and queue list)
-- ARGV[1] expected length of the holding list
-- ARGV[2..] the entries to push, newest first (so the oldest is taken next)
-- Returns the number of entries given back, -1 if the consumer is alive, -2
-- if the holding list changed.
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[1]) then return -2 end
redis.call('DEL', KEYS[1])
for i = 2, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('HDEL', KEYS[4], KEYS[1])
return #ARGV - 1
