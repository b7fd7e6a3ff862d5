import { strict as assert } from 'node:assert';
import { SoftTimeLimitExceeded, Worker, states, type TaskContext } from '../../src/runtime';
import { Harness, uniqueName } from '../helpers/runtime-harness';
import { failureOf } from '../helpers/runtime-harness';

function untilAborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

describe('worker: time limits (async pool)', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  describe('soft time limit', () => {
    it('aborts ctx.signal with SoftTimeLimitExceeded, and the task can catch it and finish', async () => {
      const app = h.app();
      const t = app.task(
        uniqueName('proj.soft'),
        async (ctx: TaskContext) => {
          const reason = await untilAborted(ctx.signal);
          return {
            isSoftLimit: reason instanceof SoftTimeLimitExceeded,
            name: (reason as Error).name,
          };
        },
        { bind: true, softTimeLimit: 0.05 },
      );
      await h.track(new Worker(app)).start();
      const result = await t.delay();
      assert.deepEqual(await result.get({ timeout: 5 }), { isSoftLimit: true, name: 'SoftTimeLimitExceeded' });
    });

    it('fails the task with SoftTimeLimitExceeded when the task lets the abort reason propagate', async () => {
      const app = h.app();
      const t = app.task(
        uniqueName('proj.softfail'),
        async (ctx: TaskContext) => {
          throw await untilAborted(ctx.signal);
        },
        { bind: true, softTimeLimit: 0.05 },
      );
      await h.track(new Worker(app)).start();
      const err = await failureOf((await t.delay()).get({ timeout: 5 }));
      assert.equal(err.excType, 'SoftTimeLimitExceeded');
    });

    it('takes the soft limit given when the task is sent', async () => {
      const app = h.app();
      const t = app.task(
        uniqueName('proj.softcall'),
        async (ctx: TaskContext) => ((await untilAborted(ctx.signal)) as Error).name,
        { bind: true },
      );
      await h.track(new Worker(app)).start();
      assert.equal(await (await t.applyAsync([], {}, { softTimeLimit: 0.05 })).get({ timeout: 5 }), 'SoftTimeLimitExceeded');
    });

    it('takes the soft limit from the task_soft_time_limit setting', async () => {
      const app = h.app({ task_soft_time_limit: 0.05 });
      const t = app.task(
        uniqueName('proj.softconf'),
        async (ctx: TaskContext) => ((await untilAborted(ctx.signal)) as Error).name,
        { bind: true },
      );
      await h.track(new Worker(app)).start();
      assert.equal(await (await t.delay()).get({ timeout: 5 }), 'SoftTimeLimitExceeded');
    });

    it('does not abort the signal of a task that finishes within its soft limit', async () => {
      const app = h.app();
      const t = app.task(
        uniqueName('proj.softok'),
        async (ctx: TaskContext) => {
          await new Promise((r) => setTimeout(r, 5));
          return ctx.signal.aborted;
        },
        { bind: true, softTimeLimit: 5 },
      );
      await h.track(new Worker(app)).start();
      assert.equal(await (await t.delay()).get({ timeout: 5 }), false);
    });
  });

  describe('hard time limit', () => {
    it('fails a task that runs past it with TimeLimitExceeded', async () => {
      const app = h.app();
      const t = app.task(uniqueName('proj.hang'), () => new Promise(() => undefined), { timeLimit: 0.05 });
      await h.track(new Worker(app)).start();
      const result = await t.delay();
      const err = await failureOf(result.get({ timeout: 5 }));
      assert.equal(err.excType, 'TimeLimitExceeded');
      assert.equal(await result.state(), states.FAILURE);
    });

    it('frees the slot of a timed-out task so the next task runs (concurrency 1)', async () => {
      const app = h.app();
      const hang = app.task(uniqueName('proj.hang'), () => new Promise(() => undefined), { timeLimit: 0.05 });
      const ok = app.task(uniqueName('proj.ok'), () => 'ok');
      await h.track(new Worker(app, { concurrency: 1 })).start();
      const hung = await hang.delay();
      const next = await ok.delay();
      assert.equal(await next.get({ timeout: 5 }), 'ok');
      assert.equal((await failureOf(hung.get({ timeout: 5 }))).excType, 'TimeLimitExceeded');
    });

    it('takes the hard limit given when the task is sent', async () => {
      const app = h.app();
      const t = app.task(uniqueName('proj.hangcall'), () => new Promise(() => undefined));
      await h.track(new Worker(app)).start();
      const err = await failureOf((await t.applyAsync([], {}, { timeLimit: 0.05 })).get({ timeout: 5 }));
      assert.equal(err.excType, 'TimeLimitExceeded');
    });

    it('aborts the signal of a bound task that runs past it', async () => {
      const app = h.app();
      let reason: unknown;
      const t = app.task(
        uniqueName('proj.hangbound'),
        async (ctx: TaskContext) => {
          reason = await untilAborted(ctx.signal);
          return 'late';
        },
        { bind: true, timeLimit: 0.05 },
      );
      await h.track(new Worker(app)).start();
      const err = await failureOf((await t.delay()).get({ timeout: 5 }));
      assert.equal(err.excType, 'TimeLimitExceeded');
      assert.equal((reason as Error | undefined)?.name, 'TimeLimitExceeded');
    });
  });
});
