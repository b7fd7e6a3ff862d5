import { strict as assert } from 'node:assert';
import { Worker, states } from '../../src/runtime';
import { Harness, nextEvent, uniqueName } from '../helpers/runtime-harness';

describe('worker: ignoreResult', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('with task_ignore_result set, stores nothing: the state stays PENDING after the task ran', async () => {
    const app = h.app({ task_ignore_result: true });
    let ran = 0;
    const t = app.task(uniqueName('proj.quiet'), () => ++ran);
    const worker = h.track(new Worker(app));
    await worker.start();
    const succeeded = nextEvent(worker, 'task-succeeded');
    const result = await t.delay();
    assert.equal((await succeeded).id, result.id);
    assert.equal(ran, 1);
    assert.equal(await result.state(), states.PENDING);
  });

  it('with ignoreResult on one task, stores nothing for it but still stores results of other tasks', async () => {
    const app = h.app();
    const quiet = app.task(uniqueName('proj.quiet'), () => 'hidden', { ignoreResult: true });
    const loud = app.task(uniqueName('proj.loud'), () => 'shown');
    const worker = h.track(new Worker(app));
    await worker.start();
    const succeeded = nextEvent(worker, 'task-succeeded', (e) => e.name === quiet.name);
    const q = await quiet.delay();
    await succeeded;
    assert.equal(await q.state(), states.PENDING);
    assert.equal(await (await loud.delay()).get({ timeout: 5 }), 'shown');
  });

  it('with ignoreResult on one task, stores no failure for it either', async () => {
    const app = h.app();
    const t = app.task(
      uniqueName('proj.quietfail'),
      () => {
        throw new Error('unseen');
      },
      { ignoreResult: true },
    );
    const worker = h.track(new Worker(app));
    await worker.start();
    const failed = nextEvent(worker, 'task-failed');
    const result = await t.delay();
    assert.equal((await failed).id, result.id);
    assert.equal(await result.state(), states.PENDING);
  });

  it('with ignoreResult given when the task is sent, stores nothing for that call', async () => {
    const app = h.app();
    const t = app.task(uniqueName('proj.callquiet'), () => 1);
    const worker = h.track(new Worker(app));
    await worker.start();
    const succeeded = nextEvent(worker, 'task-succeeded');
    const result = await t.applyAsync([], {}, { ignoreResult: true });
    await succeeded;
    assert.equal(await result.state(), states.PENDING);
  });
});
