/**
 * Redis goes away under a running worker and comes back empty (a restart with
 * no persistence): the worker process does not exit, reconnects by itself and
 * resumes consuming within 5 s of Redis being back; the client reconnects too
 * (a send after the restart works and its result arrives).
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createApp, createLogger, type App } from '../../src/runtime';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { sleep } from '../helpers/wait';
import { killHard, startRedisWorker, type WorkerProcess } from './reliability-helpers';

interface CountResult {
  by: string;
  pid: number;
  n: number;
}

describe('redis://: a worker outlives a Redis restart', function () {
  this.timeout(90_000);
  let server: RedisServer | undefined;
  let worker: WorkerProcess | undefined;
  let app: App | undefined;

  afterEach(async () => {
    if (worker) await killHard(worker);
    await app?.close().catch(() => undefined);
    await server?.stop('SIGKILL').catch(() => undefined);
    worker = undefined;
    app = undefined;
    server = undefined;
  });

  it('resumes consuming by itself within 5 s of Redis coming back (SIGKILLed, restarted empty on the same port), without exiting', async () => {
    server = await startRedisServer([]);
    const port = server.port;
    const url = `redis://127.0.0.1:${port}/0`;
    const queue = `reconnect-${randomUUID()}`;
    // kombu's default visibility timeout (one hour), as in production.
    worker = await startRedisWorker({ name: 'reconnect', broker: url, queue, vt: 3600, counterUrl: url, runsKey: `runs:${queue}`, concurrency: 4 });
    app = createApp({ broker: url, backend: url, task_default_queue: queue }, { log: createLogger({ level: 'silent' }), env: {} });

    const before = await app.sendTask<CountResult>('reliability.count', [0]);
    assert.equal((await before.get({ timeout: 10 })).by, 'ts');
    const workerPid = worker.child.pid;

    // Redis dies hard; about a second later it is back on the same port, with no data.
    await server.stop('SIGKILL');
    await sleep(1000);
    assert.ok(worker.alive(), `the worker exited while Redis was down:\n${worker.output().slice(-4000)}`);
    server = await startRedisServer([], { port });
    const backAt = Date.now();

    // The client's first send after the restart (its connections reconnect too).
    const after = await app.sendTask<CountResult>('reliability.count', [0]);
    const sentIn = Date.now() - backAt;
    const remaining = Math.max(0, 5000 - (Date.now() - backAt));
    const result = await after.get({ timeout: remaining / 1000 }).catch((err: Error) => {
      throw new Error(
        `no result within 5 s of Redis being back (send took ${sentIn} ms): ${err.message}\n--- worker output ---\n${worker!.output().slice(-4000)}`,
      );
    });
    const resumedIn = Date.now() - backAt;
    assert.ok(resumedIn <= 5000, `resumed after ${resumedIn} ms`);
    assert.equal(result.by, 'ts');
    assert.equal(result.pid, workerPid, 'run by the same worker process, not a new one');
    assert.equal(result.n, 1);

    // And it keeps going: a batch after the restart all completes.
    const batch = await Promise.all(Array.from({ length: 50 }, () => app!.sendTask<CountResult>('reliability.count', [0])));
    const results = await Promise.all(batch.map((r) => r.get({ timeout: 10 })));
    assert.ok(results.every((r) => r.pid === workerPid && r.n === 1));

    assert.ok(worker.alive(), 'the worker never exited');
    assert.match(worker.output(), /lost .*connection to redis:\/\/127\.0\.0\.1:\d+\/0.*reconnecting/);
    assert.match(worker.output(), /connection to redis:\/\/127\.0\.0\.1:\d+\/0 is back/);
    console.log(`      reconnect: send ${sentIn} ms, result ${resumedIn} ms after Redis was back`);
  });
  it('delivers a task sent while Redis was down once it is back, and runs it on the same worker process', async () => {
    server = await startRedisServer([]);
    const port = server.port;
    const url = `redis://127.0.0.1:${port}/0`;
    const queue = `reconnect-${randomUUID()}`;
    worker = await startRedisWorker({ name: 'outage', broker: url, queue, vt: 3600, counterUrl: url, runsKey: `runs:${queue}`, concurrency: 4 });
    app = createApp({ broker: url, backend: url, task_default_queue: queue }, { log: createLogger({ level: 'silent' }), env: {} });
    assert.equal((await (await app.sendTask<CountResult>('reliability.count', [0])).get({ timeout: 10 })).by, 'ts');
    const workerPid = worker.child.pid;

    await server.stop('SIGKILL');
    // Sent into the outage: the client holds it until it is connected again.
    const sending = app.sendTask<CountResult>('reliability.count', [0]);
    await sleep(3000);
    assert.ok(worker.alive(), `the worker exited while Redis was down:\n${worker.output().slice(-4000)}`);
    server = await startRedisServer([], { port });
    const backAt = Date.now();
    const result = await (await sending).get({ timeout: 5 }).catch((err: Error) => {
      throw new Error(`no result within 5 s of Redis being back: ${err.message}\n--- worker output ---\n${worker!.output().slice(-4000)}`);
    });
    assert.equal(result.pid, workerPid);
    assert.equal(result.n, 1);
    assert.ok(Date.now() - backAt <= 5000);
    assert.ok(worker.alive(), 'the worker never exited');
  });
});
