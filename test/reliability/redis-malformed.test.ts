/**
 * A worker never dies of bad input, on Redis: raw entries LPUSHed onto the
 * queue list (what any producer, or a bug, could leave there) interleaved with
 * good tasks. Each bad entry is rejected with a log line naming its id (when it
 * has one) and the reason, it is gone from the list and from `unacked` /
 * `unacked_index` (not requeued, not restored later), the worker keeps going,
 * and every good task around them completes.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { createApp, createLogger, Worker, protocol, type App } from '../../src/runtime';
import type { TaskRejectedEvent } from '../../src/runtime/worker/worker-events';
import { encodeKombuEnvelope } from '../../src/runtime/protocol/kombu-envelope';
import { flushDb, rawClient, REDIS_DB, redisUrl } from '../helpers/redis';
import { sleep, waitFor } from '../helpers/wait';
import { killHard, startRedisWorker, type WorkerProcess } from './reliability-helpers';

const DB = REDIS_DB.reliability;
const URL = redisUrl(DB);
const VT = 2;

interface Entry {
  kind: string;
  raw: string;
  /** The delivery tag the fetch script can read from it (then it passes through unacked). */
  tag: string | null;
  /** The id a log line must name, or null when the entry has none. */
  id: string | null;
  reason: RegExp;
}

function goodMessage(id = randomUUID(), task = 'reliability.count', args: unknown[] = [0]): protocol.BrokerMessage {
  return protocol.encodeTaskMessage({ id, task, args, kwargs: {}, origin: 'test@reliability' });
}

function envelope(queue: string, message: protocol.BrokerMessage, tag = randomUUID()): string {
  return encodeKombuEnvelope(message, { exchange: '', routingKey: queue, deliveryTag: tag });
}

/** One of each kind of bad entry, built fresh (new ids and tags). */
function badEntries(queue: string): Entry[] {
  const entries: Entry[] = [];
  {
    entries.push({ kind: 'truncated JSON', raw: '{"body": "W1swXSwge30sIHt9XQ==", "content-type": "application/json", "headers": {"id": "', tag: null, id: null, reason: /not valid JSON/ });
  }
  {
    // Corrupt in the middle, but it ends like a real envelope: the fetch script
    // reads the tag from the end and records it as unacked before anyone parses it.
    const tag = randomUUID();
    const raw = envelope(queue, goodMessage(), tag).replace('"content-type":', '"content-type" ');
    entries.push({ kind: 'broken JSON ending in a delivery tag', raw, tag, id: null, reason: /not valid JSON/ });
  }
  {
    entries.push({ kind: 'JSON that is not an object', raw: '[1, 2, 3]', tag: null, id: null, reason: /not a JSON object/ });
  }
  {
    const id = randomUUID();
    const tag = randomUUID();
    const raw = JSON.stringify({ headers: { id, task: 'reliability.count' }, properties: { correlation_id: id, delivery_tag: tag } });
    entries.push({ kind: 'envelope without a body', raw, tag, id, reason: /no string 'body'/ });
  }
  {
    const msg = goodMessage();
    const tag = randomUUID();
    const raw = envelope(queue, { ...msg, body: '%%% this is *not* base64 %%%', properties: { ...msg.properties, body_encoding: 'base64' } }, tag);
    entries.push({ kind: 'bad base64 body', raw, tag, id: msg.headers.id as string, reason: /base64/ });
  }
  {
    const msg = goodMessage(randomUUID(), 'reliability.no_such_task');
    const tag = randomUUID();
    entries.push({ kind: 'unknown task name', raw: envelope(queue, msg, tag), tag, id: msg.headers.id as string, reason: /unregistered task.*reliability\.no_such_task/ });
  }
  {
    const msg = goodMessage();
    const { task: _task, ...headers } = msg.headers;
    const tag = randomUUID();
    entries.push({ kind: "missing 'task' header", raw: envelope(queue, { ...msg, headers }, tag), tag, id: msg.headers.id as string, reason: /missing header 'task'/ });
  }
  {
    const msg = goodMessage();
    const { id: _id, ...headers } = msg.headers;
    const tag = randomUUID();
    // Named by its correlation_id, which Celery always sets to the task id.
    entries.push({ kind: "missing 'id' header", raw: envelope(queue, { ...msg, headers }, tag), tag, id: msg.properties.correlation_id as string, reason: /missing header 'id'/ });
  }
  {
    const msg = goodMessage();
    const tag = randomUUID();
    const raw = envelope(queue, { ...msg, contentType: 'application/x-python-serialize', contentEncoding: 'binary', body: "\x80\x04\x95cos\nsystem\n(S'touch /tmp/pwned'\ntR." }, tag);
    entries.push({ kind: 'wrong content type (pickle)', raw, tag, id: msg.headers.id as string, reason: /application\/x-python-serialize/ });
  }
  {
    const msg = goodMessage(randomUUID(), 'reliability.count', ['x'.repeat(10 * 1024 * 1024)]);
    const tag = randomUUID();
    entries.push({ kind: '10 MB body', raw: envelope(queue, msg, tag), tag, id: msg.headers.id as string, reason: /over the limit/ });
  }
  return entries;
}

/** good, bad, good, bad, …, good — in consume order (the list is FIFO: LPUSH in, RPOP out). */
function interleave(queue: string, bad: Entry[]): { raws: string[]; goodIds: string[] } {
  const raws: string[] = [];
  const goodIds: string[] = [];
  const good = () => {
    const id = randomUUID();
    goodIds.push(id);
    raws.push(envelope(queue, goodMessage(id)));
  };
  good();
  for (const b of bad) {
    raws.push(b.raw);
    good();
  }
  return { raws, goodIds };
}

async function assertGoneFromRedis(raw: Redis, queue: string, bad: Entry[]): Promise<void> {
  assert.equal(await raw.llen(queue), 0, 'the queue list is empty');
  for (const b of bad) {
    if (!b.tag) continue;
    assert.equal(await raw.hexists('unacked', b.tag), 0, `${b.kind}: still in unacked`);
    assert.equal(await raw.zscore('unacked_index', b.tag), null, `${b.kind}: still in unacked_index`);
  }
  assert.equal(await raw.hlen('unacked'), 0, 'nothing held in unacked');
  assert.equal(await raw.zcard('unacked_index'), 0, 'nothing held in unacked_index');
}

async function allSucceeded(raw: Redis, ids: string[]): Promise<boolean> {
  const metas = await raw.mget(...ids.map((id) => `celery-task-meta-${id}`));
  return metas.every((m) => m !== null && JSON.parse(m).status === 'SUCCESS');
}

function rejectionLine(lines: string[], b: Entry): string | undefined {
  return lines.find((l) => /ERROR/.test(l) && l.includes('Rejected message') && b.reason.test(l) && (b.id === null ? l.includes('(no id)') : l.includes(b.id)));
}

describe('redis://: malformed entries on the queue list', function () {
  this.timeout(90_000);
  let raw: Redis;
  let queue: string;
  let runsKey: string;

  beforeEach(async () => {
    await flushDb(DB);
    raw = rawClient(DB);
    queue = `malformed-${randomUUID()}`;
    runsKey = `runs:${queue}`;
  });

  afterEach(async () => {
    raw.disconnect();
    await flushDb(DB);
  });

  describe('a CLI worker process', () => {
    let worker: WorkerProcess | undefined;
    afterEach(async () => {
      if (worker) await killHard(worker);
      worker = undefined;
    });

    it('rejects each bad entry with a log line naming its id and reason, drops it from the list and unacked, and runs every good task around them', async () => {
      // Round 1: everything already queued when the worker starts (batched fetches).
      const bad1 = badEntries(queue);
      const round1 = interleave(queue, bad1);
      await raw.lpush(queue, ...round1.raws);
      worker = await startRedisWorker({ name: 'malformed', broker: URL, queue, vt: VT, counterUrl: URL, runsKey, concurrency: 4 });
      await waitFor(() => allSucceeded(raw, round1.goodIds), { timeoutMs: 20_000, intervalMs: 50, what: 'the good tasks of round 1' });

      // Round 2: one entry at a time into an idle worker (the blocking-wait path).
      const bad2 = badEntries(queue);
      const round2 = interleave(queue, bad2);
      for (const r of round2.raws) {
        await raw.lpush(queue, r);
        await sleep(30);
      }
      await waitFor(() => allSucceeded(raw, round2.goodIds), { timeoutMs: 20_000, intervalMs: 50, what: 'the good tasks of round 2' });

      const bad = [...bad1, ...bad2];
      const lines = () => worker!.output().split('\n');
      await waitFor(() => bad.every((b) => rejectionLine(lines(), b)), { timeoutMs: 5000, what: 'a rejection line for every bad entry' }).catch(() => {
        const missing = bad.filter((b) => !rejectionLine(lines(), b)).map((b) => `${b.kind} (id ${b.id})`);
        assert.fail(`no rejection log line naming id and reason for: ${missing.join(', ')}\n--- worker output ---\n${worker!.output().slice(-8000)}`);
      });
      // Each rejected once: not requeued and redelivered.
      for (const b of bad) {
        if (b.id === null) continue;
        const n = lines().filter((l) => l.includes('Rejected message') && l.includes(b.id!)).length;
        assert.equal(n, 1, `${b.kind}: rejected ${n} times`);
      }
      assert.equal(lines().filter((l) => l.includes('Rejected message')).length, bad.length, 'one rejection per bad entry');

      // Past the visibility timeout nothing comes back from unacked either.
      await sleep(VT * 1000 + 1200);
      await assertGoneFromRedis(raw, queue, bad);
      assert.equal(lines().filter((l) => l.includes('Rejected message')).length, bad.length, 'no bad entry came back after the vt');

      // Every good task ran exactly once; no bad one ran.
      const runs = await raw.hgetall(runsKey);
      for (const id of [...round1.goodIds, ...round2.goodIds]) assert.equal(runs[id], '1', `good task ${id}`);
      assert.equal(Object.keys(runs).length, round1.goodIds.length + round2.goodIds.length, 'a bad entry ran a task');
      // The unregistered task's client is not left waiting: FAILURE NotRegistered.
      for (const b of bad.filter((e) => e.kind === 'unknown task name')) {
        const meta = JSON.parse((await raw.get(`celery-task-meta-${b.id}`))!);
        assert.equal(meta.status, 'FAILURE');
        assert.equal(meta.result.exc_type, 'NotRegistered');
      }
      assert.ok(worker.alive(), `the worker process is still running:\n${worker.output().slice(-4000)}`);
      assert.doesNotMatch(worker.output(), /unhandled|uncaught/i);
    });
  });

  describe('an in-process Worker', () => {
    let app: App;
    let worker: Worker;
    afterEach(async () => {
      await worker?.terminate().catch(() => undefined);
      await app?.close();
    });

    it('emits exactly one task-rejected per bad entry, never requeued, and keeps running the good tasks', async () => {
      const lines: string[] = [];
      const log = createLogger({ level: 'info', sink: { write: (l) => lines.push(l) } });
      app = createApp(
        { broker: URL, backend: URL, task_default_queue: queue, task_acks_late: true, broker_transport_options: { visibility_timeout: VT } },
        { log, env: {} },
      );
      const counter = rawClient(DB);
      app.task('reliability.count', async (ctx: { id: string }) => counter.hincrby(runsKey, ctx.id, 1), { bind: true });
      worker = new Worker(app, { concurrency: 3 });
      const rejected: TaskRejectedEvent[] = [];
      worker.events.on('task-rejected', (e) => rejected.push(e));
      await worker.start();

      const bad = badEntries(queue);
      const { raws, goodIds } = interleave(queue, bad);
      await raw.lpush(queue, ...raws);
      await waitFor(() => allSucceeded(raw, goodIds), { timeoutMs: 20_000, intervalMs: 50, what: 'the good tasks' });
      await waitFor(() => rejected.length >= bad.length, { timeoutMs: 5000, what: 'a task-rejected event per bad entry' });
      await sleep(VT * 1000 + 1200);
      counter.disconnect();

      assert.equal(rejected.length, bad.length, `rejections: ${rejected.map((e) => e.reason).join(' | ')}`);
      for (const e of rejected) assert.equal(e.requeued, false);
      for (const b of bad) {
        const e = rejected.find((r) => b.reason.test(r.reason) && r.id === b.id);
        assert.ok(e, `${b.kind}: no task-rejected event with id ${b.id} and reason ${b.reason}; got ${JSON.stringify(rejected.map((r) => [r.id, r.reason.slice(0, 80)]))}`);
        assert.ok(rejectionLine(lines, b), `${b.kind}: no log line naming ${b.id ?? '(no id)'} and the reason`);
      }
      assert.equal(worker.state, 'running');
      await assertGoneFromRedis(raw, queue, bad);
    });
  });
});
