-- Store a task result as Celery's redis backend does (SETEX + PUBLISH on the
-- key's own channel), except that a stored SUCCESS is never overwritten: a
-- second run of the same task id (redelivery) keeps the first result. Atomic,
-- so a late RETRY or STARTED cannot land over a SUCCESS.
--
-- KEYS[1] celery-task-meta-<id>
-- ARGV[1] meta JSON   ARGV[2] ttl seconds (0: no expiry)
-- Returns 1 if stored, 0 if a SUCCESS was already there.
local current = redis.call('GET', KEYS[1])
if current and string.find(current, '^%s*{%s*"status"%s*:%s*"SUCCESS"') then return 0 end
local ttl = tonumber(ARGV[2])
if ttl and ttl > 0 then
  redis.call('SETEX', KEYS[1], ttl, ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
