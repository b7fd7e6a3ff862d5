import { strict as assert } from 'node:assert';
import { TaskRevokedError, Worker, states } from '../../src/runtime';
import { Harness, queueStats, uniqueName, waitUntil } from '../helpers/runtime-harness';

describe('worker: ETA, countdown and expires', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('runs a countdown task after its ETA without blocking an immediate task sent later (concurrency 1)', async () => {
    const app = h.app();
    const log: { what: string; at: number }[] = [];
    const t = app.task(uniqueName('proj.mark'), (what: string) => {
      log.push({ what, at: Date.now() });
      return what;
    });
    // prefetch 1: the held ETA task must not take the only slot.
    await h.track(new Worker(app, { concurrency: 1, prefetchMultiplier: 1 })).start();

    const sentAt = Date.now();
    const later = await t.applyAsync(['later'], {}, { countdown: 0.3 });
    const now = await t.delay('now');

    assert.equal(await now.get({ timeout: 5 }), 'now');
    assert.equal(await later.state(), states.PENDING, 'the ETA task must not have run yet');
    assert.equal(await later.get({ timeout: 5 }), 'later');

    assert.deepEqual(
      log.map((e) => e.what),
      ['now', 'later'],
    );
    const ranAt = log[1].at;
    assert.ok(ranAt >= sentAt + 300 - 5, `ETA task ran ${ranAt - sentAt} ms after it was sent, before its countdown of 300 ms`);
  });

  it('holds a task given an absolute eta until that time', async () => {
    const app = h.app();
    let ranAt = 0;
    const t = app.task(uniqueName('proj.at'), () => {
      ranAt = Date.now();
      return 'ran';
    });
    const worker = h.track(new Worker(app, { concurrency: 1 }));
    await worker.start();
    const eta = new Date(Date.now() + 250);
    const result = await t.applyAsync([], {}, { eta });
    await waitUntil(() => worker.scheduledTasks().length === 1, 'the task to be scheduled');
    assert.equal(worker.scheduledTasks()[0].id, result.id);
    assert.equal(await result.get({ timeout: 5 }), 'ran');
    assert.ok(ranAt >= eta.getTime() - 5, `ran ${eta.getTime() - ranAt} ms before its eta`);
    assert.equal(worker.scheduledTasks().length, 0);
  });

  it('keeps an ETA task unacked in the broker until it runs', async () => {
    const app = h.app();
    const t = app.task(uniqueName('proj.held'), () => 'done');
    const worker = h.track(new Worker(app, { concurrency: 1 }));
    await worker.start();
    const result = await t.applyAsync([], {}, { countdown: 0.3 });
    await waitUntil(() => worker.scheduledTasks().length === 1, 'the task to be scheduled');
    assert.deepEqual(
      await queueStats(app, app.conf.taskDefaultQueue).then((s) => [s.ready, s.unacked]),
      [0, 1],
    );
    await result.get({ timeout: 5 });
    await waitUntil(async () => (await queueStats(app, app.conf.taskDefaultQueue)).unacked === 0, 'the ack');
  });

  it('revokes a task whose expires is in the past: REVOKED, get() throws TaskRevokedError, and it never runs', async () => {
    const app = h.app();
    let ran = false;
    const t = app.task(uniqueName('proj.stale'), () => {
      ran = true;
    });
    const worker = h.track(new Worker(app));
    const revoked: string[] = [];
    worker.events.on('task-revoked', (e) => revoked.push(e.id));
    await worker.start();

    const result = await t.applyAsync([], {}, { expires: new Date(Date.now() - 1000) });
    await assert.rejects(result.get({ timeout: 5 }), TaskRevokedError);
    assert.equal(await result.state(), states.REVOKED);
    assert.equal(ran, false);
    assert.deepEqual(revoked, [result.id]);
    const stats = await queueStats(app, app.conf.taskDefaultQueue);
    assert.deepEqual([stats.ready, stats.unacked], [0, 0]);
  });

  it('revokes an ETA task whose expires passes while it waits for its ETA', async () => {
    const app = h.app();
    let ran = false;
    const t = app.task(uniqueName('proj.late'), () => {
      ran = true;
    });
    await h.track(new Worker(app)).start();
    const result = await t.applyAsync([], {}, { countdown: 0.2, expires: 0.1 });
    await assert.rejects(result.get({ timeout: 5 }), TaskRevokedError);
    assert.equal(ran, false);
  });

  it('runs a task whose expires is in the future', async () => {
    const app = h.app();
    const t = app.task(uniqueName('proj.fresh'), () => 'fresh');
    await h.track(new Worker(app)).start();
    assert.equal(await (await t.applyAsync([], {}, { expires: 60 })).get({ timeout: 5 }), 'fresh');
  });
});
