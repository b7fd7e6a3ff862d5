-- One chord header task has finished: record its result and tell whether the
-- chord is complete, exactly with Celery 5.2's redis keys, so Python and TS
-- header tasks can join one chord.
-- KEYS[1] celery-taskset-meta-<gid>.j (sorted set of parts by group_index)
-- KEYS[2] ….t (size adjustment)   KEYS[3] ….s (chord size, set by the client)
-- ARGV[1] group_index   ARGV[2] part JSON [1, task_id, state, result]   ARGV[3] ttl (s)
-- Returns {1, part1, part2, …} (in group_index order; keys deleted) when
-- complete, {0} otherwise.
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ready = redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
local adjust = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local size = tonumber(redis.call('GET', KEYS[3]) or '-1')
local ttl = tonumber(ARGV[3])
if ttl and ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
end
if size and size >= 0 and ready + adjust >= size then
  local parts = redis.call('ZRANGE', KEYS[1], 0, -1)
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  local out = {1}
  for _, p in ipairs(parts) do out[#out + 1] = p end
  return out
end
return {0}
