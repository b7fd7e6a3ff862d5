/**
 * The TypeScript side of test/interop/redis-events-control.test.ts, loaded by a real
 * `celeriac worker -A` (broker and backend from -b / --result-backend).
 *
 * EC_REDIS_URL: where tasks record their runs and where `ec.block` looks for its release key.
 */
import { createApp } from 'celeriac';
import { redisFromEnv } from './ts_common';

export const app = createApp({});

const client = redisFromEnv('EC_REDIS_URL');

export const add = app.task('ec.add', (x: number, y: number) => x + y, { argNames: ['x', 'y'] });

/** Runs until `releaseKey` exists in Redis (or maxS passes): an 'active' task to inspect. */
export const block = app.task(
  'ec.block',
  async (releaseKey: string, maxS?: number) => {
    const deadline = Date.now() + (maxS ?? 30) * 1000;
    while (Date.now() < deadline) {
      if (await client().exists(releaseKey)) return 'released';
      await new Promise((r) => setTimeout(r, 50));
    }
    return 'timed out';
  },
  { argNames: ['release_key', 'max_s'] },
);

/** Records that it ran (the revoke test checks it never does). */
export const record = app.task(
  'ec.record',
  async (ctx, run: string) => {
    await client().hincrby(`ec:${run}:runs`, ctx.id, 1);
    return 'ran';
  },
  { bind: true },
);
