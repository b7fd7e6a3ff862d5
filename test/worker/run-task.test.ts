import { strict as assert } from 'node:assert';
import { TaskFailedError, Worker, states } from '../../src/runtime';
import { Harness, deferred, uniqueName } from '../helpers/runtime-harness';

describe('worker: running tasks (async pool)', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('runs a task and stores SUCCESS with its return value', async () => {
    const app = h.app();
    const add = app.task(uniqueName('proj.add'), (a: number, b: number) => a + b);
    await h.track(new Worker(app)).start();
    const result = await add.delay(2, 3);
    assert.equal(await result.get({ timeout: 5 }), 5);
    const meta = await result.meta();
    assert.equal(meta.status, states.SUCCESS);
    assert.equal(meta.result, 5);
    assert.equal(meta.task_id, result.id);
  });

  it('awaits a task that returns a promise and stores the resolved value', async () => {
    const app = h.app();
    const slow = app.task(uniqueName('proj.slow'), async (s: string) => {
      await new Promise((r) => setTimeout(r, 5));
      return s.toUpperCase();
    });
    await h.track(new Worker(app)).start();
    assert.equal(await (await slow.delay('abc')).get({ timeout: 5 }), 'ABC');
  });

  it('passes keyword arguments as one trailing object when the task has no argNames', async () => {
    const app = h.app();
    const t = app.task(uniqueName('proj.kw'), (a: number, opts: Record<string, unknown>) => ({ a, opts }));
    await h.track(new Worker(app)).start();
    const result = await t.applyAsync([1], { x: 2, y: 'z' });
    assert.deepEqual(await result.get({ timeout: 5 }), { a: 1, opts: { x: 2, y: 'z' } });
  });

  it('passes no trailing object when kwargs are empty', async () => {
    const app = h.app();
    const t = app.task(uniqueName('proj.count'), (...args: unknown[]) => args.length);
    await h.track(new Worker(app)).start();
    assert.equal(await (await t.applyAsync([1, 2], {})).get({ timeout: 5 }), 2);
  });

  it('maps keyword arguments to positions with argNames', async () => {
    const app = h.app();
    const sub = app.task(uniqueName('proj.sub'), (x: number, y: number) => x - y, { argNames: ['x', 'y'] });
    await h.track(new Worker(app)).start();
    // Python style: sub.delay(y=3, x=10)
    assert.equal(await (await sub.applyAsync([], { y: 3, x: 10 })).get({ timeout: 5 }), 7);
    // Mixed: sub.apply_async((10,), {'y': 4})
    assert.equal(await (await sub.applyAsync([10], { y: 4 })).get({ timeout: 5 }), 6);
  });

  it('passes keyword arguments not named in argNames as a trailing object', async () => {
    const app = h.app();
    const t = app.task(uniqueName('proj.rest'), (x: number, rest: unknown) => ({ x, rest }), { argNames: ['x'] });
    await h.track(new Worker(app)).start();
    assert.deepEqual(await (await t.applyAsync([], { x: 1, extra: true })).get({ timeout: 5 }), { x: 1, rest: { extra: true } });
  });

  it('stores a failure with the exception type, message and stack', async () => {
    const app = h.app();
    class InvoiceDeclined extends Error {}
    function chargeCard(amount: number): never {
      throw new InvoiceDeclined(`card declined for ${amount}`);
    }
    const charge = app.task(uniqueName('billing.charge'), (amount: number) => chargeCard(amount));
    await h.track(new Worker(app)).start();
    const result = await charge.delay(42);
    const err = await result.get({ timeout: 5 }).then(
      () => assert.fail('expected the task to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TaskFailedError, `expected TaskFailedError, got ${String(err)}`);
    assert.equal(err.excType, 'InvoiceDeclined');
    assert.equal(err.excMessage, 'card declined for 42');
    assert.equal(err.taskId, result.id);
    assert.match(err.traceback ?? '', /chargeCard/);

    const meta = await result.meta();
    assert.equal(meta.status, states.FAILURE);
    assert.deepEqual(meta.result, { exc_type: 'InvoiceDeclined', exc_message: ['card declined for 42'], exc_module: null });
    assert.match(meta.traceback ?? '', /card declined for 42/);
    assert.match(meta.traceback ?? '', /chargeCard/);
  });

  it('stores a builtin error type under the builtins module', async () => {
    const app = h.app();
    const t = app.task(uniqueName('proj.parse'), () => {
      throw new TypeError('not a number');
    });
    await h.track(new Worker(app)).start();
    const result = await t.delay();
    await result.get({ timeout: 5 }).catch(() => undefined);
    const meta = await result.meta();
    assert.deepEqual(meta.result, { exc_type: 'TypeError', exc_message: ['not a number'], exc_module: 'builtins' });
  });

  it('emits received, started and succeeded events for a task', async () => {
    const app = h.app();
    const t = app.task(uniqueName('proj.ev'), (a: number) => a * 2);
    const worker = h.track(new Worker(app));
    const seen: string[] = [];
    worker.events.on('task-received', (e) => seen.push(`received:${e.id}`));
    worker.events.on('task-started', (e) => seen.push(`started:${e.id}`));
    worker.events.on('task-succeeded', (e) => seen.push(`succeeded:${e.id}:${String(e.result)}`));
    await worker.start();
    const result = await t.delay(21);
    await result.get({ timeout: 5 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [`received:${result.id}`, `started:${result.id}`, `succeeded:${result.id}:42`]);
  });

  it('with trackStarted, shows STARTED (with the worker hostname) while the task runs', async () => {
    const app = h.app();
    const gate = deferred();
    h.onCleanup(() => gate.resolve());
    const started = deferred();
    const t = app.task(
      uniqueName('proj.tracked'),
      async () => {
        started.resolve();
        await gate.promise;
        return 'ok';
      },
      { trackStarted: true },
    );
    await h.track(new Worker(app, { hostname: 'tracker@test' })).start();
    const result = await t.delay();
    await started.promise;
    let meta = await result.meta();
    for (let i = 0; i < 100 && meta.status !== states.STARTED; i++) {
      await new Promise((r) => setTimeout(r, 5));
      meta = await result.meta();
    }
    assert.equal(meta.status, states.STARTED);
    assert.equal((meta.result as { hostname: string }).hostname, 'tracker@test');
    gate.resolve();
    assert.equal(await result.get({ timeout: 5 }), 'ok');
  });

  it('without trackStarted, stays PENDING while the task runs', async () => {
    const app = h.app();
    const gate = deferred();
    h.onCleanup(() => gate.resolve());
    const started = deferred();
    const t = app.task(uniqueName('proj.untracked'), async () => {
      started.resolve();
      await gate.promise;
    });
    await h.track(new Worker(app)).start();
    const result = await t.delay();
    await started.promise;
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(await result.state(), states.PENDING);
    gate.resolve();
    await result.get({ timeout: 5 });
  });
});
