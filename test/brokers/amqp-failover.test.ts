/**
 * `amqp://a;amqp://b` failover: the broker connects to the first URL that
 * answers — skipping one that refuses and one that accepts TCP but never
 * speaks AMQP — and when the connected node goes away, a worker moves to the
 * other one by itself and keeps consuming. The two "nodes" are proxies the
 * test owns in front of the one shared RabbitMQ, so stopping one breaks only
 * this test's connections.
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import type Redis from 'ioredis';
import { ConnectionError, createApp, createLogger, Worker, type App } from '../../src/runtime';
import { AmqpBroker } from '../../src/runtime/brokers/amqp/amqp-broker';
import { AMQP_URL } from '../helpers/amqp';
import { rawAmqp, type RawAmqp } from '../helpers/rabbitmq-admin';
import { sparePort } from '../helpers/redis-server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { waitFor } from '../helpers/wait';
import { killHard, type WorkerProcess } from '../reliability/reliability-helpers';
import { allSucceeded, deleteSinkKeys, SINK_URL, sinkClient, startAmqpWorker, uniqueName } from '../reliability/amqp-reliability-helpers';

const silent = createLogger({ level: 'silent' });
const RABBIT = new URL(AMQP_URL);
const TARGET = { host: RABBIT.hostname, port: Number(RABBIT.port || 5672) };
const at = (port: number) => `amqp://guest:guest@127.0.0.1:${port}`;

/** Accepts TCP connections and never answers: a hung node, or a firewall that lets SYN through. */
async function mute(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined).on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('amqp://: failover between broker URLs', function () {
  this.timeout(60_000);
  let rabbit: RawAmqp;
  let queue: string;

  beforeEach(async () => {
    rabbit = await rawAmqp();
    queue = uniqueName('failover');
  });
  afterEach(async () => {
    await rabbit.deleteQueues(queue);
    await rabbit.channel.deleteExchange(queue).catch(() => undefined);
    await rabbit.close();
  });

  async function roundTrip(url: string): Promise<number> {
    const app = createApp({ broker: url, backend: 'rpc://', task_default_queue: queue }, { log: silent, env: {} });
    const add = app.task('failover.add', (a: number, b: number) => a + b);
    const worker = new Worker(app, { concurrency: 2, log: silent });
    try {
      await worker.start();
      return await (await add.delay(20, 22)).get({ timeout: 10 });
    } finally {
      await worker.stop();
      await app.close();
    }
  }

  it('skips a URL that refuses connections and uses the next', async () => {
    const dead = await sparePort();
    const broker = await AmqpBroker.connect(`${at(dead)};${AMQP_URL}`, { log: silent });
    try {
      assert.equal(broker.url, AMQP_URL.replace(':guest@', ':***@'), 'connected to the second URL');
    } finally {
      await broker.close();
    }
    assert.equal(await roundTrip(`${at(dead)};${AMQP_URL}`), 42);
  });

  it('skips a URL that accepts TCP but never answers (connection timeout) and uses the next', async () => {
    const hung = await mute();
    try {
      const started = Date.now();
      const broker = await AmqpBroker.connect(`${at(hung.port)};${AMQP_URL}`, { log: silent, transportOptions: { connect_timeout: 1 } });
      const tookMs = Date.now() - started;
      await broker.close();
      assert.ok(tookMs < 10_000, `connected after ${tookMs} ms`);
      console.log(`      hung first URL: connected to the second after ${tookMs} ms (connect_timeout 1 s)`);
    } finally {
      await hung.close();
    }
  });

  it('fails with every URL named, passwords hidden, when none answers', async () => {
    const [a, b] = [await sparePort(), await sparePort()];
    await assert.rejects(AmqpBroker.connect(`amqp://guest:s3cret@127.0.0.1:${a};amqp://guest:s3cret@127.0.0.1:${b}`, { log: silent }), (err: unknown) => {
      assert.ok(err instanceof ConnectionError, String(err));
      assert.match(err.message, new RegExp(`amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${a}.*ECONNREFUSED.*amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${b}.*ECONNREFUSED`));
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
  });

  describe('a worker process whose node goes away', () => {
    let a: TcpProxy;
    let b: TcpProxy;
    let worker: WorkerProcess | undefined;
    let app: App | undefined;
    let sink: Redis;
    const ids: string[] = [];
    const runsKey = () => `runs:${queue}`;

    beforeEach(async () => {
      a = await startTcpProxy(TARGET);
      b = await startTcpProxy(TARGET);
      sink = sinkClient();
    });
    afterEach(async () => {
      if (worker) await killHard(worker);
      await app?.close().catch(() => undefined);
      worker = app = undefined;
      await a.stop();
      await b.stop();
      await deleteSinkKeys(sink, runsKey(), ids.splice(0));
      sink.disconnect();
    });

    async function sendAndRun(n: number): Promise<void> {
      const sent = await Promise.all(Array.from({ length: n }, () => app!.sendTask('reliability.count', [0])));
      ids.push(...sent.map((r) => r.id));
      await waitFor(() => allSucceeded(sink, sent.map((r) => r.id)), { timeoutMs: 15_000, intervalMs: 50, what: `${n} tasks to run` }).catch((err: Error) => {
        throw new Error(`${err.message}\n--- worker output ---\n${worker!.output().slice(-4000)}`);
      });
    }

    it('moves to the other URL and back, consuming all along', async () => {
      const url = `${at(a.port)};${at(b.port)}`;
      worker = await startAmqpWorker({ name: 'failover', broker: url, queue, runsKey: runsKey(), concurrency: 4 });
      app = createApp({ broker: url, backend: SINK_URL, task_default_queue: queue }, { log: silent, env: {} });
      await sendAndRun(20);
      assert.ok(a.open >= 2 && b.accepted === 0, `both on the first URL (a: ${a.open} open, b: ${b.accepted} accepted)`);

      // Node A goes away: refused from now on.
      await a.stop();
      const stoppedAt = Date.now();
      await sendAndRun(50);
      const movedIn = Date.now() - stoppedAt;
      assert.ok(b.open >= 2, 'worker and client are on the second URL');
      assert.match(worker.output(), new RegExp(`reconnected to RabbitMQ at amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${b.port}`));
      assert.equal((await app.connectBroker()).url, `amqp://guest:***@127.0.0.1:${b.port}`, 'the client names the server it moved to');

      // A is back and B goes away: round robin brings them to A again.
      await a.start();
      const acceptedByA = a.accepted;
      await b.stop();
      await sendAndRun(50);
      assert.ok(a.accepted >= acceptedByA + 2, 'back on the first URL');
      assert.equal((await app.connectBroker()).url, `amqp://guest:***@127.0.0.1:${a.port}`);
      assert.ok(worker.alive(), 'the worker never exited');
      console.log(`      failover: tasks ran through the second URL ${movedIn} ms after the first went away`);
    });
  });
});
