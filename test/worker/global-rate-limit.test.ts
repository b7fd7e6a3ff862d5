/**
 * A rate limit shared by every worker (globalRateLimit), through the
 * coordination store: the embedded hub for memory://, Redis for redis://.
 * The spacing between task starts IS the behaviour under test.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createApp, Worker, type App } from '../../src/runtime';
import { Harness, quietLog, uniqueName } from '../helpers/runtime-harness';
import { flushDb, redisUrl } from '../helpers/redis';

const REDIS_DB = 5;

async function startsOf(apps: App[], name: string, total: number, sendTo: App): Promise<number[]> {
  const starts: number[] = [];
  for (const app of apps) app.task(name, () => void starts.push(Date.now()), { globalRateLimit: '10/s' });
  const results = await Promise.all(Array.from({ length: total }, () => sendTo.sendTask(name)));
  await Promise.all(results.map((r) => r.get({ timeout: 15 })));
  return starts.sort((a, b) => a - b);
}

function minGap(starts: number[]): number {
  let min = Infinity;
  for (let i = 1; i < starts.length; i++) min = Math.min(min, starts[i] - starts[i - 1]);
  return min;
}

describe('global rate limit (shared by every worker)', function () {
  this.timeout(30_000);

  describe('on memory://', () => {
    const h = new Harness();
    afterEach(() => h.cleanup());

    it('spaces task starts across two workers by the one shared limit', async () => {
      const queue = `grl-${randomUUID()}`;
      const a = h.app({ task_default_queue: queue });
      const b = h.app({ task_default_queue: queue });
      const name = uniqueName('grl.tick');
      const w1 = h.track(new Worker(a, { concurrency: 4 }));
      const w2 = h.track(new Worker(b, { concurrency: 4 }));
      const startsPromise = startsOf([a, b], name, 6, a);
      await Promise.all([w1.start(), w2.start()]);
      const starts = await startsPromise;
      assert.equal(starts.length, 6);
      // 10/s shared: at least ~100 ms between any two starts, whichever worker ran them.
      assert.ok(minGap(starts) >= 85, `gap ${minGap(starts)} ms`);
      assert.ok(w1.processed > 0 && w2.processed > 0, `both workers ran tasks (${w1.processed} / ${w2.processed})`);
    });

    it('does not hold back other tasks', async () => {
      const app = h.app();
      const limited = uniqueName('grl.slow');
      const free = uniqueName('grl.free');
      const order: string[] = [];
      app.task(limited, () => void order.push('limited'), { globalRateLimit: '2/s' });
      app.task(free, () => void order.push('free'));
      await h.track(new Worker(app, { concurrency: 2 })).start();
      const rs = [await app.sendTask(limited), await app.sendTask(limited), await app.sendTask(free)];
      await Promise.all(rs.map((r) => r.get({ timeout: 10 })));
      assert.deepEqual(order, ['limited', 'free', 'limited']);
    });
  });

  describe('on redis://', () => {
    const apps: App[] = [];
    const workers: Worker[] = [];
    before(() => flushDb(REDIS_DB));
    after(async () => {
      for (const w of workers) await w.stop();
      for (const a of apps) await a.close();
      await flushDb(REDIS_DB);
    });

    it('spaces task starts across two workers through Redis', async () => {
      const queue = `grl-${randomUUID()}`;
      const url = redisUrl(REDIS_DB);
      const make = () => {
        const app = createApp({ broker: url, backend: url, task_default_queue: queue }, { log: quietLog, env: {} });
        apps.push(app);
        return app;
      };
      const a = make();
      const b = make();
      const name = `grl.redis.${randomUUID()}`;
      const w1 = new Worker(a, { concurrency: 4, enableRemoteControl: false, sendEvents: false });
      const w2 = new Worker(b, { concurrency: 4, enableRemoteControl: false, sendEvents: false });
      workers.push(w1, w2);
      const startsPromise = startsOf([a, b], name, 6, a);
      await Promise.all([w1.start(), w2.start()]);
      const starts = await startsPromise;
      assert.ok(minGap(starts) >= 85, `gap ${minGap(starts)} ms`);
    });
  });
});
