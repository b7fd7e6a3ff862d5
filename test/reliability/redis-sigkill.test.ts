/**
 * At-least-once on Redis with acks late: 2,000 tasks, the worker process
 * SIGKILLed twice in the middle of the run and replaced each time. The killed
 * worker's unacked messages come back after the visibility timeout (restored
 * by the next worker: once by its start-up scan, once by its periodic scan)
 * and every task completes. Executions are counted per task id in Redis from
 * inside the task, so re-runs are visible; duplicates are allowed (at least
 * once), losses are not.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { createApp, createLogger, type App } from '../../src/runtime';
import { flushDb, rawClient, REDIS_DB, redisUrl } from '../helpers/redis';
import { sleep, waitFor } from '../helpers/wait';
import { killHard, startRedisWorker, type WorkerProcess } from './reliability-helpers';

const DB = REDIS_DB.reliability;
const URL = redisUrl(DB);
const VT = 2; // seconds
const TASKS = 2000;
const TASK_MS = 40; // each task works this long: with -c 20 the run takes several seconds

describe('redis://: acks-late tasks survive SIGKILLed worker processes', function () {
  this.timeout(120_000);
  let raw: Redis;
  let app: App;
  const workers: WorkerProcess[] = [];

  beforeEach(async () => {
    await flushDb(DB);
    raw = rawClient(DB);
  });

  afterEach(async () => {
    for (const w of workers.splice(0)) await killHard(w);
    await app?.close();
    raw.disconnect();
    await flushDb(DB);
  });

  it('completes every one of 2,000 tasks when the worker is SIGKILLed twice mid-run and replaced', async () => {
    const queue = `sigkill-${randomUUID()}`;
    const runsKey = `runs:${queue}`;
    const spec = { broker: URL, queue, vt: VT, counterUrl: URL, runsKey, concurrency: 20 };
    app = createApp(
      { broker: URL, backend: URL, task_default_queue: queue, task_acks_late: true, broker_transport_options: { visibility_timeout: VT } },
      { log: createLogger({ level: 'silent' }), env: {} },
    );

    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i += 200) {
      const batch = await Promise.all(Array.from({ length: Math.min(200, TASKS - i) }, () => app.sendTask('reliability.count', [TASK_MS])));
      ids.push(...batch.map((r) => r.id));
    }
    assert.equal(new Set(ids).size, TASKS);
    assert.equal(await raw.llen(queue), TASKS);

    const ranAtLeastOnce = async () => raw.hlen(runsKey);

    // Worker 1: killed once a quarter of the tasks ran.
    const first = await startRedisWorker({ ...spec, name: 'first' });
    workers.push(first);
    await waitFor(async () => (await ranAtLeastOnce()) >= TASKS / 4, { timeoutMs: 30_000, intervalMs: 20, what: 'a quarter of the tasks to run' });
    await killHard(first);
    const heldByFirst = await raw.hlen('unacked');
    assert.ok(heldByFirst > 0, 'the killed worker left unacked messages behind (the kill landed mid-run)');

    // Past the visibility timeout: the replacement's start-up scan restores them.
    await sleep(VT * 1000 + 300);
    const second = await startRedisWorker({ ...spec, name: 'second' });
    workers.push(second);
    await waitFor(async () => (await ranAtLeastOnce()) >= (TASKS * 3) / 5, { timeoutMs: 30_000, intervalMs: 20, what: '60% of the tasks to run' });
    await killHard(second);
    const heldBySecond = await raw.hlen('unacked');
    assert.ok(heldBySecond > 0, 'the second killed worker left unacked messages behind');

    // Started at once: its periodic restore scan brings them back once they are older than the vt.
    const third = await startRedisWorker({ ...spec, name: 'third' });
    workers.push(third);

    // Every task ran at least once, and its result is SUCCESS.
    await waitFor(async () => (await ranAtLeastOnce()) === TASKS, { timeoutMs: 40_000, intervalMs: 50, what: 'every task to run' });
    const metaKeys = ids.map((id) => `celery-task-meta-${id}`);
    const allSucceeded = async () => {
      const metas = await raw.mget(...metaKeys);
      return metas.every((m) => m !== null && JSON.parse(m).status === 'SUCCESS');
    };
    await waitFor(allSucceeded, { timeoutMs: 20_000, intervalMs: 100, what: 'every result to be SUCCESS' });

    const runs = await raw.hgetall(runsKey);
    for (const id of ids) assert.ok(Number(runs[id]) >= 1, `task ${id} never ran`);
    assert.equal(Object.keys(runs).length, TASKS, 'no execution of an unknown id');
    const metas = await raw.mget(...metaKeys);
    for (let i = 0; i < ids.length; i++) {
      const meta = JSON.parse(metas[i]!);
      assert.equal(meta.status, 'SUCCESS', `task ${ids[i]}`);
      assert.equal(meta.task_id, ids[i]);
      assert.equal(meta.result.by, 'ts');
    }

    // Nothing left behind: queue drained, nothing held (the third worker acked everything).
    await waitFor(async () => (await raw.hlen('unacked')) === 0 && (await raw.zcard('unacked_index')) === 0, {
      timeoutMs: 10_000,
      what: 'unacked and unacked_index to be empty',
    });
    assert.equal(await raw.llen(queue), 0);
    assert.ok(third.alive(), `the third worker is still running:\n${third.output()}`);

    // Each replacement restored exactly what the killed worker held, nothing a live worker held.
    const restoredBy = (w: WorkerProcess) => [...w.output().matchAll(/restored (\d+) unacked message/g)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(restoredBy(second), heldByFirst, `second worker's restores:\n${second.output().match(/.*restored.*/g)?.join('\n')}`);
    assert.equal(restoredBy(third), heldBySecond, `third worker's restores:\n${third.output().match(/.*restored.*/g)?.join('\n')}`);

    const twice = ids.filter((id) => Number(runs[id]) >= 2);
    const executions = ids.reduce((n, id) => n + Number(runs[id]), 0);
    const maxRuns = Math.max(...ids.map((id) => Number(runs[id])));
    console.log(
      `      sigkill: ${TASKS} tasks, ${executions} executions, ${twice.length} ran more than once (max ${maxRuns}); ` +
        `unacked at kills: ${heldByFirst}, ${heldBySecond}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
