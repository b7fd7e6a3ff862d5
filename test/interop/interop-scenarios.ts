/**
 * The five interop scenarios against real Python Celery 5.2.6, as one suite that each broker ×
 * result backend runs (redis-interop.test.ts, amqp-interop.test.ts):
 *
 *   1. TS client → Python worker;
 *   2. Python client → TS worker (`celeriac worker`);
 *   3. failures both ways;
 *   4. retry, ETA and countdown of Python-sent messages on the TS worker (and a TS countdown
 *      on the Python worker);
 *   5. one queue shared by a TS and a Python worker: every task exactly once.
 *
 * With `rpc://` results are messages to their sender's reply queue, and Celery itself behaves
 * differently there: no `date_done`, and nobody but the sender can read a result. The
 * assertions that depend on it say so.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { createApp, createLogger, TaskFailedError, type App } from '../../src/runtime';
import { flushDb, rawClient, redisUrl } from '../helpers/redis';
import { sleep, waitFor } from '../helpers/wait';
import {
  requireSystemCelery,
  runPyClient,
  startPythonWorker,
  startTsWorker,
  stop,
  tailOf,
  waitReady,
  type InteropTarget,
  type Proc,
} from './interop-processes';

/** Clock slack for "ran no earlier than its ETA" (both sides read the same machine's clock). */
const CLOCK_SLACK_S = 0.05;

export interface InteropSuite {
  title: string;
  brokerUrl: string;
  backendUrl: string;
  /** Redis db of the execution counters, emptied before and after (the Redis broker/backend may share it). */
  countersDb: number;
  /** Starts the run's queue names; a random run id follows. */
  queuePrefix: string;
  /** `rpc://`: a result reaches its sender only, without date_done (Celery's rpc backend does the same). */
  rpcResults: boolean;
  /** What Debian's Python must import (a missing one fails the suite), and the apt packages that provide them. */
  pythonModules: string[];
  aptPackages: string;
  /** True once the broker holds nothing of `queue`: none ready and, where the broker can tell, none unacked. */
  drained(queue: string, counters: Redis): Promise<boolean>;
  /** Removes what the run declared on the broker, once both workers have stopped. */
  cleanup?(queues: string[]): Promise<void>;
}

export function describeInterop(suite: InteropSuite): void {
  describe(suite.title, function () {
    this.timeout(120_000);
    const run = randomUUID().slice(0, 8);
    /** Only the Python worker consumes it. */
    const pyQueue = `${suite.queuePrefix}-py-${run}`;
    /** Only the TS worker consumes it. */
    const tsQueue = `${suite.queuePrefix}-ts-${run}`;
    /** Both workers consume it. */
    const sharedQueue = `${suite.queuePrefix}-shared-${run}`;
    const target: InteropTarget = { run, brokerUrl: suite.brokerUrl, backendUrl: suite.backendUrl, countersUrl: redisUrl(suite.countersDb) };
    const pyClient = (args: string[]) => runPyClient(target, tsQueue, args);
    let pyWorker: Proc | undefined;
    let tsWorker: Proc | undefined;
    let app: App;
    let raw: Redis;

    before(async function () {
      this.timeout(60_000);
      requireSystemCelery(suite.pythonModules, suite.aptPackages);
      await flushDb(suite.countersDb);
      raw = rawClient(suite.countersDb);
      // The client reads nothing from the environment: these URLs and queue only.
      app = createApp(
        { broker: suite.brokerUrl, backend: suite.backendUrl, task_default_queue: pyQueue },
        { env: {}, log: createLogger({ level: 'warn' }) },
      );
      pyWorker = startPythonWorker(target, [pyQueue, sharedQueue]);
      tsWorker = startTsWorker(target, [tsQueue, sharedQueue]);
      await Promise.all([waitReady(pyWorker, / ready\./), waitReady(tsWorker, / ready: /)]);
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.error(`${tailOf(pyWorker)}\n${tailOf(tsWorker)}`);
    });

    after(async function () {
      this.timeout(30_000);
      await Promise.all([stop(pyWorker, true), stop(tsWorker, false)]);
      await app?.close();
      raw?.disconnect();
      await suite.cleanup?.([pyQueue, tsQueue, sharedQueue]);
      await flushDb(suite.countersDb);
    });

    describe('1. TS client → Python worker', () => {
      it('returns the value of proj.add sent with positional args, kwargs, and both', async () => {
        const positional = await app.sendTask<number>('proj.add', [2, 3]);
        const kwargs = await app.sendTask<number>('proj.add', [], { x: 20, y: 22 });
        const mixed = await app.sendTask<number>('proj.add', [100], { y: 1 });
        assert.equal(await positional.get({ timeout: 15 }), 5);
        assert.equal(await kwargs.get({ timeout: 15 }), 42);
        assert.equal(await mixed.get({ timeout: 15 }), 101);
        assert.equal(await positional.state(), 'SUCCESS');
      });

      it('round-trips unicode, floats, null, nested lists and 2**53 through the Python task', async () => {
        const value = { s: 'h\u00e9llo \u2713 \u{1F600}', f: 1.5, n: null, nested: [1, [2, { k: true }]], big: 2 ** 53 };
        const r = await app.sendTask('proj.echo', [value]);
        assert.deepEqual(await r.get({ timeout: 15 }), value);
      });
    });

    describe('2. Python client → TS worker', () => {
      it('send_task (args and kwargs) and .delay() (args and kwargs) return the values to Python', async () => {
        const out = await pyClient(['call']);
        const expected: Record<string, unknown> = {
          send_task_args: 5,
          send_task_kwargs: 9,
          delay_args: 42,
          delay_kwargs: 12,
        };
        for (const [name, value] of Object.entries(expected)) {
          assert.equal(out[name].state, 'SUCCESS', `${name}: ${JSON.stringify(out[name])}`);
          assert.equal(out[name].value, value, `${name}: ${JSON.stringify(out[name])}`);
          if (suite.rpcResults) {
            // Celery's rpc result messages carry no date_done (a Python worker sends none either),
            // so AsyncResult.date_done is None.
            assert.equal(out[name].date_done, 'None', `${name}: ${JSON.stringify(out[name])}`);
          } else {
            assert.match(out[name].date_done, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, `${name}: Python parses date_done`);
          }
        }
        assert.equal(out.echo.state, 'SUCCESS');
        assert.deepEqual(out.echo.value, out.echo_sent);
      });
    });

    describe('3. failures cross over', () => {
      it('a TS task that throws: Python sees FAILURE with the exception type and message', async () => {
        const out = await pyClient(['fail']);
        const expected: Record<string, { type: string; module?: string; str: string }> = {
          type_error: { type: 'TypeError', module: 'builtins', str: 'bad input: 42' }, // rebuilt as Python's own TypeError
          custom: { type: 'PaymentDeclined', str: 'card declined' },
          plain: { type: 'Error', str: 'plain failure' },
        };
        for (const [name, e] of Object.entries(expected)) {
          const got = out[name];
          assert.equal(got.state, 'FAILURE', `${name}: ${JSON.stringify(got)}`);
          assert.equal(got.is_exception, true, `${name}: ${JSON.stringify(got)}`);
          assert.equal(got.exc_type, e.type, `${name}: ${JSON.stringify(got)}`);
          assert.equal(got.exc_str, e.str, `${name}: ${JSON.stringify(got)}`);
          if (e.module) assert.equal(got.exc_module, e.module, `${name}: ${JSON.stringify(got)}`);
          assert.equal(got.has_traceback, true, `${name}: the TS stack should arrive as the traceback`);
        }
      });

      it('a Python task that raises: TS sees TaskFailedError with the same type and message', async () => {
        const builtin = await app.sendTask('proj.fail', ['boom 7']);
        const custom = await app.sendTask('proj.fail_custom', ['balance 3 < 5']);
        const failed = async (r: typeof builtin): Promise<TaskFailedError> => {
          try {
            await r.get({ timeout: 15 });
          } catch (err) {
            assert.ok(err instanceof TaskFailedError, `expected TaskFailedError, got ${err}`);
            return err;
          }
          assert.fail('get() should have thrown');
        };
        const e1 = await failed(builtin);
        assert.equal(e1.excType, 'ValueError');
        assert.equal(e1.excModule, 'builtins');
        assert.equal(e1.excMessage, 'boom 7');
        assert.equal(e1.taskId, builtin.id);
        assert.match(e1.traceback ?? '', /ValueError: boom 7/);
        assert.equal(await builtin.state(), 'FAILURE');

        const e2 = await failed(custom);
        assert.equal(e2.excType, 'InsufficientFunds');
        assert.equal(e2.excModule, 'py_app');
        assert.equal(e2.excMessage, 'balance 3 < 5');
      });
    });

    describe('4. retry, ETA and countdown of Python-sent messages on the TS worker', () => {
      it('ctx.retry({ countdown: 1 }) once, then succeeds: Python gets the value, SUCCESS, two runs', async () => {
        const out = await pyClient(['retry', run]);
        assert.equal(out.state, 'SUCCESS', JSON.stringify(out));
        assert.equal(out.value, 'done after retry');
        assert.equal(out.runs, 2, 'the task should have run exactly twice');
        assert.deepEqual(out.retries_seen, [0, 1], 'request.retries as each run saw it');
        // Python watched PENDING → RETRY → SUCCESS, and could read the RETRY meta's exception.
        const states = (out.states_seen as { state: string; info_type: string | null }[]).map((s) => s.state);
        assert.deepEqual(states.filter((s) => s !== 'PENDING'), ['RETRY', 'SUCCESS'], JSON.stringify(out.states_seen));
        assert.equal(out.states_seen.find((s: { state: string }) => s.state === 'RETRY').info_type, 'Retry', JSON.stringify(out.states_seen));
        const meta = await app.asyncResult(out.id).meta();
        if (suite.rpcResults) {
          // The states went to the Python client's reply queue: another client never sees them.
          assert.equal(meta.status, 'PENDING');
        } else {
          assert.equal(meta.status, 'SUCCESS');
          assert.equal(meta.result, 'done after retry');
        }
      });

      it('eta=now+2s and countdown=2 from Python run no earlier than their ETA', async () => {
        // Meanwhile, the other direction: a TS-sent countdown on the Python worker.
        const tsSentAt = Date.now() / 1000;
        const tsCountdown = app.sendTask<{ executed_at: number; eta: string }>('proj.when', [], {}, { countdown: 1 });
        const out = await pyClient(['eta']);

        const byEta = out.eta;
        assert.equal(byEta.state, 'SUCCESS', JSON.stringify(byEta));
        assert.ok(
          byEta.value.executed_at >= byEta.eta_sent - CLOCK_SLACK_S,
          `ran at ${byEta.value.executed_at}, before its ETA ${byEta.eta_sent}`,
        );
        assert.ok(Math.abs(Date.parse(byEta.value.eta) / 1000 - byEta.eta_sent) < 0.002, `ctx.eta ${byEta.value.eta} ≠ ${byEta.eta_sent}`);

        const byCountdown = out.countdown;
        assert.equal(byCountdown.state, 'SUCCESS', JSON.stringify(byCountdown));
        assert.ok(
          byCountdown.value.executed_at >= byCountdown.sent_at + byCountdown.countdown - CLOCK_SLACK_S,
          `ran at ${byCountdown.value.executed_at}, sent at ${byCountdown.sent_at} with countdown 2`,
        );
        assert.ok(Date.parse(byCountdown.value.eta) / 1000 >= byCountdown.sent_at + 2 - CLOCK_SLACK_S, `ctx.eta ${byCountdown.value.eta}`);

        const py = await (await tsCountdown).get({ timeout: 15 });
        assert.ok(py.executed_at >= tsSentAt + 1 - CLOCK_SLACK_S, `Python ran it at ${py.executed_at}, sent at ${tsSentAt} with countdown 1`);
        assert.ok(Math.abs(Date.parse(py.eta) / 1000 - (tsSentAt + 1)) < 0.5, `request.eta on the Python side: ${py.eta}`);
      });
    });

    describe('5. one queue, a TS and a Python worker', () => {
      it('1,000 tasks sent by the TS client are each done exactly once, by both workers', async () => {
        const TASKS = 1000;
        const shared = `${run}-shared`;
        const started = Date.now();
        const results = await Promise.all(
          Array.from({ length: TASKS }, () => app.sendTask<string>('shared.record', [shared, 2], {}, { queue: sharedQueue })),
        );
        const ids = results.map((r) => r.id);
        assert.equal(new Set(ids).size, TASKS);

        await waitFor(async () => (await raw.hlen(`interop:${shared}`)) >= TASKS, { timeoutMs: 40_000, intervalMs: 50, what: 'all tasks to run' });
        const values = await Promise.all(results.map((r) => r.get({ timeout: 20 })));
        // Nothing left: every delivery was acked by whichever worker took it.
        await waitFor(() => suite.drained(sharedQueue, raw), { timeoutMs: 10_000, what: 'an empty queue and no unacked messages' });
        await sleep(300); // a duplicate delivery would show up here

        const counts = await raw.hgetall(`interop:${shared}`);
        const who = await raw.hgetall(`interop:${shared}:who`);
        assert.equal(Object.keys(counts).length, TASKS);
        const notOnce = ids.filter((id) => counts[id] !== '1').map((id) => `${id}=${counts[id] ?? 'missing'}`);
        assert.deepEqual(notOnce, [], 'every task should run exactly once');
        const byWorker = { ts: 0, py: 0 };
        ids.forEach((id, i) => {
          assert.ok(who[id] === 'ts' || who[id] === 'py', `who ran ${id}: ${who[id]}`);
          assert.equal(values[i], who[id], `the result of ${id} names the worker that ran it`);
          byWorker[who[id] as 'ts' | 'py']++;
        });
        assert.ok(byWorker.ts > 0 && byWorker.py > 0, `both workers should have run some: ${JSON.stringify(byWorker)}`);
        console.log(`      1,000 shared tasks in ${Date.now() - started} ms: ${JSON.stringify(byWorker)}`);
      });
    });
  });
}
