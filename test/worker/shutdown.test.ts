import { strict as assert } from 'node:assert';
import { Worker, states, type TaskContext } from '../../src/runtime';
import type { TaskRejectedEvent } from '../../src/runtime/worker/worker-events';
import { Harness, deferred, queueStats, uniqueName, waitUntil } from '../helpers/runtime-harness';

describe('worker: warm shutdown', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('lets a running task finish and stores its result before stop() resolves', async () => {
    const app = h.app();
    const gate = deferred();
    const started = deferred();
    const t = app.task(uniqueName('proj.finishing'), async () => {
      started.resolve();
      await gate.promise;
      return 'finished';
    });
    const worker = h.track(new Worker(app, { concurrency: 1 }));
    await worker.start();
    const result = await t.delay();
    await started.promise;

    let stopped = false;
    const stopping = worker.stop({ timeout: 10 }).then(() => (stopped = true));
    await waitUntil(() => worker.state === 'stopping', 'the worker to be stopping');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(stopped, false, 'stop() must wait for the running task');

    gate.resolve();
    await stopping;
    assert.equal(worker.state, 'stopped');
    assert.equal(await result.state(), states.SUCCESS);
    assert.equal(await result.get({ timeout: 1 }), 'finished');
    const stats = await queueStats(app, app.conf.taskDefaultQueue);
    assert.deepEqual([stats.ready, stats.unacked], [0, 0]);
  });

  it('gives reserved (not started) and ETA-held tasks back to the broker, for another worker to run', async () => {
    const app = h.app();
    const queue = app.conf.taskDefaultQueue;
    const gate = deferred();
    h.onCleanup(() => gate.resolve());
    const firstStarted = deferred();
    const ranBy: Record<number, string> = {};
    const t = app.task(
      uniqueName('proj.work'),
      async (ctx: TaskContext, i: number) => {
        ranBy[i] = ctx.hostname;
        if (i === 0) {
          firstStarted.resolve();
          await gate.promise;
        }
        return i;
      },
      { bind: true },
    );
    const first = h.track(new Worker(app, { concurrency: 1, prefetchMultiplier: 4, hostname: 'first@test' }));
    const givenBack: TaskRejectedEvent[] = [];
    first.events.on('task-rejected', (e) => givenBack.push(e));
    await first.start();

    const results = [await t.delay(0), await t.delay(1), await t.delay(2)];
    const eta = await t.applyAsync([3], {}, { countdown: 60 });
    await firstStarted.promise;
    await waitUntil(
      () => first.reservedTasks().length === 2 && first.scheduledTasks().length === 1,
      'two reserved tasks and one scheduled task',
    );

    const stopping = first.stop({ timeout: 10 });
    // While the running task holds up the stop, the others are already back in the queue.
    await waitUntil(async () => (await queueStats(app, queue)).ready === 3, 'three messages back in the queue');
    assert.deepEqual(givenBack.map((e) => e.id).sort(), [results[1].id, results[2].id, eta.id].sort());
    assert.ok(givenBack.every((e) => e.requeued && /shutdown/.test(e.reason)));

    gate.resolve();
    await stopping;
    const stats = await queueStats(app, queue);
    assert.deepEqual([stats.ready, stats.unacked], [3, 0]);
    assert.equal(await results[0].get({ timeout: 1 }), 0);

    const second = h.track(new Worker(app, { concurrency: 1, hostname: 'second@test' }));
    await second.start();
    assert.equal(await results[1].get({ timeout: 5 }), 1);
    assert.equal(await results[2].get({ timeout: 5 }), 2);
    assert.deepEqual(ranBy, { 0: 'first@test', 1: 'second@test', 2: 'second@test' });
    // The ETA task is held again by the new worker, not run early.
    await waitUntil(() => second.scheduledTasks().length === 1, 'the ETA task to be held by the second worker');
    assert.equal(second.scheduledTasks()[0].id, eta.id);
  });

  for (const acksLate of [true, false]) {
    const how = acksLate ? 'requeues it (acksLate)' : 'republishes it (early ack)';
    it(`gives back a task still running at the shutdown timeout: ${how}, and a new worker completes it`, async () => {
      const app = h.app();
      const queue = app.conf.taskDefaultQueue;
      const neverEnds = deferred<string>();
      h.onCleanup(() => neverEnds.resolve('released at cleanup'));
      const firstStarted = deferred();
      const attempts: { hostname: string; redelivered: boolean }[] = [];
      const t = app.task(
        uniqueName('proj.stuck'),
        async (ctx: TaskContext) => {
          attempts.push({ hostname: ctx.hostname, redelivered: ctx.deliveryInfo.redelivered });
          if (attempts.length === 1) {
            firstStarted.resolve();
            return neverEnds.promise;
          }
          return `done by ${ctx.hostname}`;
        },
        { bind: true, acksLate },
      );
      const first = h.track(new Worker(app, { concurrency: 1, hostname: 'first@test' }));
      await first.start();
      const result = await t.delay();
      await firstStarted.promise;

      await first.stop({ timeout: 0.1 });
      assert.equal(first.state, 'stopped');
      const stats = await queueStats(app, queue);
      assert.deepEqual([stats.ready, stats.unacked], [1, 0], 'the task is back in the queue, once');
      assert.equal(await result.state(), states.PENDING);

      const second = h.track(new Worker(app, { concurrency: 1, hostname: 'second@test' }));
      await second.start();
      assert.equal(await result.get({ timeout: 5 }), 'done by second@test');
      assert.equal(attempts.length, 2);
      if (acksLate) assert.equal(attempts[1].redelivered, true, 'a requeued message is marked redelivered');

      // The first attempt finishing late does not overwrite the result.
      neverEnds.resolve('late result');
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(await result.get({ timeout: 1 }), 'done by second@test');
    });
  }

  it('consumes nothing once stopped: a task sent afterwards waits in the queue for the next worker', async () => {
    const app = h.app();
    const t = app.task(uniqueName('proj.after'), () => 'ran');
    const worker = h.track(new Worker(app, { concurrency: 1 }));
    await worker.start();
    await worker.stop({ timeout: 1 });
    const result = await t.delay();
    const stats = await queueStats(app, app.conf.taskDefaultQueue);
    assert.deepEqual([stats.ready, stats.unacked, stats.consumers], [1, 0, 0]);
    await h.track(new Worker(app)).start();
    assert.equal(await result.get({ timeout: 5 }), 'ran');
  });
});
