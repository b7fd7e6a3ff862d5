/**
 * What the TypeScript task modules of the interop tests share (ts_tasks.ts, ts_canvas_tasks.ts,
 * ts_ec_tasks.ts), as interop_common.py is for the Python apps.
 */
import Redis from 'ioredis';

/** A getter for one Redis client, opened on first use at the URL in env var `name` (which the test sets). */
export function redisFromEnv(name: string): () => Redis {
  let redis: Redis | undefined;
  return () => {
    const url = process.env[name];
    if (!url) throw new Error(`${name} is not set`);
    redis ??= new Redis(url, { maxRetriesPerRequest: 3 });
    return redis;
  };
}
