/**
 * A worker never dies of bad input: each malformed message is rejected (not
 * requeued) with a `task-rejected` event naming the problem, and the worker
 * goes on running tasks.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Worker, protocol, states, type App, type Task } from '../../src/runtime';
import type { TaskRejectedEvent } from '../../src/runtime/worker/worker-events';
import { Harness, captureLog, nextEvent, queueStats, uniqueName } from '../helpers/runtime-harness';

type RawMessage = protocol.BrokerMessage;

function goodMessage(task: string, id = randomUUID()): RawMessage {
  return protocol.encodeTaskMessage({ id, task, args: [1, 2], kwargs: {}, origin: 'test@bad-input' });
}

describe('worker: bad input never stops the worker', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  let app: App;
  let add: Task<[number, number], number>;
  let worker: Worker;
  let queue: string;
  let ran: number;
  let log: ReturnType<typeof captureLog>;

  beforeEach(async () => {
    log = captureLog();
    app = h.app({}, { log });
    queue = app.conf.taskDefaultQueue;
    ran = 0;
    add = app.task(uniqueName('proj.add'), (a: number, b: number) => {
      ran++;
      return a + b;
    });
    worker = h.track(new Worker(app, { concurrency: 1 }));
    await worker.start();
  });

  /** Publish a raw message, wait for its rejection, and check the aftermath. */
  async function rejectionOf(message: RawMessage): Promise<TaskRejectedEvent> {
    const rejected = nextEvent(worker, 'task-rejected');
    let rejections = 0;
    const counting = worker.events.on('task-rejected', () => rejections++);
    const broker = await app.connectBroker();
    await broker.publish(message, { exchange: '', routingKey: queue });
    const event = await rejected;
    assert.equal(event.requeued, false);
    assert.equal(event.queue, queue);
    // A clear log line naming the message and the reason.
    const line = log.lines.find((l) => l.includes('ERROR') && l.includes(event.reason));
    assert.ok(line, `expected an error log line with the reason, got:\n${log.lines.join('\n')}`);
    if (event.id) assert.ok(line.includes(event.id), `the log line should name message ${event.id}: ${line}`);
    // Gone from the queue: neither waiting nor held.
    const stats = await queueStats(app, queue);
    assert.deepEqual({ ready: stats.ready, unacked: stats.unacked }, { ready: 0, unacked: 0 });
    assert.equal(ran, 0, 'a rejected message must not run a task');
    // And the worker goes on.
    assert.equal(worker.state, 'running');
    assert.equal(await (await add.delay(2, 3)).get({ timeout: 5 }), 5);
    const after = await queueStats(app, queue);
    assert.deepEqual({ ready: after.ready, unacked: after.unacked }, { ready: 0, unacked: 0 });
    counting.dispose();
    assert.equal(rejections, 1, 'the bad message was delivered once, not requeued and redelivered');
    return event;
  }

  it('rejects a body that is not valid JSON', async () => {
    const msg = goodMessage(add.name);
    const event = await rejectionOf({ ...msg, body: '[[1, 2], {}, {"callbacks": ' });
    assert.match(event.reason, /not valid JSON/);
    assert.equal(event.id, msg.headers.id);
  });

  it('rejects a body that says it is base64 but is not', async () => {
    const msg = goodMessage(add.name);
    const event = await rejectionOf({
      ...msg,
      body: '%%% this is *not* base64 %%%',
      properties: { ...msg.properties, body_encoding: 'base64' },
    });
    assert.match(event.reason, /base64/);
  });

  it('rejects an unknown task name and stores FAILURE with NotRegistered for it', async () => {
    const id = randomUUID();
    const failed = nextEvent(worker, 'task-failed');
    const event = await rejectionOf(goodMessage('proj.does_not_exist', id));
    assert.match(event.reason, /unregistered/);
    assert.match(event.reason, /proj\.does_not_exist/);
    assert.equal(event.id, id);
    assert.equal(event.name, 'proj.does_not_exist');
    assert.equal((await failed).id, id);

    const meta = await app.asyncResult(id).meta();
    assert.equal(meta.status, states.FAILURE);
    assert.equal((meta.result as protocol.ExceptionInfo).exc_type, 'NotRegistered');
    assert.match(String((meta.result as protocol.ExceptionInfo).exc_message), /proj\.does_not_exist/);
  });

  it("rejects a message without a 'task' header", async () => {
    const msg = goodMessage(add.name);
    const { task: _task, ...headers } = msg.headers;
    const event = await rejectionOf({ ...msg, headers });
    assert.match(event.reason, /missing header 'task'/);
  });

  it("rejects a message without an 'id' header", async () => {
    const msg = goodMessage(add.name);
    const { id: _id, ...headers } = msg.headers;
    const event = await rejectionOf({ ...msg, headers });
    assert.match(event.reason, /missing header 'id'/);
  });

  it('rejects a pickle message (content type application/x-python-serialize) without unpickling it', async () => {
    const msg = goodMessage(add.name);
    const event = await rejectionOf({
      ...msg,
      contentType: 'application/x-python-serialize',
      body: Buffer.from('gASVEAAAAAAAAACMCGJ1aWx0aW5zlC4=', 'base64'),
    });
    assert.match(event.reason, /application\/x-python-serialize/);
    assert.match(event.reason, /not accepted/);
  });

  it('rejects a 10 MB body as over the message size limit', async () => {
    const msg = goodMessage(add.name);
    const big = JSON.stringify([['x'.repeat(10 * 1024 * 1024)], {}, {}]);
    const event = await rejectionOf({ ...msg, body: big });
    assert.match(event.reason, /over the limit/);
    assert.match(event.reason, /task_message_max_bytes/);
  });

  it('rejects a body that is JSON but not [args, kwargs, embed]', async () => {
    const msg = goodMessage(add.name);
    const event = await rejectionOf({ ...msg, body: '{"args": [1, 2]}' });
    assert.match(event.reason, /\[args, kwargs, embed\]/);
  });

  it('rejects a message whose eta header is not a time', async () => {
    const msg = goodMessage(add.name);
    const event = await rejectionOf({ ...msg, headers: { ...msg.headers, eta: 'tomorrow-ish' } });
    assert.match(event.reason, /eta/);
  });

  it('keeps running tasks after many bad messages in a row', async () => {
    const broker = await app.connectBroker();
    let rejected = 0;
    worker.events.on('task-rejected', () => rejected++);
    for (let i = 0; i < 20; i++) {
      await broker.publish({ ...goodMessage(add.name), body: `not json ${i}` }, { exchange: '', routingKey: queue });
    }
    assert.equal(await (await add.delay(20, 22)).get({ timeout: 5 }), 42);
    assert.equal(rejected, 20);
  });
});
