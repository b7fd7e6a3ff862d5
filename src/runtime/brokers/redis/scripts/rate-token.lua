-- A token for a rate limit shared by every worker (GCRA): the key holds the
-- "theoretical arrival time" of the next request, in ms.
-- KEYS[1] limiter key   ARGV[1] now (ms)   ARGV[2] interval between tokens (ms)
-- ARGV[3] burst (tokens that may be taken at once)
-- Returns 0 if a token was taken, else the ms to wait before trying again.
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_at = tat - interval * (burst - 1)
if allowed_at > now then return math.ceil(allowed_at - now) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now + interval))
return 0
