import { strict as assert } from 'node:assert';
import { Worker, states } from '../../src/runtime';
import { Harness, deferred, queueStats, sleep, uniqueName, waitUntil } from '../helpers/runtime-harness';

describe('worker: acknowledgement and prefetch', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  async function blockedTask(options: { acksLate?: boolean; config?: Record<string, unknown> } = {}) {
    const app = h.app(options.config ?? {});
    const gate = deferred();
    h.onCleanup(() => gate.resolve());
    const started = deferred();
    const t = app.task(
      uniqueName('proj.blocked'),
      async () => {
        started.resolve();
        await gate.promise;
        return 'done';
      },
      options.acksLate === undefined ? {} : { acksLate: options.acksLate },
    );
    const worker = h.track(new Worker(app, { concurrency: 1 }));
    await worker.start();
    const result = await t.delay();
    await started.promise;
    return { app, gate, result, queue: app.conf.taskDefaultQueue };
  }

  it('acks a task early, when it starts (no unacked message while it runs)', async () => {
    const { app, gate, result, queue } = await blockedTask();
    const stats = await queueStats(app, queue);
    assert.deepEqual([stats.ready, stats.unacked], [0, 0]);
    gate.resolve();
    assert.equal(await result.get({ timeout: 5 }), 'done');
  });

  it('with acksLate on the task, keeps the message unacked while it runs and acks it after', async () => {
    const { app, gate, result, queue } = await blockedTask({ acksLate: true });
    const stats = await queueStats(app, queue);
    assert.deepEqual([stats.ready, stats.unacked], [0, 1]);
    gate.resolve();
    assert.equal(await result.get({ timeout: 5 }), 'done');
    await waitUntil(async () => (await queueStats(app, queue)).unacked === 0, 'the late ack');
    assert.equal((await queueStats(app, queue)).ready, 0);
  });

  it('with the task_acks_late setting, keeps the message unacked while it runs', async () => {
    const { app, gate, result, queue } = await blockedTask({ config: { task_acks_late: true } });
    assert.equal((await queueStats(app, queue)).unacked, 1);
    gate.resolve();
    await result.get({ timeout: 5 });
  });

  it('a task option acksLate: false overrides the task_acks_late setting', async () => {
    const { app, gate, result, queue } = await blockedTask({ acksLate: false, config: { task_acks_late: true } });
    assert.equal((await queueStats(app, queue)).unacked, 0);
    gate.resolve();
    await result.get({ timeout: 5 });
  });

  it('acks late even when the task fails', async () => {
    const app = h.app();
    const t = app.task(
      uniqueName('proj.failslate'),
      () => {
        throw new Error('nope');
      },
      { acksLate: true },
    );
    await h.track(new Worker(app)).start();
    const result = await t.delay();
    await result.get({ timeout: 5 }).catch(() => undefined);
    assert.equal(await result.state(), states.FAILURE);
    await waitUntil(async () => (await queueStats(app, app.conf.taskDefaultQueue)).unacked === 0, 'the late ack');
    assert.equal((await queueStats(app, app.conf.taskDefaultQueue)).ready, 0, 'a failed acks-late task is not requeued');
  });

  describe('prefetch (concurrency 1 × prefetchMultiplier 2)', () => {
    async function fiveTasks(acksLate: boolean) {
      const app = h.app();
      const gate = deferred();
      h.onCleanup(() => gate.resolve());
      let running = 0;
      let maxRunning = 0;
      const t = app.task(
        uniqueName('proj.pf'),
        async (i: number) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await gate.promise;
          running--;
          return i;
        },
        { acksLate },
      );
      const worker = h.track(new Worker(app, { concurrency: 1, prefetchMultiplier: 2 }));
      const started: number[] = [];
      worker.events.on('task-started', () => started.push(Date.now()));
      await worker.start();
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await t.delay(i));
      await waitUntil(() => started.length === 1, 'the first task to start');
      await sleep(30); // let the broker deliver whatever it is going to deliver
      return { app, gate, worker, results, queue: app.conf.taskDefaultQueue, maxRunning: () => maxRunning };
    }

    it('with acksLate, has at most 2 messages unacked (1 running, 1 reserved) and the rest ready in the broker', async () => {
      const { app, gate, worker, results, queue, maxRunning } = await fiveTasks(true);
      const stats = await queueStats(app, queue);
      assert.deepEqual([stats.ready, stats.unacked], [3, 2]);
      assert.equal(worker.activeTasks().length, 1);
      assert.equal(worker.reservedTasks().length, 1);
      gate.resolve();
      assert.deepEqual(await Promise.all(results.map((r) => r.get({ timeout: 5 }))), [0, 1, 2, 3, 4]);
      assert.equal(maxRunning(), 1);
    });

    it('with early ack, reserves at most 2 more while one runs and leaves the rest ready in the broker', async () => {
      const { app, gate, worker, results, queue, maxRunning } = await fiveTasks(false);
      const stats = await queueStats(app, queue);
      assert.deepEqual([stats.ready, stats.unacked], [2, 2]);
      assert.equal(worker.activeTasks().length, 1);
      assert.equal(worker.reservedTasks().length, 2);
      gate.resolve();
      assert.deepEqual(await Promise.all(results.map((r) => r.get({ timeout: 5 }))), [0, 1, 2, 3, 4]);
      assert.equal(maxRunning(), 1);
    });
  });
});
