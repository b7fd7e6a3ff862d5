import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createApp, type App } from '../../src/runtime/index';
import { getLocalHub } from '../../src/runtime/brokers/memory/memory-hub';
import { serveHub, type HubServer } from '../../src/runtime/brokers/memory/hub-server';
import { createLogger } from '../../src/runtime/log';
import { cleanEnv, collect, startCli, waitForOutput } from '../helpers/cli';
import { waitFor } from '../helpers/wait';

const TASKS = path.join(__dirname, 'fixtures', 'tasks.ts');

describe('worker processes on a shared embedded broker', function () {
  this.timeout(60_000);
  let hub: HubServer;
  let app: App;
  let queue: string;
  let dir: string;
  const workers: ChildProcess[] = [];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-procs-'));
    hub = await serveHub(getLocalHub(), path.join(dir, 'hub.sock'));
    queue = `procs-${randomUUID()}`;
    app = createApp({ broker: `memory://${hub.path}`, task_default_queue: queue }, { log: createLogger({ level: 'silent' }) });
  });

  afterEach(async () => {
    for (const w of workers.splice(0)) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await app.close();
    await hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(name: string, extra: string[] = []): Promise<ChildProcess> {
    const w = startCli(
      ['worker', '-A', TASKS, '-b', `memory://${hub.path}`, '-n', `${name}@%h`, '-c', '1', ...extra],
      cleanEnv({ TEST_QUEUE: queue }),
    );
    workers.push(w);
    return waitForOutput(w, `${name}@`).then(() => w);
  }

  it('runs again, on another worker, an acks-late task whose worker was SIGKILLed mid-run', async () => {
    const flag = path.join(dir, 'release');
    const first = await startWorker('first');
    const result = await app.sendTask('cli.block_until', [flag]);
    await waitFor(() => fs.existsSync(flag + '.started'), { what: 'the task to start on the first worker' });
    assert.equal(fs.readFileSync(flag + '.started', 'utf8').trim(), String(first.pid));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // The hub learns of the death when the worker's socket closes, which may come after the exit event.
    const broker = await app.connectBroker();
    await waitFor(async () => (await broker.stats([queue]))[0].ready === 1, { what: 'the unacked message back in the queue', timeoutMs: 5000 });

    const second = await startWorker('second');
    await waitFor(() => fs.readFileSync(flag + '.started', 'utf8').trim().split('\n').length === 2, {
      what: 'the task to start again on the second worker',
    });
    fs.writeFileSync(flag, '');
    assert.equal(await result.get({ timeout: 20 }), second.pid);
  });

  it('waits for a running task on the first SIGTERM and shuts down cold on the second, giving the task back', async () => {
    const flag = path.join(dir, 'never');
    const w = await startWorker('cold');
    const exited = collect(w);
    await app.sendTask('cli.block_until', [flag]);
    await waitFor(() => fs.existsSync(flag + '.started'), { what: 'the task to start' });
    w.kill('SIGTERM');
    await waitForOutput(w, 'warm shutdown');
    assert.equal(w.exitCode, null, 'still waiting for the running task');
    w.kill('SIGTERM');
    const r = await exited;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cold shutdown/);
    const [stats] = await (await app.connectBroker()).stats([queue]);
    assert.equal(stats.ready, 1, 'the acks-late task went back to the queue');
  });

  it('runs tasks in child processes with -P process', async () => {
    const w = await startWorker('pool', ['-P', 'process', '-c', '2']);
    const results = await Promise.all(Array.from({ length: 6 }, () => app.sendTask('cli.pid')));
    const pids = new Set(await Promise.all(results.map((r) => r.get({ timeout: 20 }))));
    assert.ok(!pids.has(w.pid), 'a task ran in the worker process itself');
    assert.ok(pids.size >= 1 && pids.size <= 2, `pids: ${[...pids].join(', ')}`);
  });

  it('spreads tasks over several worker processes', async () => {
    const a = await startWorker('a');
    const b = await startWorker('b');
    const results = await Promise.all(Array.from({ length: 40 }, () => app.sendTask('cli.pid')));
    const pids = new Set(await Promise.all(results.map((r) => r.get({ timeout: 20 }))));
    assert.deepEqual([...pids].sort(), [a.pid, b.pid].sort());
  });
});
