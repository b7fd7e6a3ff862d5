import { strict as assert } from 'node:assert';
import { Worker, protocol, states, type Clock, type TaskContext } from '../../src/runtime';
import type { TaskRetriedEvent } from '../../src/runtime/worker/worker-events';
import { Harness, deferred, uniqueName, waitUntil } from '../helpers/runtime-harness';
import { failureOf } from '../helpers/runtime-harness';

class UpstreamTimeout extends Error {}

describe('worker: retries', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  describe('ctx.retry()', () => {
    it('stores RETRY, then runs again under the same id with ctx.retries incremented, then stores SUCCESS', async () => {
      const app = h.app();
      const seen: { id: string; retries: number }[] = [];
      const secondStarted = deferred();
      const releaseSecond = deferred();
      const flaky = app.task(
        uniqueName('proj.flaky'),
        async (ctx: TaskContext, x: number) => {
          seen.push({ id: ctx.id, retries: ctx.retries });
          if (ctx.retries === 0) ctx.retry({ countdown: 0.01 });
          secondStarted.resolve();
          await releaseSecond.promise;
          return x + ctx.retries;
        },
        { bind: true },
      );
      const worker = h.track(new Worker(app));
      const received: { id: string; retries: number }[] = [];
      worker.events.on('task-received', (e) => received.push({ id: e.id, retries: e.retries }));
      await worker.start();

      const result = await flaky.delay(10);
      await secondStarted.promise;
      // The second attempt is running: what the backend shows is the retry.
      assert.equal(await result.state(), states.RETRY);
      releaseSecond.resolve();

      assert.equal(await result.get({ timeout: 5 }), 11);
      assert.equal(await result.state(), states.SUCCESS);
      assert.deepEqual(seen, [
        { id: result.id, retries: 0 },
        { id: result.id, retries: 1 },
      ]);
      assert.deepEqual(received, [
        { id: result.id, retries: 0 },
        { id: result.id, retries: 1 },
      ]);
    });

    it('retries with new arguments when given', async () => {
      const app = h.app();
      const t = app.task(
        uniqueName('proj.reargs'),
        (ctx: TaskContext, n: number) => {
          if (n < 3) ctx.retry({ countdown: 0, args: [n + 1] });
          return n;
        },
        { bind: true },
      );
      await h.track(new Worker(app)).start();
      assert.equal(await (await t.delay(0)).get({ timeout: 5 }), 3);
    });

    it('fails with the original exception type once maxRetries are used up', async () => {
      const app = h.app();
      let attempts = 0;
      const t = app.task(
        uniqueName('proj.always'),
        (ctx: TaskContext) => {
          attempts++;
          ctx.retry({ countdown: 0.01, exc: new UpstreamTimeout('upstream did not answer') });
        },
        { bind: true, maxRetries: 2 },
      );
      await h.track(new Worker(app)).start();
      const result = await t.delay();
      const err = await failureOf(result.get({ timeout: 5 }));
      assert.equal(err.excType, 'UpstreamTimeout');
      assert.equal(err.excMessage, 'upstream did not answer');
      assert.equal(attempts, 3, 'the first run and two retries');
      assert.equal(await result.state(), states.FAILURE);
    });

    it('fails with MaxRetriesExceededError when retries run out and no exc was given', async () => {
      const app = h.app();
      let attempts = 0;
      const t = app.task(
        uniqueName('proj.noexc'),
        (ctx: TaskContext) => {
          attempts++;
          ctx.retry({ countdown: 0.01 });
        },
        { bind: true, maxRetries: 1 },
      );
      await h.track(new Worker(app)).start();
      const err = await failureOf((await t.delay()).get({ timeout: 5 }));
      assert.equal(err.excType, 'MaxRetriesExceededError');
      assert.equal(attempts, 2);
    });

    it('emits task-retried with the reason for every retry', async () => {
      const app = h.app();
      const t = app.task(
        uniqueName('proj.twice'),
        (ctx: TaskContext) => {
          if (ctx.retries < 2) ctx.retry({ countdown: 0.01, exc: new UpstreamTimeout('slow') });
          return 'ok';
        },
        { bind: true },
      );
      const worker = h.track(new Worker(app));
      const retried: TaskRetriedEvent[] = [];
      worker.events.on('task-retried', (e) => retried.push(e));
      await worker.start();
      const result = await t.delay();
      assert.equal(await result.get({ timeout: 5 }), 'ok');
      assert.equal(retried.length, 2);
      for (const e of retried) {
        assert.equal(e.id, result.id);
        assert.equal(e.exc?.type, 'UpstreamTimeout');
        assert.match(e.reason, /UpstreamTimeout\('slow'\)/);
      }
    });
  });

  describe('autoretryFor', () => {
    function flakyTask(app: ReturnType<Harness['app']>, failures: number, makeError: () => unknown, matcher: unknown) {
      let calls = 0;
      const task = app.task(
        uniqueName('proj.auto'),
        (ctx: TaskContext) => {
          calls++;
          if (ctx.retries < failures) throw makeError();
          return { retries: ctx.retries, calls };
        },
        {
          bind: true,
          autoretryFor: [matcher as never],
          retryBackoff: 0.02,
          retryJitter: false,
          maxRetries: 5,
        },
      );
      return { task, calls: () => calls };
    }

    it('retries an error of a listed class with back-off, then succeeds', async () => {
      const app = h.app();
      const { task } = flakyTask(app, 2, () => new UpstreamTimeout('timeout'), UpstreamTimeout);
      await h.track(new Worker(app)).start();
      assert.deepEqual(await (await task.delay()).get({ timeout: 5 }), { retries: 2, calls: 3 });
    });

    it('retries an error whose name is listed, then succeeds', async () => {
      const app = h.app();
      const { task } = flakyTask(
        app,
        2,
        () => Object.assign(new Error('reset by peer'), { name: 'ConnectionResetError' }),
        'ConnectionResetError',
      );
      await h.track(new Worker(app)).start();
      assert.deepEqual(await (await task.delay()).get({ timeout: 5 }), { retries: 2, calls: 3 });
    });

    it('retries an error a predicate accepts, then succeeds', async () => {
      const app = h.app();
      const { task } = flakyTask(
        app,
        1,
        () => Object.assign(new Error('busy'), { status: 503 }),
        (err: unknown) => (err as { status?: number }).status === 503,
      );
      await h.track(new Worker(app)).start();
      assert.deepEqual(await (await task.delay()).get({ timeout: 5 }), { retries: 1, calls: 2 });
    });

    it('does not retry an error that no matcher accepts', async () => {
      const app = h.app();
      const { task, calls } = flakyTask(app, 5, () => new RangeError('bad input'), UpstreamTimeout);
      const worker = h.track(new Worker(app));
      let retried = 0;
      worker.events.on('task-retried', () => retried++);
      await worker.start();
      const err = await failureOf((await task.delay()).get({ timeout: 5 }));
      assert.equal(err.excType, 'RangeError');
      assert.equal(calls(), 1);
      assert.equal(retried, 0);
    });

    it('fails with the task error once maxRetries automatic retries are used up', async () => {
      const app = h.app();
      let calls = 0;
      const t = app.task(
        uniqueName('proj.autofail'),
        () => {
          calls++;
          throw new UpstreamTimeout(`attempt ${calls}`);
        },
        { autoretryFor: [UpstreamTimeout], retryBackoff: 0.01, retryJitter: false, maxRetries: 2 },
      );
      await h.track(new Worker(app)).start();
      const err = await failureOf((await t.delay()).get({ timeout: 5 }));
      assert.equal(err.excType, 'UpstreamTimeout');
      assert.equal(err.excMessage, 'attempt 3');
      assert.equal(calls, 3);
    });

    it('doubles the back-off for each retry up to retryBackoffMax (no jitter)', async () => {
      // A clock frozen at T: every countdown the worker computes is exactly eta - T.
      const T = Date.UTC(2030, 0, 1);
      const frozen: Clock = {
        now: () => T,
        setTimeout: (cb, ms) => setTimeout(cb, Math.max(0, ms)),
        clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      };
      const app = h.app({}, { clock: frozen });
      const t = app.task(
        uniqueName('proj.backoff'),
        (ctx: TaskContext) => {
          if (ctx.retries < 4) throw new UpstreamTimeout('again');
          return ctx.retries;
        },
        { bind: true, autoretryFor: [UpstreamTimeout], retryBackoff: 0.02, retryBackoffMax: 0.1, retryJitter: false, maxRetries: 10 },
      );
      const worker = h.track(new Worker(app));
      const countdownsMs: number[] = [];
      worker.events.on('task-retried', (e) => countdownsMs.push(e.etaMs - T));
      await worker.start();
      assert.equal(await (await t.delay()).get({ timeout: 5 }), 4);
      assert.deepEqual(countdownsMs, [20, 40, 80, 100]);
    });
  });

  it('a retried message keeps the task id and root id, and its eta lies in the future', async () => {
    const app = h.app();
    const etas: (string | null)[] = [];
    const t = app.task(
      uniqueName('proj.eta'),
      (ctx: TaskContext) => {
        if (ctx.retries === 0) ctx.retry({ countdown: 0.05 });
        return { id: ctx.id, rootId: ctx.rootId, eta: ctx.eta };
      },
      { bind: true },
    );
    const worker = h.track(new Worker(app));
    worker.events.on('task-received', (e) => etas.push(e.eta));
    await worker.start();
    const before = Date.now();
    const result = await t.delay();
    const value = (await result.get({ timeout: 5 })) as { id: string; rootId: string; eta: string | null };
    assert.equal(value.id, result.id);
    assert.equal(value.rootId, result.id);
    await waitUntil(() => etas.length === 2, 'two receipts');
    assert.equal(etas[0], null);
    assert.ok(etas[1] !== null && protocol.parseIso(etas[1])! >= before + 50 - 5, `retry eta ${etas[1]} should be ~50 ms after the send`);
  });
});
