/**
 * kombu#337 on Redis: a task whose ETA is longer than the visibility timeout
 * must run once. The TS worker holding it keeps its `unacked_index` score
 * fresh, so neither its own restore scans nor a real Python Celery worker's
 * start-up restore scan (which re-queues any entry older than the visibility
 * timeout) sends it back to the queue while it waits. And restore still works
 * for a consumer that really died: a SIGKILLed worker's acks-late task comes
 * back after the visibility timeout and runs on a new worker.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { createApp, createLogger, type App } from '../../src/runtime';
import { flushDb, rawClient, REDIS_DB, redisUrl } from '../helpers/redis';
import { sleep, waitFor } from '../helpers/wait';
import { startPythonWorker, type PythonWorker } from './python-worker';
import { killHard, startRedisWorker, type WorkerProcess } from './reliability-helpers';

const DB = REDIS_DB.reliability;
const URL = redisUrl(DB);
const VT = 2; // seconds
const COUNTDOWN = 10; // seconds: well past the visibility timeout, with room for the Python worker to start

interface CountResult {
  by: string;
  pid: number;
  n: number;
}

interface Monitored {
  at: number;
  args: string[];
}

describe('redis://: visibility timeout and held messages (kombu#337)', function () {
  this.timeout(120_000);
  let raw: Redis;
  let app: App;
  let queue: string;
  let runsKey: string;
  const workers: WorkerProcess[] = [];
  let python: PythonWorker | undefined;
  let monitor: (Redis & { disconnect(): void }) | undefined;
  let seen: Monitored[];

  beforeEach(async () => {
    await flushDb(DB);
    raw = rawClient(DB);
    queue = `eta-vt-${randomUUID()}`;
    runsKey = `runs:${queue}`;
    seen = [];
    // Every command on this database, to see the restore scans and any re-queue.
    monitor = (await raw.duplicate().monitor()) as unknown as Redis & { disconnect(): void };
    (monitor as unknown as NodeJS.EventEmitter).on('monitor', (_time: string, args: string[], _source: string, database: string) => {
      if (Number(database) === DB) seen.push({ at: Date.now(), args });
    });
    app = createApp(
      { broker: URL, backend: URL, task_default_queue: queue, task_acks_late: true, broker_transport_options: { visibility_timeout: VT } },
      { log: createLogger({ level: 'silent' }), env: {} },
    );
  });

  afterEach(async () => {
    await python?.kill();
    python = undefined;
    for (const w of workers.splice(0)) await killHard(w);
    await app.close();
    monitor?.disconnect();
    raw.disconnect();
    await flushDb(DB);
  });

  const spec = (name: string) => ({ name, broker: URL, queue, vt: VT, counterUrl: URL, runsKey, concurrency: 4 });
  /** Pushes back to the queue: restores (kombu's and ours RPUSH, marked redelivered), not the client's LPUSH. */
  const requeues = () =>
    seen.filter((c) => /^(RPUSH|LPUSH)$/i.test(c.args[0]) && c.args[1] === queue && (/^RPUSH$/i.test(c.args[0]) || c.args.slice(2).some((a) => a.includes('"redelivered"'))));

  it('runs a countdown task longer than the visibility timeout exactly once, even when a Python worker starts and scans for stale unacked messages', async () => {
    const ts = await startRedisWorker(spec('eta-holder'));
    workers.push(ts);

    const sent = await app.sendTask<CountResult>('reliability.count', [0], {}, { countdown: COUNTDOWN });
    const etaAt = Date.now() + COUNTDOWN * 1000;
    // The TS worker holds it: out of the list, in unacked.
    await waitFor(async () => (await raw.llen(queue)) === 0 && (await raw.hlen('unacked')) === 1, { what: 'the TS worker to hold the ETA task' });
    const [tag] = await raw.hkeys('unacked');
    const receivedScore = Number(await raw.zscore('unacked_index', tag));

    // Let the entry's first score go stale (older than the vt), then start a real Celery worker on the same queue.
    await sleep(VT * 1000 + 500);
    python = await startPythonWorker({ name: `py-${queue}`, broker: URL, queue, vt: VT, counterUrl: URL, runsKey });
    const pyReadyAt = Date.now();
    assert.ok(pyReadyAt < etaAt - 500, `the Python worker was ready ${etaAt - pyReadyAt} ms before the ETA: too late to prove anything`);

    // kombu's start-up restore scan ran while the task was held, with a ceiling past the entry's first score:
    // without the refresh it would have re-queued it.
    await waitFor(() => seen.some((c) => /^ZREVRANGEBYSCORE$/i.test(c.args[0]) && c.args[1] === 'unacked_index'), {
      timeoutMs: 5000,
      what: "the Python worker's restore scan",
    });
    const scan = seen.find((c) => /^ZREVRANGEBYSCORE$/i.test(c.args[0]) && c.args[1] === 'unacked_index')!;
    assert.ok(scan.at < etaAt, 'the scan came before the ETA');
    assert.ok(Number(scan.args[2]) > receivedScore, `scan ceiling ${scan.args[2]} vs the held entry's first score ${receivedScore}`);
    assert.equal(await raw.hexists('unacked', tag), 1, 'still held after the scan');

    // It runs at the ETA, on the TS worker.
    const result = await sent.get({ timeout: COUNTDOWN + 10 });
    assert.equal(result.by, 'ts');
    assert.equal(result.pid, ts.child.pid);
    assert.ok(Date.now() >= etaAt - 100, 'not before its ETA');

    // Give a wrongly restored copy every chance to run (TS scans every second; Python consumes the queue).
    await sleep(VT * 1000 + 2000);
    assert.equal(await raw.hget(runsKey, sent.id), '1', 'the task ran exactly once');
    assert.equal(await raw.hget(`${runsKey}:py`, sent.id), null, 'the Python worker never ran it');
    assert.deepEqual(requeues().map((c) => c.args[0]), [], 'nothing was pushed back to the queue');
    assert.equal(await raw.hlen('unacked'), 0);
    assert.equal(await raw.zcard('unacked_index'), 0);
    const meta = JSON.parse((await raw.get(`celery-task-meta-${sent.id}`))!);
    assert.equal(meta.status, 'SUCCESS');
    assert.ok(ts.alive());
    assert.doesNotMatch(python.output(), /reliability\.count\[/, 'the Python worker received no copy');
  });

  it('still restores the acks-late task of a SIGKILLed worker after the visibility timeout, and a new worker runs it', async () => {
    const holder = await startRedisWorker(spec('dies'));
    workers.push(holder);
    const sent = await app.sendTask<CountResult>('reliability.hold_first', [600_000]);
    await waitFor(async () => (await raw.hget(runsKey, sent.id)) === '1', { what: 'the first run to start' });
    await sleep(300);
    await killHard(holder);
    const killedAt = Date.now();
    assert.equal(await raw.hlen('unacked'), 1, 'the killed worker left its message in unacked');
    const [tag] = await raw.hkeys('unacked');
    // The killed worker's last refresh of the entry (unix seconds, this machine's clock).
    const lastRefresh = Number(await raw.zscore('unacked_index', tag));
    assert.equal(await raw.llen(queue), 0);

    const rescuer = await startRedisWorker(spec('rescuer'));
    workers.push(rescuer);
    await waitFor(() => requeues().length > 0, { timeoutMs: VT * 1000 + 5000, what: 'the message to be restored' });
    const restoredAfter = requeues()[0].at - killedAt;
    const result = await sent.get({ timeout: 10 });

    assert.equal(result.by, 'ts');
    assert.equal(result.pid, rescuer.child.pid, 'run by the new worker');
    assert.equal(result.n, 2, 'the second execution');
    assert.equal(await raw.hget(runsKey, sent.id), '2');
    // Not before its last refresh was a visibility timeout old.
    const sinceRefresh = requeues()[0].at - lastRefresh * 1000;
    assert.ok(sinceRefresh >= VT * 1000 - 50, `restored ${sinceRefresh} ms after the entry's last refresh`);
    assert.equal(requeues().length, 1, 'restored once');
    const restored = JSON.parse(requeues()[0].args[2]);
    assert.equal(restored.headers.redelivered, true);
    assert.equal(restored.properties.delivery_info.redelivered, true);
    assert.match(rescuer.output(), /restored 1 unacked message/);
    await waitFor(async () => (await raw.hlen('unacked')) === 0 && (await raw.zcard('unacked_index')) === 0, { what: 'the ack' });
    console.log(
      `      eta-visibility: a dead worker's message was restored ${restoredAfter} ms after the kill, ${Math.round(sinceRefresh)} ms after its last refresh (vt ${VT} s)`,
    );
  });
});
