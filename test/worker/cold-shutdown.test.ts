import { strict as assert } from 'node:assert';
import { Worker, type TaskContext } from '../../src/runtime';
import { Harness, deferred, queueStats, uniqueName, waitUntil } from '../helpers/runtime-harness';

describe('worker: cold shutdown (terminate)', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('loses nothing with acksLate: running, reserved and ETA-held tasks all go back and run on a new worker', async () => {
    const app = h.app();
    const queue = app.conf.taskDefaultQueue;
    const neverEnds = deferred();
    h.onCleanup(() => neverEnds.resolve());
    const firstStarted = deferred();
    const runs: Record<string, string[]> = {};
    const t = app.task(
      uniqueName('proj.cold'),
      async (ctx: TaskContext, label: string) => {
        (runs[label] ??= []).push(ctx.hostname);
        if (ctx.hostname === 'first@test' && label === 'running') {
          firstStarted.resolve();
          await neverEnds.promise;
        }
        return label;
      },
      { bind: true, acksLate: true },
    );
    const first = h.track(new Worker(app, { concurrency: 1, hostname: 'first@test' }));
    await first.start();
    const running = await t.delay('running');
    const reserved = await t.delay('reserved');
    const held = await t.applyAsync(['held'], {}, { countdown: 0.3 });
    await firstStarted.promise;
    await waitUntil(() => first.reservedTasks().length === 1 && first.scheduledTasks().length === 1, 'one reserved, one held');

    await first.terminate();
    assert.equal(first.state, 'stopped');
    const stats = await queueStats(app, queue);
    assert.deepEqual([stats.ready, stats.unacked], [3, 0]);

    const second = h.track(new Worker(app, { concurrency: 2, hostname: 'second@test' }));
    await second.start();
    assert.equal(await running.get({ timeout: 5 }), 'running');
    assert.equal(await reserved.get({ timeout: 5 }), 'reserved');
    assert.equal(await held.get({ timeout: 5 }), 'held');
    assert.deepEqual(runs, { running: ['first@test', 'second@test'], reserved: ['second@test'], held: ['second@test'] });
  });

  it('no longer reports the tasks it gave back as its own', async () => {
    const app = h.app();
    const neverEnds = deferred();
    h.onCleanup(() => neverEnds.resolve());
    const started = deferred();
    const t = app.task(
      uniqueName('proj.cold2'),
      async (label: string) => {
        if (label === 'running') {
          started.resolve();
          await neverEnds.promise;
        }
      },
      { acksLate: true },
    );
    const worker = h.track(new Worker(app, { concurrency: 1 }));
    await worker.start();
    await t.delay('running');
    await t.delay('reserved');
    await t.applyAsync(['held'], {}, { countdown: 60 });
    await started.promise;
    await waitUntil(() => worker.reservedTasks().length === 1 && worker.scheduledTasks().length === 1, 'one reserved, one held');

    await worker.terminate();
    assert.deepEqual(
      { active: worker.activeTasks().length, reserved: worker.reservedTasks().length, scheduled: worker.scheduledTasks().length },
      { active: 0, reserved: 0, scheduled: 0 },
    );
  });
});

describe('worker: cold shutdown in a process of its own', () => {
  it('leaves no ETA timer behind: the process exits without waiting for the ETA', async function () {
    this.timeout(60_000);
    const { spawn } = await import('node:child_process');
    const path = await import('node:path');
    const script = path.join(__dirname, 'fixtures', 'terminate-with-eta.ts');
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // The held task's ETA is 120 s away; give the process a generous 30 s to exit on its own.
    const exit = await new Promise<number | null | 'still running'>((resolve) => {
      const timer = setTimeout(() => resolve('still running'), 30_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    if (exit === 'still running') child.kill('SIGKILL');
    assert.match(out, /terminated/);
    assert.equal(exit, 0, 'the process should exit by itself after terminate() and close()');
  });
});
