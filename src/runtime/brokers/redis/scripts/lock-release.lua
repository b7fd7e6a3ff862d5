-- Release a lock only if this owner still holds it (the same check kombu's
-- unacked_mutex release does).
-- KEYS[1] lock key   ARGV[1] owner token
-- Returns 1 if released, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
