/**
 * A worker told to stop while its Redis is down: the stop must not wait for
 * Redis (every command would, until it returns), must say what it leaves for
 * Redis to restore, and must lose nothing — the task it held runs again once
 * Redis is back (here with an append-only file, so the unacked entry survives).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createApp, createLogger, Worker, type App, type TaskContext } from '../../src/runtime';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';

describe('redis://: stopping a worker while Redis is down', function () {
  this.timeout(60_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-stop-down-'));
  let server: RedisServer | undefined;
  const apps: App[] = [];

  after(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await server?.stop('SIGKILL').catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Durable across a SIGKILL: every write is in the append-only file before Redis answers. */
  const durable = (port?: number) =>
    startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dataDir], port ? { port } : {});

  it('stops within seconds, says what Redis will restore, and the acks-late task it held runs again once Redis is back', async () => {
    server = await durable();
    const port = server.port;
    const url = `redis://127.0.0.1:${port}/0`;
    const queue = `stop-down-${randomUUID()}`;
    const lines: string[] = [];
    const log = createLogger({ level: 'info', sink: { write: (line) => lines.push(line) } });
    const conf = { broker: url, task_default_queue: queue, task_ignore_result: true, broker_transport_options: { visibility_timeout: 2 } };

    const first = createApp(conf, { log, env: {} });
    apps.push(first);
    const runs: { redelivered: boolean }[] = [];
    let release!: () => void;
    first.task(
      'hold',
      async (ctx: TaskContext) => {
        runs.push({ redelivered: ctx.deliveryInfo.redelivered });
        await new Promise<void>((r) => (release = r));
      },
      { bind: true, acksLate: true },
    );
    const worker = new Worker(first, { concurrency: 1, log });
    await worker.start();
    await first.sendTask('hold', []);
    await waitFor(() => runs.length === 1, { what: 'the task to start' });

    await server.stop('SIGKILL');
    const stopAt = Date.now();
    await worker.stop({ timeout: 1 });
    const stoppedIn = Date.now() - stopAt;
    await first.close();
    release();
    assert.ok(stoppedIn < 10_000, `stopped after ${stoppedIn} ms`);
    assert.ok(
      lines.some((l) => /stops without tidying up on redis:\/\/127\.0\.0\.1:\d+\/0, which does not answer/.test(l)),
      `says what it leaves behind:\n${lines.join('\n')}`,
    );

    // Redis comes back with its data; a new worker restores the message the first one held.
    server = await durable(port);
    const second = createApp(conf, { log: createLogger({ level: 'silent' }), env: {} });
    apps.push(second);
    second.task(
      'hold',
      async (ctx: TaskContext) => {
        runs.push({ redelivered: ctx.deliveryInfo.redelivered });
      },
      { bind: true, acksLate: true },
    );
    const replacement = new Worker(second, { concurrency: 1, log: createLogger({ level: 'silent' }) });
    await replacement.start();
    await waitFor(() => runs.length === 2, { what: 'the held task to run again', timeoutMs: 20_000 });
    assert.equal(runs[1].redelivered, true);
    await replacement.stop();
    console.log(`      stop-while-down: stopped in ${stoppedIn} ms; the held task ran again after Redis came back`);
  });
});
