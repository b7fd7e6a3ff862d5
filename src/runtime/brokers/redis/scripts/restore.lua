-- Restore messages whose consumer went away (visibility timeout): for each
-- (tag, expected payload, list, envelope) group, move it back only if unacked
-- still holds exactly that payload AND its unacked_index score is still older
-- than the cut-off — a live consumer refreshes the score of what it holds,
-- which is how a long ETA is not run once per visibility timeout (kombu#337).
-- Skipped entirely while kombu's unacked_mutex is held by another restorer.
--
-- KEYS[1] unacked   KEYS[2] unacked_index   KEYS[3] unacked_mutex
-- ARGV[1] cut-off score (now - visibility_timeout)
-- ARGV[2..]: tag, expected payload, list, envelope (groups of 4)
-- Returns the number of messages restored, or -1 if the mutex was held.
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local cutoff = tonumber(ARGV[1])
local n = 0
for i = 2, #ARGV, 4 do
  local tag = ARGV[i]
  local score = redis.call('ZSCORE', KEYS[2], tag)
  if score and tonumber(score) <= cutoff and redis.call('HGET', KEYS[1], tag) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], tag)
    redis.call('ZREM', KEYS[2], tag)
    redis.call('RPUSH', ARGV[i + 2], ARGV[i + 3])
    n = n + 1
  end
end
return n
