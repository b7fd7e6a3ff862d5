/**
 * A result backend that refuses writes (down, full, misconfigured) must not
 * take the worker down: the failure is logged and consumption goes on.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Worker, protocol, type ResultBackend } from '../../src/runtime';
import { pendingMeta } from '../../src/runtime/backends/backend';
import type { TaskMeta } from '../../src/runtime/protocol/result-meta';
import { Harness, deferred, nextEvent, queueStats, sleep, uniqueName } from '../helpers/runtime-harness';

/** A backend that refuses to store the given states and records what it did store. */
function refusingBackend(refused: string[]): ResultBackend & { stored: TaskMeta[] } {
  const stored: TaskMeta[] = [];
  return {
    url: 'refusing://',
    enabled: true,
    stored,
    async storeResult(meta) {
      if (refused.includes(meta.status)) throw new Error(`cannot store ${meta.status}: backend is down`);
      stored.push(meta);
    },
    getTaskMeta: async (id) => stored.filter((m) => m.task_id === id).pop() ?? pendingMeta(id),
    waitFor: async () => {
      throw new Error('not supported by this test backend');
    },
    getTaskMetas: async (ids) => ids.map((id) => stored.filter((m) => m.task_id === id).pop() ?? pendingMeta(id)),
    forget: async () => undefined,
    saveGroup: async () => undefined,
    restoreGroup: async () => undefined,
    forgetGroup: async () => undefined,
    setChordSize: async () => undefined,
    onChordPart: async () => undefined,
    close: async () => undefined,
  };
}

describe('worker: a failing result backend does not stop the worker', () => {
  const h = new Harness();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    await h.cleanup();
  });

  it('survives an unknown task name when the NotRegistered FAILURE cannot be stored', async () => {
    const backend = refusingBackend(['FAILURE']);
    const app = h.app({ backend });
    const queue = app.conf.taskDefaultQueue;
    const ok = app.task(uniqueName('proj.ok'), () => 'ok');
    const worker = h.track(new Worker(app, { concurrency: 1 }));
    await worker.start();

    const rejected = nextEvent(worker, 'task-rejected');
    const broker = await app.connectBroker();
    await broker.publish(
      protocol.encodeTaskMessage({ id: randomUUID(), task: 'proj.unknown', args: [], kwargs: {}, origin: 'test' }),
      { exchange: '', routingKey: queue },
    );
    assert.match((await rejected).reason, /unregistered/);
    await sleep(20); // long enough for an unhandled rejection to be reported

    assert.deepEqual(unhandled.map(String), [], 'no unhandled promise rejection (it would kill a real worker process)');
    assert.equal(worker.state, 'running');
    const succeeded = nextEvent(worker, 'task-succeeded');
    const result = await ok.delay();
    assert.equal((await succeeded).id, result.id);
    assert.equal(backend.stored.find((m) => m.task_id === result.id)?.status, 'SUCCESS');
  });

  it('survives a backend that refuses the STARTED state (trackStarted), and still stores the final state', async () => {
    const backend = refusingBackend(['STARTED']);
    const app = h.app({ backend, task_track_started: true });
    const gate = deferred();
    h.onCleanup(() => gate.resolve());
    const t = app.task(uniqueName('proj.tracked'), async () => {
      await gate.promise;
      return 'done';
    });
    const worker = h.track(new Worker(app, { concurrency: 1 }));
    await worker.start();

    const started = nextEvent(worker, 'task-started');
    const result = await t.delay();
    await started;
    await sleep(20); // the STARTED write fails while the task is still running
    const succeeded = nextEvent(worker, 'task-succeeded');
    gate.resolve();
    await succeeded;
    await sleep(20);

    assert.deepEqual(unhandled.map(String), [], 'no unhandled promise rejection (it would kill a real worker process)');
    assert.equal(worker.state, 'running');
    assert.equal(backend.stored.find((m) => m.task_id === result.id)?.status, 'SUCCESS');
  });

  it('acks and moves on when the final state cannot be stored', async () => {
    const backend = refusingBackend(['SUCCESS', 'FAILURE']);
    const app = h.app({ backend });
    const queue = app.conf.taskDefaultQueue;
    let runs = 0;
    const t = app.task(uniqueName('proj.unstored'), () => ++runs, { acksLate: true });
    const worker = h.track(new Worker(app, { concurrency: 1 }));
    const failed: string[] = [];
    worker.events.on('task-failed', (e) => failed.push(e.error.message));
    await worker.start();
    await t.delay();
    await t.delay();
    await sleep(50);
    assert.equal(runs, 2);
    assert.deepEqual(unhandled.map(String), []);
    const stats = await queueStats(app, queue);
    assert.deepEqual([stats.ready, stats.unacked], [0, 0]);
    assert.equal(worker.state, 'running');
  });
});
