/**
 * rpc:// results over a real RabbitMQ: the worker answers on the sender's
 * reply queue (reply_to = the app's oid) with correlation_id = task id, as
 * Celery's rpc backend does; only the sender sees the result.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { AsyncResult, chain, createApp, TaskFailedError, TimeoutError, Worker, type App } from '../../src/runtime';
import { AMQP_URL } from '../helpers/amqp';
import { quietLog, waitUntil } from '../helpers/runtime-harness';

describe('rpc:// result backend (RabbitMQ)', function () {
  this.timeout(30_000);
  const apps: App[] = [];
  const workers: Worker[] = [];
  const queues: string[] = [];

  function app(queue: string): App {
    const a = createApp({ broker_url: AMQP_URL, result_backend: 'rpc://', task_default_queue: queue }, { log: quietLog });
    apps.push(a);
    return a;
  }

  async function worker(a: App): Promise<Worker> {
    const w = new Worker(a, { concurrency: 4 });
    workers.push(w);
    await w.start();
    return w;
  }

  function newQueue(): string {
    const q = `rpc-test-${randomUUID().slice(0, 8)}`;
    queues.push(q);
    return q;
  }

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await Promise.all(apps.splice(0).map((a) => a.close()));
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createChannel();
    for (const q of queues.splice(0)) await ch.deleteQueue(q);
    await conn.close();
  });

  it('returns values and failures to the sender', async () => {
    const queue = newQueue();
    const w = app(queue);
    w.task('rpc.add', (a: number, b: number) => a + b);
    w.task('rpc.boom', () => {
      throw new RangeError('out of range');
    });
    await worker(w);
    const client = app(queue);
    const ok = await client.sendTask('rpc.add', [2, 3]);
    const bad = await client.sendTask('rpc.boom');
    assert.equal(await ok.get({ timeout: 10 }), 5);
    await assert.rejects(bad.get({ timeout: 10 }), (err: unknown) => err instanceof TaskFailedError && err.excType === 'RangeError' && /out of range/.test(err.message));
    assert.equal((await ok.state()), 'SUCCESS');
  });

  it('a chain: get() on the last step returns its value, or the error of the step that failed (results of every step come back to the sender)', async () => {
    const queue = newQueue();
    const w = app(queue);
    const add = w.task('rpc.add', (a: number, b: number) => a + b);
    const boom = w.task('rpc.boom', () => {
      throw new RangeError('out of range');
    });
    await worker(w);
    // The chain is sent by the app its tasks belong to: that app's reply queue gets every step's result.
    const ok = await chain(add.s(1, 2), add.s(3)).applyAsync();
    assert.equal(await ok.get({ timeout: 10 }), 6);
    const failed = await chain(add.s(1, 2), boom.si(), add.s(3)).applyAsync();
    assert.ok(failed instanceof AsyncResult);
    await assert.rejects(failed.get({ timeout: 10 }), (err: unknown) => err instanceof TaskFailedError && err.excType === 'RangeError' && err.taskId === failed.parent?.id);
  });

  it('sends each result to its own sender only', async () => {
    const queue = newQueue();
    const w = app(queue);
    w.task('rpc.echo', (v: unknown) => v);
    await worker(w);
    const alice = app(queue);
    const bob = app(queue);
    const fromAlice = await alice.sendTask('rpc.echo', ['alice']);
    const fromBob = await bob.sendTask('rpc.echo', ['bob']);
    assert.equal(await fromAlice.get({ timeout: 10 }), 'alice');
    assert.equal(await fromBob.get({ timeout: 10 }), 'bob');
    // Bob's reply queue never saw Alice's task.
    assert.equal(await bob.asyncResult(fromAlice.id).state(), 'PENDING');
  });

  it('declares the reply queue before sending, so a fast result is not dropped', async () => {
    const queue = newQueue();
    const w = app(queue);
    w.task('rpc.fast', () => 'quick');
    await worker(w);
    // A fresh client whose very first act is to send: the reply queue must exist by then.
    const client = app(queue);
    const r = await client.sendTask('rpc.fast');
    assert.equal(await r.get({ timeout: 10 }), 'quick');
    const conn = await amqp.connect(AMQP_URL);
    try {
      const ch = await conn.createChannel();
      const q = await ch.checkQueue(client.oid);
      assert.equal(q.messageCount, 0, 'the reply was consumed');
    } finally {
      await conn.close();
    }
  });

  it('times out naming the task and the reply queue', async () => {
    const client = app(newQueue());
    const r = await client.sendTask('rpc.nobody_runs_this');
    await assert.rejects(r.get({ timeout: 0.3 }), (err: unknown) => err instanceof TimeoutError && err.message.includes(r.id) && err.message.includes(client.oid));
  });

  it('reports the states a worker publishes (STARTED when tracked)', async () => {
    const queue = newQueue();
    const w = app(queue);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    w.task('rpc.slow', async () => {
      await gate;
      return 'done';
    }, { trackStarted: true });
    await worker(w);
    const client = app(queue);
    const r = await client.sendTask('rpc.slow');
    await waitUntil(async () => (await r.state()) === 'STARTED', 'STARTED on the reply queue', 10_000);
    release();
    assert.equal(await r.get({ timeout: 10 }), 'done');
  });

  it('refuses groups and chords with an error that names the fix', async () => {
    const client = app(newQueue());
    const backend = await client.connectBackend();
    await assert.rejects(backend.saveGroup('g', ['a']), /rpc:\/\/ result backend cannot save a group.*redis:\/\//);
  });
});
