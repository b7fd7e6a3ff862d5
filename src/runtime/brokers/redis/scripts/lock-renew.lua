-- Extend a lock only if this owner still holds it.
-- KEYS[1] lock key   ARGV[1] owner token   ARGV[2] ttl (ms)
-- Returns 1 if renewed, 0 if the lock is someone else's or gone.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
