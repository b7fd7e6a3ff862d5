/**
 * Remote control against real Worker instances on the embedded `memory://`
 * broker: the requests go out through broadcastControl (what `celeriac
 * inspect/control` use) on `celery.pidbox`, and the replies come back on
 * `reply.celery.pidbox`, as with Celery.
 *
 * Every worker in this process shares one hub and so hears every broadcast:
 * each test uses its own queues and node names, and addresses its worker
 * (`destination`) or keeps only its workers' replies.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { TaskRevokedError, Worker, states, type App, type Broker, type TaskContext, type WorkerOptions } from '../../src/runtime';
import { broadcastControl, type BroadcastOptions } from '../../src/runtime/control/control-client';
import { loadTaskModule } from '../../src/runtime/loader/load-task-module';
import { parseIso } from '../../src/runtime/protocol/iso-time';
import { loadFixture } from '../helpers/fixtures';
import { Harness, deferred, nextEvent, queueStats, quietLog, sleep, uniqueName, uniqueQueue, waitUntil } from '../helpers/runtime-harness';

const POOL_MODULE = path.join(__dirname, 'fixtures', 'pool-control-tasks.ts');

/** A node name no other test uses. */
function nodeName(prefix = 'ctl'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@test`;
}

/** The request dict keys of Celery 5.2's `inspect active` reply (from the capture). */
function celeryRequestKeys(): string[] {
  const capture = loadFixture<{ cli_stdout: string }>('amqp_control_inspect_active');
  const replies = JSON.parse(capture.cli_stdout) as Record<string, Record<string, unknown>[]>;
  const [request] = Object.values(replies)[0];
  return Object.keys(request).sort();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

type RequestDict = {
  id: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  type: string;
  hostname: string;
  time_start: number | null;
  acknowledged: boolean;
  delivery_info: { exchange: string; routing_key: string; priority: number | null; redelivered: boolean | null };
  worker_pid: number | null;
};

describe('remote control: workers answer inspect and control requests', function () {
  this.timeout(20_000);
  const h = new Harness();
  /** The client side: its own app (and broker connection) on the shared hub. */
  let client: Broker;

  beforeEach(async () => {
    client = await h.app().connectBroker();
  });
  afterEach(() => h.cleanup());

  async function startWorker(app: App, options: WorkerOptions = {}): Promise<Worker> {
    const worker = h.track(new Worker(app, { hostname: nodeName(), log: quietLog, ...options }));
    await worker.start();
    return worker;
  }

  /** Ask one worker; fails unless exactly that worker replied. Returns its reply. */
  async function ask<T = any>(worker: Worker, method: string, args: Record<string, unknown> = {}, timeout = 5): Promise<T> {
    const replies = await broadcastControl(client, method, args, { destination: [worker.hostname], timeout });
    assert.deepEqual(Object.keys(replies), [worker.hostname], `one reply, from ${worker.hostname}, to '${method}'`);
    return replies[worker.hostname] as T;
  }

  /** Broadcast and keep only the replies of `workers`. */
  async function replies(workers: Worker[], method: string, options: BroadcastOptions): Promise<Record<string, unknown>> {
    const all = await broadcastControl(client, method, {}, options);
    const mine = new Set(workers.map((w) => w.hostname));
    return Object.fromEntries(Object.entries(all).filter(([node]) => mine.has(node)));
  }

  /** A task that runs until `gate` is resolved, and tells when it started. */
  function gatedTask(app: App) {
    const gate = deferred();
    const started: string[] = [];
    const task = app.task(uniqueName('ctl.gated'), async (tag: unknown) => {
      started.push(String(tag));
      await gate.promise;
      return tag;
    });
    return { task, gate, started };
  }

  describe('ping and dispatch', () => {
    it('answers a ping addressed to it with pong; a worker not addressed stays silent', async () => {
      const app = h.app();
      const [a, b] = [await startWorker(app), await startWorker(app)];
      assert.deepEqual(await ask(a, 'ping'), { ok: 'pong' });
      // Wait the full time (limit above what can arrive): only the addressed node answers.
      const got = await replies([a, b], 'ping', { destination: [a.hostname], limit: 99, timeout: 0.4 });
      assert.deepEqual(got, { [a.hostname]: { ok: 'pong' } });
    });

    it('without a destination, every worker answers the ping', async () => {
      const app = h.app();
      const [a, b] = [await startWorker(app), await startWorker(app)];
      const got = await replies([a, b], 'ping', { timeout: 0.4 });
      assert.deepEqual(got, { [a.hostname]: { ok: 'pong' }, [b.hostname]: { ok: 'pong' } });
    });

    it('answers an unknown method with an error reply, as Celery does', async () => {
      const worker = await startWorker(h.app());
      assert.deepEqual(await ask(worker, 'frobnicate'), { error: 'No such control command: frobnicate' });
      assert.deepEqual(await ask(worker, 'ping'), { ok: 'pong' }, 'still answering afterwards');
    });
  });

  describe('inspect', () => {
    it("active: the running task with Celery's request fields", async () => {
      const app = h.app();
      const { task, gate } = gatedTask(app);
      const worker = await startWorker(app, { concurrency: 2 });
      const before = Date.now();
      const result = await task.applyAsync([1, 'two'], { three: 3 });
      await waitUntil(() => worker.activeTasks().length === 1, 'the task to start');

      const active = await ask<RequestDict[]>(worker, 'active');
      assert.equal(active.length, 1);
      const [r] = active;
      assert.deepEqual(Object.keys(r).sort(), celeryRequestKeys(), 'the same keys as a Celery 5.2 worker replies with');
      assert.equal(r.id, result.id);
      assert.equal(r.name, task.name);
      assert.equal(r.type, task.name);
      assert.deepEqual(r.args, [1, 'two']);
      assert.deepEqual(r.kwargs, { three: 3 });
      assert.equal(r.hostname, worker.hostname);
      assert.equal(typeof r.time_start, 'number');
      assert.ok(r.time_start! >= before / 1000 - 0.001 && r.time_start! <= Date.now() / 1000, `time_start ${r.time_start} is in seconds, since the send`);
      assert.equal(r.acknowledged, true, 'acked when it started (acks early)');
      assert.deepEqual(r.delivery_info, { exchange: '', routing_key: app.conf.taskDefaultQueue, priority: 0, redelivered: false });
      assert.equal(r.worker_pid, process.pid, 'the async pool runs tasks in the worker process');

      gate.resolve();
      assert.equal(await result.get({ timeout: 5 }), 1);
      await waitUntil(() => worker.activeTasks().length === 0, 'the task to finish');
      assert.deepEqual(await ask(worker, 'active'), []);
    });

    it('reserved: a task received but waiting for the only slot (concurrency 1)', async () => {
      const app = h.app();
      const { task, gate, started } = gatedTask(app);
      const worker = await startWorker(app, { concurrency: 1 });
      const first = await task.delay('first');
      await waitUntil(() => started.length === 1, 'the first task to start');
      const second = await task.delay('second');
      await waitUntil(() => worker.reservedTasks().length === 1, 'the second task to be received');

      const reserved = await ask<RequestDict[]>(worker, 'reserved');
      assert.deepEqual(
        reserved.map((r) => [r.id, r.args, r.acknowledged, r.time_start, r.worker_pid]),
        [[second.id, ['second'], false, null, null]],
      );
      assert.deepEqual(
        (await ask<RequestDict[]>(worker, 'active')).map((r) => r.id),
        [first.id],
      );

      gate.resolve();
      assert.equal(await second.get({ timeout: 5 }), 'second');
      assert.deepEqual(await ask(worker, 'reserved'), []);
    });

    it('scheduled: a countdown task held until its ETA, as {eta, priority, request}', async () => {
      const app = h.app();
      const task = app.task(uniqueName('ctl.later'), () => 'later');
      const worker = await startWorker(app);
      const sentAt = Date.now();
      const result = await task.applyAsync([7], {}, { countdown: 30 });
      await waitUntil(() => worker.scheduledTasks().length === 1, 'the task to be held');

      const scheduled = await ask<{ eta: string; priority: number | null; request: RequestDict }[]>(worker, 'scheduled');
      assert.equal(scheduled.length, 1);
      const [s] = scheduled;
      assert.deepEqual(Object.keys(s).sort(), ['eta', 'priority', 'request']);
      const eta = parseIso(s.eta);
      assert.ok(eta !== undefined && Math.abs(eta - (sentAt + 30_000)) < 2000, `eta ${s.eta} is about 30 s after the send`);
      assert.equal(s.priority, 0);
      assert.equal(s.request.id, result.id);
      assert.equal(s.request.name, task.name);
      assert.deepEqual(s.request.args, [7]);
      assert.equal(s.request.acknowledged, false, 'held unacked');
      assert.deepEqual(await ask(worker, 'active'), []);
      assert.deepEqual(await ask(worker, 'reserved'), []);
    });

    it('registered: the names of the tasks the worker knows, sorted', async () => {
      const app = h.app();
      const prefix = uniqueName('ctl.reg');
      for (const name of ['zeta', 'alpha', 'mid']) app.task(`${prefix}.${name}`, () => name);
      const worker = await startWorker(app);
      const names = await ask<string[]>(worker, 'registered', { taskinfoitems: [] });
      assert.deepEqual(
        names.filter((n) => n.startsWith(prefix)),
        [`${prefix}.alpha`, `${prefix}.mid`, `${prefix}.zeta`],
      );
      assert.deepEqual(names, [...app.tasks.keys()].sort());
    });

    it('stats: totals per task, pid, pool, prefetch count and resource usage', async () => {
      const app = h.app();
      const add = app.task(uniqueName('ctl.add'), (a: number, b: number) => a + b);
      const mul = app.task(uniqueName('ctl.mul'), (a: number, b: number) => a * b);
      const worker = await startWorker(app, { concurrency: 3, prefetchMultiplier: 2 });
      const results = [await add.delay(1, 1), await add.delay(2, 2), await add.delay(3, 3), await mul.delay(2, 3), await mul.delay(4, 5)];
      await Promise.all(results.map((r) => r.get({ timeout: 5 })));
      await waitUntil(() => worker.processed === 5, 'the five tasks to be counted');

      const stats = await ask<Record<string, any>>(worker, 'stats');
      assert.deepEqual(stats.total, { [add.name]: 3, [mul.name]: 2 });
      assert.equal(stats.pid, process.pid);
      assert.equal(stats.pool['max-concurrency'], 3);
      assert.deepEqual(stats.pool.processes, [process.pid]);
      assert.equal(stats.prefetch_count, 6);
      for (const field of ['utime', 'stime', 'maxrss', 'minflt', 'majflt', 'nvcsw', 'nivcsw']) {
        assert.equal(typeof stats.rusage[field], 'number', `rusage.${field}`);
      }
      assert.ok(stats.rusage.maxrss > 0);
      assert.equal(typeof stats.uptime, 'number');
      assert.equal(stats.broker.transport, 'memory');
    });

    it('revoked: the ids revoked on this worker', async () => {
      const worker = await startWorker(h.app());
      assert.deepEqual(await ask(worker, 'revoked'), []);
      const ids = [randomUUID(), randomUUID()];
      assert.deepEqual(await ask(worker, 'revoke', { task_id: ids }), { ok: `tasks ${ids.join(', ')} flagged as revoked` });
      assert.deepEqual((await ask<string[]>(worker, 'revoked')).sort(), [...ids].sort());
    });

    it('active_queues: the queues consumed, with their exchange and routing key', async () => {
      const app = h.app();
      const [q1, q2] = [uniqueQueue('ctl-aq'), uniqueQueue('ctl-aq')];
      const worker = await startWorker(app, { queues: [q1, q2] });
      const queues = await ask<Record<string, any>[]>(worker, 'active_queues');
      assert.deepEqual(
        queues.map((q) => [q.name, q.exchange.name, q.exchange.type, q.routing_key, q.durable, q.no_ack]),
        [
          [q1, q1, 'direct', q1, true, false],
          [q2, q2, 'direct', q2, true, false],
        ],
      );
    });

    it('query_task: where each asked-for task is, with its request; unknown ids are left out', async () => {
      const app = h.app();
      const { task, gate, started } = gatedTask(app);
      const worker = await startWorker(app, { concurrency: 1 });
      const running = await task.delay('running');
      await waitUntil(() => started.length === 1, 'the first task to start');
      const waiting = await task.delay('waiting');
      await waitUntil(() => worker.reservedTasks().length === 1, 'the second task to be received');

      const unknown = randomUUID();
      const found = await ask<Record<string, [string, RequestDict]>>(worker, 'query_task', { ids: [running.id, waiting.id, unknown] });
      assert.deepEqual(Object.keys(found).sort(), [running.id, waiting.id].sort());
      assert.equal(found[running.id][0], 'active');
      assert.equal(found[running.id][1].id, running.id);
      assert.deepEqual(found[running.id][1].args, ['running']);
      assert.equal(found[waiting.id][0], 'reserved');
      assert.equal(found[waiting.id][1].id, waiting.id);
      // One id given as a plain string works too.
      assert.deepEqual(Object.keys(await ask(worker, 'query_task', { ids: running.id })), [running.id]);
      gate.resolve();
      await waiting.get({ timeout: 5 });
    });
  });

  describe('revoke', () => {
    it('a task revoked while it waits is discarded when its turn comes: REVOKED, never ran', async () => {
      const app = h.app();
      const { task, gate, started } = gatedTask(app);
      const worker = await startWorker(app, { concurrency: 1 });
      const first = await task.delay('first');
      await waitUntil(() => started.length === 1, 'the first task to start');
      const second = await task.delay('second');
      await waitUntil(() => worker.reservedTasks().length === 1, 'the second task to be received');

      assert.deepEqual(await ask(worker, 'revoke', { task_id: second.id }), { ok: `tasks ${second.id} flagged as revoked` });
      gate.resolve();
      assert.equal(await first.get({ timeout: 5 }), 'first');
      await assert.rejects(second.get({ timeout: 5 }), TaskRevokedError);
      assert.equal(await second.state(), states.REVOKED);
      assert.deepEqual(started, ['first'], 'the revoked task never ran');
    });

    it('a task revoked before it arrives is discarded on arrival', async () => {
      const app = h.app();
      let ran = false;
      const task = app.task(uniqueName('ctl.never'), () => {
        ran = true;
      });
      const worker = await startWorker(app);
      const id = randomUUID();
      await ask(worker, 'revoke', { task_id: [id] });
      const result = await task.applyAsync([], {}, { taskId: id });
      await assert.rejects(result.get({ timeout: 5 }), TaskRevokedError);
      assert.equal(ran, false);
      const after = await task.delay();
      await after.get({ timeout: 5 });
      assert.equal(ran, true, 'other tasks still run');
    });

    it('a held ETA task is discarded at once: REVOKED now, not at its ETA, and acked', async () => {
      const app = h.app();
      let ran = false;
      const task = app.task(uniqueName('ctl.eta'), () => {
        ran = true;
      });
      const worker = await startWorker(app);
      const result = await task.applyAsync([], {}, { countdown: 60 });
      await waitUntil(() => worker.scheduledTasks().length === 1, 'the task to be held');
      const revoked = nextEvent(worker, 'task-revoked', (e) => e.id === result.id);

      await ask(worker, 'revoke', { task_id: result.id });
      const event = await revoked;
      assert.equal(event.terminated, false);
      assert.equal(event.expired, false);
      assert.equal(await result.state(), states.REVOKED);
      await assert.rejects(result.get({ timeout: 1 }), TaskRevokedError);
      assert.deepEqual(worker.scheduledTasks(), []);
      assert.deepEqual(await ask(worker, 'scheduled'), []);
      const q = await queueStats(app, app.conf.taskDefaultQueue);
      assert.deepEqual([q.ready, q.unacked], [0, 0], 'the message was acked, not left for redelivery');
      assert.equal(ran, false);
    });

    it('revoke with terminate stops a running async task: REVOKED (terminated), its ctx.signal aborted, the slot freed', async () => {
      const app = h.app();
      const signals: AbortSignal[] = [];
      const block = app.task(
        uniqueName('ctl.block'),
        (ctx: TaskContext) =>
          new Promise((resolve) => {
            signals.push(ctx.signal);
            setTimeout(resolve, 30_000).unref();
          }),
        { bind: true },
      );
      const quick = app.task(uniqueName('ctl.quick'), () => 'quick');
      const worker = await startWorker(app, { concurrency: 1 });
      const result = await block.delay();
      await waitUntil(() => signals.length === 1, 'the task to start');
      const revoked = nextEvent(worker, 'task-revoked', (e) => e.id === result.id);

      const reply = await ask<{ ok: string }>(worker, 'revoke', { task_id: [result.id], terminate: true, signal: 'SIGTERM' });
      assert.match(reply.ok, new RegExp(`terminated: ${result.id}`));
      assert.equal((await revoked).terminated, true);
      await assert.rejects(result.get({ timeout: 5 }), TaskRevokedError);
      assert.equal(await result.state(), states.REVOKED);
      assert.deepEqual((await result.meta()).result, { exc_type: 'TaskRevokedError', exc_message: ['terminated'], exc_module: 'celery.exceptions' });
      assert.equal(signals[0].aborted, true);
      assert.ok(signals[0].reason instanceof TaskRevokedError, `aborted with ${String(signals[0].reason)}`);
      assert.deepEqual(worker.activeTasks(), []);
      assert.equal(await (await quick.delay()).get({ timeout: 5 }), 'quick', 'the only slot is free again');
      assert.ok((await ask<string[]>(worker, 'revoked')).includes(result.id));
    });

    it('revoke with terminate of a task that is not running says so and only flags it', async () => {
      const worker = await startWorker(h.app());
      const id = randomUUID();
      const reply = await ask<{ ok: string }>(worker, 'revoke', { task_id: id, terminate: true });
      assert.match(reply.ok, /none running here/);
      assert.deepEqual(await ask(worker, 'revoked'), [id]);
    });
  });

  describe('rate_limit and time_limit', () => {
    it("rate_limit '10/s': three tasks sent at once start about 100 ms apart; other tasks are not held back", async () => {
      const app = h.app();
      const starts: { what: string; at: number }[] = [];
      const limited = app.task(uniqueName('ctl.limited'), (i: number) => void starts.push({ what: `limited-${i}`, at: Date.now() }));
      const free = app.task(uniqueName('ctl.free'), () => void starts.push({ what: 'free', at: Date.now() }));
      const worker = await startWorker(app, { concurrency: 4 });

      assert.deepEqual(await ask(worker, 'rate_limit', { task_name: limited.name, rate_limit: '10/s' }), {
        ok: 'new rate limit set successfully',
      });
      const sent = await Promise.all([limited.delay(1), limited.delay(2), limited.delay(3)]);
      const other = await free.delay();
      await Promise.all([...sent, other].map((r) => r.get({ timeout: 5 })));

      const at = (what: string) => starts.find((s) => s.what === what)!.at;
      const limitedStarts = starts.filter((s) => s.what.startsWith('limited')).map((s) => s.at);
      assert.equal(limitedStarts.length, 3);
      for (let i = 1; i < 3; i++) {
        const gap = limitedStarts[i] - limitedStarts[i - 1];
        assert.ok(gap >= 90, `limited task ${i + 1} started ${gap} ms after the one before (10/s allows one per 100 ms)`);
      }
      assert.ok(at('free') < limitedStarts[1], 'the task without a limit did not wait behind the limited ones');
    });

    it('rate_limit 0 lifts the limit: a parked task runs at once', async () => {
      const app = h.app();
      const ran: number[] = [];
      const limited = app.task(uniqueName('ctl.slow'), (i: number) => void ran.push(i));
      const worker = await startWorker(app);
      await ask(worker, 'rate_limit', { task_name: limited.name, rate_limit: '1/m' });
      const [a, b] = [await limited.delay(1), await limited.delay(2)];
      await a.get({ timeout: 5 });
      await waitUntil(() => worker.reservedTasks().length === 1, 'the second task to wait for a token');
      assert.deepEqual(
        (await ask<RequestDict[]>(worker, 'reserved')).map((r) => r.id),
        [b.id],
      );
      assert.deepEqual(await ask(worker, 'rate_limit', { task_name: limited.name, rate_limit: 0 }), { ok: 'rate limit disabled successfully' });
      await b.get({ timeout: 5 });
      assert.deepEqual(ran, [1, 2]);
    });

    it('rate_limit on an unknown task, or with a bad rate, is an error reply', async () => {
      const app = h.app();
      const known = app.task(uniqueName('ctl.known'), () => 'ok');
      const worker = await startWorker(app);
      const unknown = await ask<{ error: string }>(worker, 'rate_limit', { task_name: 'no.such.task', rate_limit: '10/s' });
      assert.deepEqual(Object.keys(unknown), ['error']);
      assert.match(unknown.error, /unknown task/);
      const bad = await ask<{ error: string }>(worker, 'rate_limit', { task_name: known.name, rate_limit: 'fast' });
      assert.deepEqual(Object.keys(bad), ['error']);
      assert.match(bad.error, /rate limit/i);
      assert.equal(await (await known.delay()).get({ timeout: 5 }), 'ok', 'the task runs unlimited still');
    });

    it("time_limit sets a soft limit that aborts a bound task's signal with SoftTimeLimitExceeded", async () => {
      const app = h.app();
      const waits = app.task(
        uniqueName('ctl.waits'),
        (ctx: TaskContext) =>
          new Promise<string>((resolve) => {
            ctx.signal.addEventListener('abort', () => resolve((ctx.signal.reason as Error).name), { once: true });
            setTimeout(() => resolve('no limit reached it'), 10_000).unref();
          }),
        { bind: true },
      );
      const worker = await startWorker(app);
      assert.deepEqual(await ask(worker, 'time_limit', { task_name: waits.name, soft: 0.2, hard: null }), { ok: 'time limits set successfully' });
      const startedAt = Date.now();
      assert.equal(await (await waits.delay()).get({ timeout: 5 }), 'SoftTimeLimitExceeded');
      assert.ok(Date.now() - startedAt < 5000);
      const unknown = await ask<{ error: string }>(worker, 'time_limit', { task_name: 'no.such.task', soft: 1 });
      assert.match(unknown.error, /unknown task/);
    });
    it('time_limit with no values clears the limits the task was defined with', async () => {
      const app = h.app();
      const naps = app.task(uniqueName('ctl.naps'), () => new Promise<string>((resolve) => setTimeout(() => resolve('woke'), 300)), { timeLimit: 0.1 });
      const worker = await startWorker(app);
      await assert.rejects((await naps.delay()).get({ timeout: 5 }), /TimeLimitExceeded/, 'the defined limit applies at first');
      assert.deepEqual(await ask(worker, 'time_limit', { task_name: naps.name, soft: null, hard: null }), { ok: 'time limits set successfully' });
      assert.equal(await (await naps.delay()).get({ timeout: 5 }), 'woke');
    });
  });

  describe('consumers', () => {
    it('add_consumer starts consuming a new queue', async () => {
      const app = h.app();
      const task = app.task(uniqueName('ctl.where'), (ctx: TaskContext) => ctx.deliveryInfo.routingKey, { bind: true });
      const worker = await startWorker(app);
      const extra = uniqueQueue('ctl-extra');
      const args = { queue: extra, exchange: null, exchange_type: 'direct', routing_key: null };
      assert.deepEqual(await ask(worker, 'add_consumer', args), { ok: `add consumer ${extra}` });
      assert.deepEqual(worker.queues, [app.conf.taskDefaultQueue, extra]);
      assert.deepEqual(
        (await ask<{ name: string }[]>(worker, 'active_queues')).map((q) => q.name),
        [app.conf.taskDefaultQueue, extra],
      );
      assert.equal(await (await task.applyAsync([], {}, { queue: extra })).get({ timeout: 5 }), extra);
      assert.deepEqual(await ask(worker, 'add_consumer', args), { ok: `already consuming from ${extra}` });
    });

    it('cancel_consumer stops consuming a queue: a task sent there afterwards stays in the queue', async () => {
      const app = h.app();
      let ranIn: string[] = [];
      const task = app.task(uniqueName('ctl.mark'), (ctx: TaskContext) => void ranIn.push(ctx.deliveryInfo.routingKey), { bind: true });
      const [main, other] = [uniqueQueue('ctl-main'), uniqueQueue('ctl-other')];
      const worker = await startWorker(app, { queues: [main, other] });
      await (await task.applyAsync([], {}, { queue: other })).get({ timeout: 5 });
      assert.deepEqual(ranIn, [other]);
      ranIn = [];

      assert.deepEqual(await ask(worker, 'cancel_consumer', { queue: other }), { ok: `no longer consuming from ${other}` });
      assert.deepEqual(worker.queues, [main]);
      const stranded = await task.applyAsync([], {}, { queue: other });
      // The queue still consumed goes on; give the cancelled one as long to (wrongly) deliver.
      await (await task.applyAsync([], {}, { queue: main })).get({ timeout: 5 });
      await sleep(200);
      assert.deepEqual(ranIn, [main]);
      const q = await queueStats(app, other);
      assert.deepEqual([q.ready, q.unacked, q.consumers], [1, 0, 0], 'the task waits in the queue, with nobody consuming it');
      assert.equal(await stranded.state(), states.PENDING);
      const again = await ask<{ error: string }>(worker, 'cancel_consumer', { queue: other });
      assert.match(again.error, /not consuming/);
    });
  });

  describe('pool_restart and shutdown', () => {
    it('pool_restart is an error reply on the async pool', async () => {
      const worker = await startWorker(h.app());
      const reply = await ask<{ error: string }>(worker, 'pool_restart', { modules: null, reload: false });
      assert.deepEqual(Object.keys(reply), ['error']);
      assert.match(reply.error, /process pool/);
      assert.deepEqual(await ask(worker, 'ping'), { ok: 'pong' });
    });

    it('shutdown: no reply, the worker stops (warm) and goes offline; others keep running', async () => {
      const app = h.app();
      const [target, bystander] = [await startWorker(app), await startWorker(app)];
      const offline = nextEvent(target, 'worker-offline');
      const got = await replies([target, bystander], 'shutdown', { destination: [target.hostname], timeout: 0.5 });
      assert.deepEqual(got, {}, 'shutdown is not answered');
      await offline;
      assert.equal(target.state, 'stopped');
      assert.equal(bystander.state, 'running');
      assert.deepEqual(await replies([target], 'ping', { destination: [target.hostname], timeout: 0.3 }), {}, 'a stopped worker answers nothing');
      assert.deepEqual(await ask(bystander, 'ping'), { ok: 'pong' });
    });
  });

  describe('with the process pool', function () {
    this.timeout(30_000);
    let poolApp: App;

    before(async () => {
      const loaded = await loadTaskModule(POOL_MODULE);
      assert.ok(loaded.app, 'the fixture module exports an app');
      poolApp = loaded.app;
    });
    after(() => poolApp?.close());

    async function poolWorker(concurrency: number) {
      const queue = uniqueQueue('ctl-pool');
      const worker = await startWorker(poolApp, { pool: 'process', module: POOL_MODULE, queues: [queue], concurrency });
      h.onCleanup(() => worker.stop({ timeout: 0 }));
      const send = <R = unknown>(name: string, args: unknown[] = []) => poolApp.sendTask<R>(`ctlpool.${name}`, args, {}, { queue });
      return { worker, send };
    }

    it('revoke with terminate kills the child running the task: REVOKED, and the next task runs in a new child', async () => {
      const { worker, send } = await poolWorker(1);
      const held = await send('hold');
      await waitUntil(() => worker.activeTasks().length === 1, 'the task to start');
      const [running] = await ask<RequestDict[]>(worker, 'active');
      const childPid = running.worker_pid!;
      assert.equal(running.id, held.id);
      assert.equal(typeof childPid, 'number');
      assert.notEqual(childPid, process.pid, 'the task runs in a child process');
      assert.ok(isAlive(childPid));

      const reply = await ask<{ ok: string }>(worker, 'revoke', { task_id: [held.id], terminate: true });
      assert.match(reply.ok, new RegExp(`terminated: ${held.id}`));
      await assert.rejects(held.get({ timeout: 10 }), TaskRevokedError);
      assert.equal(await held.state(), states.REVOKED);
      await waitUntil(() => !isAlive(childPid), `child ${childPid} to be gone`);

      const next = await (await send<number>('pid')).get({ timeout: 15 });
      assert.notEqual(next, childPid, 'a new child ran the next task');
      assert.notEqual(next, process.pid);
    });

    // Celery's clients name signals as Python's signal module does: `celery control
    // terminate KILL <id>`, `revoke(id, terminate=True, signal='SIGKILL')`, or a number.
    for (const [how, args] of [
      ["terminate with Celery's short name 'KILL'", { method: 'terminate', signal: 'KILL' }],
      ['revoke with terminate and signal number 9', { method: 'revoke', signal: 9, terminate: true }],
    ] as const) {
      it(`${how} kills the child: REVOKED, and the pool goes on`, async () => {
        const { worker, send } = await poolWorker(1);
        const held = await send('hold');
        await waitUntil(() => worker.activeTasks().length === 1, 'the task to start');
        const childPid = (await ask<RequestDict[]>(worker, 'active'))[0].worker_pid!;
        const { method, ...rest } = args;
        const revoked = nextEvent(worker, 'task-revoked', (e) => e.id === held.id);
        const reply = await ask<{ ok?: string; error?: string }>(worker, method, { task_id: held.id, ...rest });
        assert.equal(reply.error, undefined, `no error reply: ${reply.error}`);
        await assert.rejects(held.get({ timeout: 10 }), TaskRevokedError);
        assert.equal((await revoked).signum, 9, 'killed with SIGKILL');
        await waitUntil(() => !isAlive(childPid), `child ${childPid} to be gone`);
        assert.notEqual(await (await send<number>('pid')).get({ timeout: 15 }), childPid);
      });
    }

    it('revoke with terminate and a signal that does not exist is an error reply; the task and the pool are unharmed', async () => {
      const { worker, send } = await poolWorker(1);
      const napping = await send<number>('nap', [300]);
      await waitUntil(() => worker.activeTasks().length === 1, 'the task to start');
      const childPid = (await ask<RequestDict[]>(worker, 'active'))[0].worker_pid!;
      const reply = await ask<{ error?: string }>(worker, 'revoke', { task_id: napping.id, terminate: true, signal: 'SIGNOPE' });
      assert.match(reply.error ?? '', /signal/i);
      assert.equal(await napping.get({ timeout: 10 }), childPid, 'it ran to the end in its child');
      assert.equal(await (await send<number>('pid')).get({ timeout: 10 }), childPid, 'the same child takes the next task');
    });

    it('pool_restart replaces every child: new pids, and tasks still run', async () => {
      const { worker, send } = await poolWorker(2);
      const before = (await ask<Record<string, any>>(worker, 'stats')).pool.processes as number[];
      assert.equal(before.length, 2);
      assert.ok(!before.includes(process.pid));

      assert.deepEqual(await ask(worker, 'pool_restart', { modules: null, reload: false }), { ok: 'reload started' });
      let after: number[] = [];
      await waitUntil(async () => {
        after = (await ask<Record<string, any>>(worker, 'stats')).pool.processes;
        return after.length === 2 && after.every((p) => !before.includes(p));
      }, 'the old children to be replaced');
      await waitUntil(() => before.every((p) => !isAlive(p)), 'the old children to exit');

      const ranIn = await (await send<number>('pid')).get({ timeout: 15 });
      assert.ok(after.includes(ranIn), `ran in ${ranIn}, one of the new children ${after.join(', ')}`);
    });
  });
});
