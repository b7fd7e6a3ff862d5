import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { Worker, type App, type AsyncResult } from '../../src/runtime';
import { loadTaskModule } from '../../src/runtime/loader/load-task-module';
import { Harness, quietLog, uniqueQueue } from '../helpers/runtime-harness';
import { failureOf } from '../helpers/runtime-harness';

const MODULE = path.join(__dirname, 'fixtures', 'pool-tasks.ts');

describe('worker: process pool', function () {
  this.timeout(30_000);
  const h = new Harness();
  let app: App;

  before(async () => {
    // The same module the children load, so the parent knows the same tasks and options.
    const loaded = await loadTaskModule(MODULE);
    assert.ok(loaded.app, 'the fixture module exports an app');
    app = loaded.app;
  });
  after(() => app?.close());
  afterEach(() => h.cleanup());

  /** A process-pool worker on a fresh queue, and a way to send to that queue. */
  async function poolWorker(options: { concurrency?: number; maxTasksPerChild?: number } = {}) {
    const queue = uniqueQueue('pool');
    const worker = h.track(
      new Worker(app, {
        pool: 'process',
        module: MODULE,
        queues: [queue],
        concurrency: options.concurrency ?? 1,
        maxTasksPerChild: options.maxTasksPerChild,
        log: quietLog,
      }),
    );
    h.onCleanup(() => worker.stop({ timeout: 0 }));
    await worker.start();
    const send = <R = unknown>(name: string, args: unknown[] = []): Promise<AsyncResult<R>> =>
      app.sendTask<R>(`pooltest.${name}`, args, {}, { queue });
    return { worker, queue, send };
  }

  it('runs tasks in child processes, not in the worker process', async () => {
    const { send } = await poolWorker();
    const pid = await (await send<number>('pid')).get({ timeout: 10 });
    assert.equal(typeof pid, 'number');
    assert.notEqual(pid, process.pid);
    assert.equal(await (await send<number>('add', [2, 3])).get({ timeout: 10 }), 5);
  });

  it('replaces a child after maxTasksPerChild tasks (2 per child: 5 tasks see at least 3 processes)', async () => {
    const { send } = await poolWorker({ concurrency: 1, maxTasksPerChild: 2 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await send<number>('pid'));
    const pids = await Promise.all(results.map((r) => r.get({ timeout: 20 })));
    assert.ok(new Set(pids).size >= 3, `expected at least 3 distinct pids, got ${pids.join(', ')}`);
    assert.ok(!pids.includes(process.pid));
  });

  it('kills a child past the hard time limit: FAILURE TimeLimitExceeded, and the next task still runs', async () => {
    const { send } = await poolWorker({ concurrency: 1 });
    const before = await (await send<number>('pid')).get({ timeout: 10 });
    const spun = await send('spin');
    const err = await failureOf(spun.get({ timeout: 10 }));
    assert.equal(err.excType, 'TimeLimitExceeded');
    const after = await (await send<number>('pid')).get({ timeout: 10 });
    assert.notEqual(after, before, 'the killed child was replaced by a new process');
  });

  it('reports a child that exits mid-task as WorkerLostError and recovers', async () => {
    const { send } = await poolWorker({ concurrency: 1 });
    const died = await send('die');
    const err = await failureOf(died.get({ timeout: 10 }));
    assert.equal(err.excType, 'WorkerLostError');
    assert.match(err.excMessage, /exitcode 1/);
    assert.equal(await (await send<number>('add', [20, 22])).get({ timeout: 10 }), 42);
  });

  it("aborts the task's signal in the child with SoftTimeLimitExceeded at the soft time limit", async () => {
    const { send } = await poolWorker({ concurrency: 1 });
    const value = await (await send<{ reason: string; pid: number }>('soft')).get({ timeout: 10 });
    assert.equal(value.reason, 'SoftTimeLimitExceeded');
    assert.notEqual(value.pid, process.pid);
  });

  it("lets a task in a child send another task through the parent's memory broker", async () => {
    const { queue, send } = await poolWorker({ concurrency: 1 });
    const spawned = await (await send<{ childId: string; pid: number }>('spawn', [queue, 4, 5])).get({ timeout: 10 });
    assert.notEqual(spawned.pid, process.pid);
    assert.equal(await app.asyncResult<number>(spawned.childId).get({ timeout: 10 }), 9);
  });
});
