/**
 * A worker never dies of bad input, on RabbitMQ: messages published raw with
 * amqplib (what any producer, or a bug, could put on the queue) interleaved
 * with good tasks. Each bad one is rejected without requeue — gone from the
 * queue, or moved to the dead-letter queue when the queue has a dead-letter
 * exchange — with a log line naming its id and the reason; the worker keeps
 * going and every good task around them runs once.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type * as amqp from 'amqplib';
import type Redis from 'ioredis';
import { protocol } from '../../src/runtime';
import { rawAmqp, type RawAmqp } from '../helpers/rabbitmq-admin';
import { AMQP_URL } from '../helpers/amqp';
import { sleep, waitFor } from '../helpers/wait';
import { killHard, type WorkerProcess } from './reliability-helpers';
import { allSucceeded, deleteSinkKeys, runCounts, sinkClient, startAmqpWorker, uniqueName } from './amqp-reliability-helpers';

interface Raw {
  kind: string;
  body: Buffer;
  options: amqp.Options.Publish;
  /** The id a log line must name, or null when the message has none. */
  id: string | null;
  reason: RegExp;
}

/** A task message as Celery publishes it over AMQP (properties + headers + JSON body). */
function good(id = randomUUID(), task = 'reliability.count', args: unknown[] = [0]): Raw {
  const m = protocol.encodeTaskMessage({ id, task, args, kwargs: {}, origin: 'test@reliability' });
  return {
    kind: 'good',
    body: Buffer.from(m.body as string),
    options: { contentType: m.contentType, contentEncoding: m.contentEncoding, headers: m.headers, correlationId: id, deliveryMode: 2, messageId: id },
    id,
    reason: /./,
  };
}

function badMessages(): Raw[] {
  const bad: Raw[] = [];
  {
    const m = good();
    bad.push({ ...m, kind: 'truncated JSON body', body: Buffer.from('[[0], {}, {"callbacks": '), reason: /body is not valid JSON/ });
  }
  {
    const m = good();
    bad.push({ ...m, kind: 'JSON body that is not [args, kwargs, embed]', body: Buffer.from('{"args": [0]}'), reason: /body must be a JSON list/ });
  }
  {
    const m = good(randomUUID(), 'reliability.no_such_task');
    bad.push({ ...m, kind: 'unknown task name', reason: /unregistered task.*reliability\.no_such_task/ });
  }
  {
    const m = good();
    const pickle = Buffer.from("\x80\x04\x95cos\nsystem\n(S'touch /tmp/pwned'\ntR.", 'latin1');
    bad.push({ ...m, kind: 'pickle (application/x-python-serialize)', body: pickle, options: { ...m.options, contentType: 'application/x-python-serialize', contentEncoding: 'binary' }, reason: /application\/x-python-serialize.*not accepted/ });
  }
  {
    const m = good();
    const { contentType: _ct, ...options } = m.options;
    bad.push({ ...m, kind: 'no content type', options, reason: /no content type/ });
  }
  {
    // Protocol v1 (everything in the body, no headers): named by its correlation id.
    const id = randomUUID();
    const body = Buffer.from(JSON.stringify({ id, task: 'reliability.count', args: [0], kwargs: {} }));
    bad.push({ kind: 'protocol v1 (no headers)', body, options: { contentType: 'application/json', contentEncoding: 'utf-8', correlationId: id, deliveryMode: 2 }, id, reason: /missing header 'task'.*protocol v1/ });
  }
  {
    bad.push({ kind: 'no id anywhere', body: Buffer.from('garbage'), options: { contentType: 'text/plain' }, id: null, reason: /missing header 'task'/ });
  }
  {
    const m = good(randomUUID(), 'reliability.count', ['x'.repeat(9 * 1024 * 1024)]);
    bad.push({ ...m, kind: '9 MB body', reason: /over the limit/ });
  }
  return bad;
}

/** good, bad, good, bad, …, good: in the order RabbitMQ delivers them. */
function interleave(bad: Raw[]): { messages: Raw[]; goodIds: string[] } {
  const messages: Raw[] = [];
  const goodIds: string[] = [];
  const g = () => {
    const m = good();
    goodIds.push(m.id!);
    messages.push(m);
  };
  g();
  for (const b of bad) {
    messages.push(b);
    g();
  }
  return { messages, goodIds };
}

function rejectionLine(output: string, b: Raw): string | undefined {
  return output
    .split('\n')
    .find((l) => /ERROR/.test(l) && l.includes('Rejected message') && b.reason.test(l) && (b.id === null ? l.includes('(no id)') : l.includes(b.id)));
}

describe('amqp://: malformed messages on the queue', function () {
  this.timeout(60_000);
  let sink: Redis;
  let rabbit: RawAmqp;
  let worker: WorkerProcess | undefined;
  let queue: string;
  let runsKey: string;
  let ids: string[] = [];
  const extraQueues: string[] = [];
  const exchanges: string[] = [];

  beforeEach(async () => {
    sink = sinkClient();
    rabbit = await rawAmqp();
    queue = uniqueName('malformed');
    runsKey = `runs:${queue}`;
    ids = [];
  });

  afterEach(async () => {
    if (worker) await killHard(worker);
    worker = undefined;
    await rabbit.deleteQueues(queue, ...extraQueues.splice(0));
    for (const x of [queue, ...exchanges.splice(0)]) await rabbit.channel.deleteExchange(x).catch(() => undefined);
    await rabbit.close();
    await deleteSinkKeys(sink, runsKey, ids);
    sink.disconnect();
  });

  /** Declare the queue as the worker will (Celery's exchange and binding), with `args`. */
  async function declare(args: Record<string, unknown> = {}): Promise<void> {
    await rabbit.channel.assertExchange(queue, 'direct', { durable: true });
    await rabbit.channel.assertQueue(queue, { durable: true, arguments: args });
    await rabbit.channel.bindQueue(queue, queue, queue);
  }

  function publish(messages: Raw[]): void {
    for (const m of messages) rabbit.channel.sendToQueue(queue, m.body, m.options);
  }

  /** Stop the worker hard: anything it had not settled would be back on the queue now. */
  async function stopAndCheckEmpty(): Promise<void> {
    await killHard(worker!);
    await waitFor(async () => (await rabbit.depth(queue)).consumers === 0, { timeoutMs: 10_000, what: 'the consumer to be gone' });
    assert.equal((await rabbit.depth(queue)).messages, 0, 'nothing requeued, nothing left unacked');
  }

  it('rejects each bad message without requeue, logging its id and reason, and runs every good task around them', async () => {
    await declare();
    // Round 1: on the queue before the worker starts (prefetched in a burst).
    const round1 = interleave(badMessages());
    publish(round1.messages);
    worker = await startAmqpWorker({ name: 'malformed', broker: AMQP_URL, queue, runsKey, concurrency: 4 });
    await waitFor(() => allSucceeded(sink, round1.goodIds), { timeoutMs: 20_000, intervalMs: 50, what: 'the good tasks of round 1' });

    // Round 2: one at a time into an idle worker.
    const round2 = interleave(badMessages());
    for (const m of round2.messages) {
      publish([m]);
      await sleep(20);
    }
    await waitFor(() => allSucceeded(sink, round2.goodIds), { timeoutMs: 20_000, intervalMs: 50, what: 'the good tasks of round 2' });
    const goodIds = [...round1.goodIds, ...round2.goodIds];
    const bad = [...round1.messages, ...round2.messages].filter((m) => m.kind !== 'good');
    ids = [...goodIds, ...bad.flatMap((b) => (b.id ? [b.id] : []))];

    const out = () => worker!.output();
    await waitFor(() => bad.every((b) => rejectionLine(out(), b)), { timeoutMs: 5000, what: 'a rejection line for every bad message' }).catch(() => {
      const missing = bad.filter((b) => !rejectionLine(out(), b)).map((b) => `${b.kind} (id ${b.id})`);
      assert.fail(`no rejection log line naming id and reason for: ${missing.join(', ')}\n--- worker output ---\n${out().slice(-8000)}`);
    });
    // Rejected once each: not requeued and delivered again.
    assert.equal(out().split('\n').filter((l) => l.includes('Rejected message')).length, bad.length, 'one rejection per bad message');
    const runs = await runCounts(sink, runsKey);
    for (const id of goodIds) assert.equal(runs.get(id), 1, `good task ${id}`);
    assert.equal(runs.size, goodIds.length, 'a bad message ran a task');
    // The unregistered task's client is not left waiting: FAILURE NotRegistered.
    for (const b of bad.filter((e) => e.kind === 'unknown task name')) {
      const meta = JSON.parse((await sink.get(`celery-task-meta-${b.id}`))!);
      assert.equal(meta.status, 'FAILURE');
      assert.equal(meta.result.exc_type, 'NotRegistered');
    }
    assert.ok(worker.alive(), `the worker is still running:\n${out().slice(-4000)}`);
    assert.doesNotMatch(out(), /unhandled|uncaught/i);
    await stopAndCheckEmpty();
  });

  it('dead-letters the bad messages when the queue has x-dead-letter-exchange (task_queues queue_arguments)', async () => {
    const dlx = uniqueName('dlx');
    const dlq = uniqueName('dlq');
    exchanges.push(dlx);
    extraQueues.push(dlq);
    await rabbit.channel.assertExchange(dlx, 'fanout', { durable: true });
    await rabbit.channel.assertQueue(dlq, { durable: true });
    await rabbit.channel.bindQueue(dlq, dlx, '');
    const args = { 'x-dead-letter-exchange': dlx };
    await declare(args);

    const { messages, goodIds } = interleave(badMessages().filter((b) => !b.kind.includes('MB')));
    const bad = messages.filter((m) => m.kind !== 'good');
    ids = [...goodIds, ...bad.flatMap((b) => (b.id ? [b.id] : []))];
    publish(messages);
    worker = await startAmqpWorker({
      name: 'deadletter',
      broker: AMQP_URL,
      queue,
      runsKey,
      concurrency: 4,
      // The worker declares the queue with the same arguments (a mismatch would be a channel error).
      env: { RELIABILITY_TASK_QUEUES: JSON.stringify([{ name: queue, queue_arguments: args }]) },
    });
    await waitFor(() => allSucceeded(sink, goodIds), { timeoutMs: 20_000, intervalMs: 50, what: 'the good tasks' });
    await waitFor(async () => (await rabbit.depth(dlq)).messages === bad.length, { timeoutMs: 5000, what: `${bad.length} dead-lettered messages` }).catch(async () =>
      assert.fail(`dead-letter queue holds ${(await rabbit.depth(dlq)).messages} of ${bad.length}\n${worker!.output().slice(-4000)}`),
    );
    for (const b of bad) assert.ok(rejectionLine(worker.output(), b), `${b.kind}: no log line naming ${b.id ?? '(no id)'} and the reason`);

    // What is in the dead-letter queue: exactly the bad ones, rejected from our queue, intact.
    const dead: amqp.GetMessage[] = [];
    for (let m = await rabbit.channel.get(dlq, { noAck: true }); m; m = await rabbit.channel.get(dlq, { noAck: true })) dead.push(m);
    const deadIds = dead.map((m) => (m.properties.headers?.id as string | undefined) ?? m.properties.correlationId ?? null).sort();
    assert.deepEqual(deadIds, bad.map((b) => b.id).sort());
    for (const m of dead) {
      const death = (m.properties.headers?.['x-death'] as { reason: string; queue: string }[])[0];
      assert.equal(death.reason, 'rejected');
      assert.equal(death.queue, queue);
    }
    const pickle = dead.find((m) => m.properties.contentType === 'application/x-python-serialize');
    assert.ok(pickle, 'the pickle message kept its content type');
    assert.equal(pickle.content.toString('latin1'), bad.find((b) => b.kind.startsWith('pickle'))!.body.toString('latin1'), 'and its body, untouched');

    const runs = await runCounts(sink, runsKey);
    for (const id of goodIds) assert.equal(runs.get(id), 1, `good task ${id}`);
    assert.equal(runs.size, goodIds.length);
    await stopAndCheckEmpty();
  });
});
