/**
 * RabbitMQ connections cut under a running worker and a sending client.
 * Three ways a connection dies, each breaking only this test's connections
 * (the server is shared):
 *  - the TCP connection is reset (a proxy the test owns destroys its sockets);
 *  - the server closes it (`rabbitmqctl close_all_connections` on a vhost the
 *    test created: connection.close with CONNECTION_FORCED);
 *  - the path goes silent (the proxy stops moving bytes, no FIN, no RST): only
 *    heartbeats notice.
 * Each time the worker process reconnects by itself and every task completes;
 * and with publisher confirms, every sendTask that resolved was not lost,
 * even when the cut lands while sending.
 */
import { strict as assert } from 'node:assert';
import type Redis from 'ioredis';
import { createApp, createLogger, type App } from '../../src/runtime';
import { AMQP_URL } from '../helpers/amqp';
import { closeVhostConnections, createVhost, deleteVhost, rabbitmqctlUsable, rawAmqp, vhostConnections, type RawAmqp } from '../helpers/rabbitmq-admin';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { sleep, waitFor } from '../helpers/wait';
import { killHard, type WorkerProcess } from './reliability-helpers';
import { allSucceeded, deleteSinkKeys, runCounts, SINK_URL, sinkClient, startAmqpWorker, tally, uniqueName } from './amqp-reliability-helpers';

const RABBIT = new URL(AMQP_URL);
const TARGET = { host: RABBIT.hostname, port: Number(RABBIT.port || 5672) };

interface SendLog {
  resolved: string[];
  failed: string[];
}

interface SendPlan {
  total: number;
  inFlight: number;
  /** How long each task works. */
  taskMs: number;
  /** Called after each send settles, so the test can cut while sends wait for their confirms. */
  progress?: (resolved: number) => void;
  /** Keep sending past `total` until this holds (e.g. until a cut has finished). */
  until?: () => boolean;
  /** Pause of each lane between sends, to keep the count bounded while `until` waits. */
  paceMs?: number;
}

/** Send tasks `inFlight` at a time; which resolved (confirmed) and which failed. */
async function sendMany(app: App, plan: SendPlan): Promise<SendLog> {
  const log: SendLog = { resolved: [], failed: [] };
  let started = 0;
  const more = () => started < plan.total || !(plan.until?.() ?? true);
  const lane = async () => {
    while (more()) {
      started++;
      try {
        const r = await app.sendTask('reliability.count', [plan.taskMs]);
        log.resolved.push(r.id);
      } catch (err) {
        log.failed.push((err as Error).message);
      }
      plan.progress?.(log.resolved.length);
      if (plan.paceMs) await sleep(plan.paceMs);
    }
  };
  await Promise.all(Array.from({ length: plan.inFlight }, lane));
  return log;
}

/** A logger that keeps its lines, to see what the client went through. */
function recordingLogger(): { log: ReturnType<typeof createLogger>; text(): string } {
  const lines: string[] = [];
  return { log: createLogger({ level: 'info', sink: { write: (l: string) => lines.push(l) } }), text: () => lines.join('\n') };
}

function proxiedUrl(proxy: TcpProxy, query = ''): string {
  return `amqp://guest:guest@127.0.0.1:${proxy.port}${query}`;
}

describe('amqp://: connections cut under a running worker and a sending client', function () {
  this.timeout(90_000);
  let sink: Redis;
  let rabbit: RawAmqp;
  let app: App | undefined;
  let worker: WorkerProcess | undefined;
  let proxy: TcpProxy | undefined;
  let queue: string;
  let runsKey: string;
  let ids: string[] = [];

  beforeEach(async () => {
    sink = sinkClient();
    rabbit = await rawAmqp();
    queue = uniqueName('cut');
    runsKey = `runs:${queue}`;
    ids = [];
  });

  afterEach(async () => {
    if (worker) await killHard(worker);
    await app?.close().catch(() => undefined);
    await proxy?.stop();
    await rabbit.deleteQueues(queue);
    await rabbit.channel.deleteExchange(queue).catch(() => undefined);
    await rabbit.close();
    await deleteSinkKeys(sink, runsKey, ids);
    sink.disconnect();
    worker = app = proxy = undefined;
  });

  /** Wait until every id ran at least once and succeeded; the worker is still the same process. */
  async function expectAllRan(w: WorkerProcess, sent: string[], timeoutMs = 30_000): Promise<ReturnType<typeof tally>> {
    await waitFor(async () => tally(sent, await runCounts(sink, runsKey)).missing.length === 0, { timeoutMs, intervalMs: 50, what: 'every confirmed task to run' }).catch(async (err: Error) => {
      const t = tally(sent, await runCounts(sink, runsKey));
      throw new Error(`${err.message}: ${t.missing.length} of ${sent.length} never ran\n--- worker output ---\n${w.output().slice(-4000)}`);
    });
    await waitFor(() => allSucceeded(sink, sent), { timeoutMs: 10_000, intervalMs: 100, what: 'every result to be SUCCESS' });
    assert.ok(w.alive(), `the worker process never exited:\n${w.output().slice(-4000)}`);
    return tally(sent, await runCounts(sink, runsKey));
  }

  it('reconnects by itself after TCP resets, while sending and while consuming; every confirmed send runs', async () => {
    proxy = await startTcpProxy(TARGET);
    const url = proxiedUrl(proxy);
    worker = await startAmqpWorker({ name: 'cut', broker: url, queue, runsKey, concurrency: 10 });
    const client = recordingLogger();
    app = createApp({ broker: url, backend: SINK_URL, task_default_queue: queue, task_acks_late: true }, { log: client.log, env: {} });

    const TOTAL = 1500;
    let cutAt = 0;
    let acceptedBeforeCut = 0;
    const log = await sendMany(app, {
      total: TOTAL,
      inFlight: 50,
      taskMs: 2,
      progress: (n) => {
        if (!cutAt && n >= 400) {
          // Mid-send: 50 publishes are waiting for their confirms right now.
          cutAt = Date.now();
          acceptedBeforeCut = proxy!.accepted;
          proxy!.cut();
        }
      },
    });
    ids = log.resolved;
    assert.ok(cutAt, 'the cut happened while sending');
    assert.deepEqual(log.failed, [], 'no send failed: they waited for the connection to come back');
    assert.equal(log.resolved.length, TOTAL);
    assert.ok(proxy.accepted >= acceptedBeforeCut + 2, `worker and client both connected again (${acceptedBeforeCut} → ${proxy.accepted})\n${worker.output().slice(-4000)}`);

    // Second cut while the worker is busy consuming. The first batch may have
    // drained already (the worker runs as fast as the sends), so give it a
    // backlog it cannot finish before the cut: 300 tasks of 20 ms, 10 at a
    // time, take at least 600 ms; cut after the first 50 ran.
    const backlog = await sendMany(app, { total: 300, inFlight: 50, taskMs: 20 });
    assert.deepEqual(backlog.failed, []);
    ids = [...log.resolved, ...backlog.resolved];
    const backlogRan = async () => (await sink.hmget(runsKey, ...backlog.resolved)).filter((n) => n !== null).length;
    await waitFor(async () => (await backlogRan()) >= 50, { timeoutMs: 30_000, intervalMs: 10, what: 'the backlog to start running' });
    const before = await backlogRan();
    const cut2 = Date.now();
    proxy.cut();
    await waitFor(async () => (await backlogRan()) > before + 20, { timeoutMs: 10_000, intervalMs: 10, what: 'tasks to run again after the second cut' });
    const resumedIn = Date.now() - cut2;

    const t = await expectAllRan(worker, ids);
    assert.match(worker.output(), /lost the connection to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+.*reconnecting/);
    assert.match(worker.output(), /reconnected to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+/);
    assert.doesNotMatch(worker.output(), /guest:guest/, 'no password in the log');
    assert.match(client.text(), /reconnected to RabbitMQ/, 'the client reconnected too');
    console.log(`      tcp reset: ${ids.length} confirmed sends, ${t.executions} executions, ${t.duplicated} ran twice; consuming again ${resumedIn} ms after the second cut`);
  });

  it('survives a cut in the middle of re-declaring after a reconnect: one connection, one consumer, nothing stuck unacked', async () => {
    proxy = await startTcpProxy(TARGET);
    worker = await startAmqpWorker({ name: 'redeclare', broker: proxiedUrl(proxy), queue, runsKey, concurrency: 10 });
    // The client goes straight to RabbitMQ: this one is about the worker.
    app = createApp({ broker: AMQP_URL, backend: SINK_URL, task_default_queue: queue, task_acks_late: true }, { log: createLogger({ level: 'silent' }), env: {} });
    const TOTAL = 600;
    const sent = await Promise.all(Array.from({ length: TOTAL }, () => app!.sendTask('reliability.count', [5])));
    ids = sent.map((r) => r.id);
    await waitFor(async () => (await sink.hlen(runsKey)) >= 100, { timeoutMs: 10_000, intervalMs: 10, what: 'tasks to run' });

    // The first reconnection is cut the moment it sends queue.declare (AMQP
    // class 50, method 10): the worker is re-declaring what it declared, before
    // it resumes consuming.
    let cutMidRedeclare = false;
    proxy.onAccept((conn) => {
      if (cutMidRedeclare) return;
      cutMidRedeclare = true;
      void conn.clientSends(Buffer.from([0x00, 0x32, 0x00, 0x0a])).then(conn.cut);
    });
    proxy.cut();

    const t = await expectAllRan(worker, ids, 30_000);
    assert.ok(cutMidRedeclare, 'the re-declaring connection was cut');
    await waitFor(async () => (await rabbit.depth(queue)).messages === 0, { timeoutMs: 10_000, what: 'the queue to drain' });
    // Past any back-off a second reconnect loop would still be sleeping in.
    await sleep(1500);
    assert.equal(proxy.open, 1, `the worker holds one connection (${proxy.accepted} accepted in all)`);
    assert.equal((await rabbit.depth(queue)).consumers, 1, 'and consumes the queue once');
    // Every delivery was settled on a live channel: once the worker is gone nothing comes back.
    await killHard(worker);
    worker = undefined;
    await waitFor(async () => (await rabbit.depth(queue)).consumers === 0, { timeoutMs: 10_000, what: 'the consumer to be gone' });
    assert.equal((await rabbit.depth(queue)).messages, 0, 'no delivery was left unacked on a stray channel or connection');
    console.log(`      cut mid-redeclare: ${proxy.accepted} connections, ${TOTAL} tasks, ${t.executions} executions, ${t.duplicated} ran twice`);
  });

  it('reconnects by itself when the server closes the connections (rabbitmqctl close_all_connections on its vhost), with the negotiated heartbeat', async function () {
    if (!(await rabbitmqctlUsable())) this.skip();
    const vhost = uniqueName('vhost');
    const url = await createVhost(vhost);
    try {
      worker = await startAmqpWorker({ name: 'forced', broker: `${url}?heartbeat=7`, queue, runsKey, concurrency: 10 });
      const client = recordingLogger();
      app = createApp({ broker: url, backend: SINK_URL, task_default_queue: queue, task_acks_late: true }, { log: client.log, env: {} });
      const probe = await app.sendTask('reliability.count', [0]);
      ids.push(probe.id);
      await probe.get({ timeout: 10 });

      // Heartbeats negotiated: the URL's value for the worker, Celeriac's default (60 s) for the client.
      const conns = await vhostConnections(vhost);
      assert.deepEqual(conns.map((c) => c.timeout).sort((a, b) => a - b), [7, 60], JSON.stringify(conns));
      assert.ok(conns.every((c) => c.clientProperties.product === 'celeriac'), JSON.stringify(conns.map((c) => c.clientProperties)));

      const TOTAL = 300;
      const TASK_MS = 40; // 10 at a time, 250 a second: slower than the sends, so a backlog builds for the second close
      let closing: Promise<void> | undefined;
      let closed = false;
      let resolvedAtClose = 0;
      let resolved = 0;
      const log = await sendMany(app, {
        total: TOTAL,
        inFlight: 10,
        paceMs: 10,
        taskMs: TASK_MS,
        progress: (n) => {
          resolved = n;
          if (closing || n < 100) return;
          closing = closeVhostConnections(vhost, 'celeriac test: forced close while sending').then(() => {
            closed = true;
            resolvedAtClose = resolved;
          });
        },
        // rabbitmqctl takes a moment: keep sending until well after the close.
        until: () => closed && resolved >= resolvedAtClose + 100,
      });
      await closing;
      ids.push(...log.resolved);
      assert.deepEqual(log.failed, [], 'no send failed');
      assert.match(client.text(), /lost the connection to RabbitMQ.*CONNECTION_FORCED/, 'the close hit the client while it was sending');
      assert.match(client.text(), /reconnected to RabbitMQ/);

      await closeVhostConnections(vhost, 'celeriac test: forced close while consuming');
      const leftAtSecondClose = ids.length - (await sink.hlen(runsKey));

      const t = await expectAllRan(worker, ids);
      const losses = worker.output().match(/lost the connection to RabbitMQ.*CONNECTION_FORCED.*reconnecting/g) ?? [];
      assert.equal(losses.length, 2, 'the worker lost its connection to each close, and reconnected each time');
      // Back with the same heartbeat.
      await waitFor(async () => (await vhostConnections(vhost)).some((c) => c.timeout === 7), { timeoutMs: 10_000, what: 'the worker connected again' });
      console.log(
        `      forced close: ${ids.length} confirmed sends (${resolvedAtClose} before the first close finished), ` +
          `${t.executions} executions, ${t.duplicated} ran twice; ${leftAtSecondClose} not yet run at the second close`,
      );
    } finally {
      if (worker) await killHard(worker);
      await app?.close().catch(() => undefined);
      worker = app = undefined;
      await deleteVhost(vhost);
    }
  });

  it('notices a silent partition through heartbeats and reconnects', async () => {
    proxy = await startTcpProxy(TARGET);
    worker = await startAmqpWorker({ name: 'silent', broker: proxiedUrl(proxy, '?heartbeat=1'), queue, runsKey, concurrency: 4 });
    // The client goes straight to RabbitMQ: only the worker's path goes silent.
    app = createApp({ broker: AMQP_URL, backend: SINK_URL, task_default_queue: queue }, { log: createLogger({ level: 'silent' }), env: {} });
    const first = await app.sendTask('reliability.count', [0]);
    ids.push(first.id);
    await first.get({ timeout: 10 });

    const accepted = proxy.accepted;
    proxy.freeze();
    const frozenAt = Date.now();
    const during = await Promise.all(Array.from({ length: 20 }, () => app!.sendTask('reliability.count', [0])));
    ids.push(...during.map((r) => r.id));
    await waitFor(() => proxy!.accepted > accepted, { timeoutMs: 15_000, what: 'the worker to notice and connect again' });
    const noticedIn = Date.now() - frozenAt;
    await expectAllRan(worker, ids, 15_000);
    assert.match(worker.output(), /lost the connection to RabbitMQ.*heartbeat/i);
    console.log(`      silent partition (heartbeat 1 s): reconnected after ${noticedIn} ms`);
  });
});
