/**
 * `celeriac demo`: the embedded broker in this process, workers as child
 * processes (as the extension runs them), and a client sending a mix of real-
 * world tasks, with a live progress line and a final table.
 */
import { keyValueTable } from '../ascii-table';
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { childEntry } from '../../child-entry';
import { getLocalHub, MEMORY_SOCKET_ENV } from '../../brokers/memory/memory-hub';
import { serveHub } from '../../brokers/memory/hub-server';
import { loadTaskModule } from '../../loader/load-task-module';
import { decodeTaskMeta } from '../../protocol/result-meta';
import { TASK_META_PREFIX } from '../../backends/key-value-backend';
import { FAILURE, RETRY, REVOKED, SUCCESS } from '../../states';
import { ConfigError } from '../../errors';
import type { Disposable } from '../../disposable';
import { type CommandSpec, type Parsed } from '../args';
import type { CliCommand, CliIO } from '../io';
import { percentile } from '../stats';

const DEMO_MODULE = path.resolve(__dirname, '..', '..', '..', '..', 'examples', 'demo', 'tasks.ts');

const spec: CommandSpec = {
  name: 'demo',
  summary: 'run workers and a client on the embedded broker, with live progress',
  usage: '[options]',
  description:
    'Start the embedded memory:// broker, worker child processes running examples/demo/tasks.ts, and send a mix\n' +
    'of tasks: notifications, reports, account syncs against a flaky service (retried with back-off), cleanups.',
  options: {
    tasks: { type: 'number', short: 'n', value: 'N', description: 'tasks to send', default: 300 },
    workers: { type: 'number', short: 'w', value: 'N', description: 'worker processes', default: 2 },
    concurrency: { type: 'number', short: 'c', value: 'N', description: 'concurrency of each worker', default: 10 },
    rate: { type: 'number', short: 'r', value: 'N', description: 'tasks sent per second (0: as fast as possible)', default: 150 },
    module: { type: 'string', short: 'A', value: 'MODULE', description: 'task module to run', default: DEMO_MODULE },
  },
};

interface Tally {
  sent: number;
  succeeded: number;
  failed: number;
  retried: number;
  latencies: number[];
}

function startWorker(index: number, module: string, concurrency: number, socket: string, io: CliIO): Promise<ChildProcess> {
  const { file, execArgv } = childEntry('cli/bin');
  const child = fork(file, ['worker', '-A', module, '-n', `demo-w${index}@%h`, '-c', String(concurrency), '-l', 'silent'], {
    execArgv,
    env: { ...io.env, [MEMORY_SOCKET_ENV]: socket },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.on('message', (m: { type?: string }) => {
      if (m?.type === 'celeriac-worker-ready') resolve(child);
    });
    child.once('exit', (code) => reject(new ConfigError(`demo worker ${index} exited during start-up (code ${code})`)));
  });
}

function stopWorker(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function progressLine(t: Tally, total: number, elapsedMs: number): string {
  const done = t.succeeded + t.failed;
  return (
    `sent ${t.sent}/${total} · done ${done} · succeeded ${t.succeeded} · failed ${t.failed} · retried ${t.retried}` +
    ` · ${(elapsedMs / 1000).toFixed(1)}s`
  );
}

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const total = Math.floor(parsed.values.tasks as number);
  const workerCount = Math.max(1, Math.floor(parsed.values.workers as number));
  const concurrency = Math.max(1, Math.floor(parsed.values.concurrency as number));
  const rate = parsed.values.rate as number;
  const modulePath = path.resolve(String(parsed.values.module));
  io.env.CELERIAC_LOG_LEVEL ??= 'warning';

  const hub = getLocalHub();
  const server = await serveHub(hub);
  const { app } = await loadTaskModule(modulePath);
  if (!app) throw new ConfigError(`${modulePath} does not create an app`);
  io.stdout.write(`Embedded broker at ${server.path}; starting ${workerCount} worker process(es) × concurrency ${concurrency}…\n`);
  const workers = await Promise.all(
    Array.from({ length: workerCount }, (_, i) => startWorker(i + 1, modulePath, concurrency, server.path, io)),
  );

  const tally: Tally = { sent: 0, succeeded: 0, failed: 0, retried: 0, latencies: [] };
  const subscriptions: Disposable[] = [];
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const started = performance.now();
  // The demo hosts the result store, so it watches results as they are published.
  const track = (id: string, sentAt: number) => {
    const sub = hub.store.subscribe(TASK_META_PREFIX + id, (raw) => {
      const status = decodeTaskMeta(raw)?.status;
      if (status === RETRY) tally.retried++;
      else if (status === SUCCESS || status === FAILURE || status === REVOKED) {
        if (status === SUCCESS) tally.succeeded++;
        else tally.failed++;
        tally.latencies.push(performance.now() - sentAt);
        sub.dispose();
        if (tally.succeeded + tally.failed === total) finished();
      }
    });
    subscriptions.push(sub);
  };

  const tty = Boolean(io.stdout.isTTY);
  const render = () => {
    const line = progressLine(tally, total, performance.now() - started);
    io.stdout.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const ticker = setInterval(render, tty ? 100 : 1000);

  const kinds = ['notify', 'report', 'sync', 'cleanup'] as const;
  for (let i = 0; i < total; i++) {
    const kind = kinds[i % kinds.length];
    const id = randomUUID();
    track(id, performance.now());
    const opts = { taskId: id };
    if (kind === 'notify') await app.sendTask('demo.notify.send_notification', [i, `Your order #${1000 + i} has shipped`], {}, opts);
    else if (kind === 'report') await app.sendTask('demo.reports.render_report', [`2026-${String((i % 12) + 1).padStart(2, '0')}`, 20_000], {}, opts);
    else if (kind === 'sync') await app.sendTask('demo.accounts.sync_account', [`acct-${i}`], {}, opts);
    else await app.sendTask('demo.maintenance.cleanup_expired_sessions', [Date.now() - 30 * 60_000], {}, opts);
    tally.sent++;
    // Pace the client like real traffic, so the progress line has something to show.
    if (rate > 0) {
      const due = started + (tally.sent / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
  }
  if (total === 0) finished();
  await allDone;
  clearInterval(ticker);
  render();
  if (tty) io.stdout.write('\n');
  const elapsed = performance.now() - started;

  for (const s of subscriptions) s.dispose();
  await Promise.all(workers.map(stopWorker));
  await app.close();
  await server.close();

  io.stdout.write(
    '\n' +
      keyValueTable([
        ['sent', String(tally.sent)],
        ['succeeded', String(tally.succeeded)],
        ['failed', String(tally.failed)],
        ['retried', String(tally.retried)],
        ['p50 latency (send → result)', `${percentile(tally.latencies, 50).toFixed(1)} ms`],
        ['p99 latency (send → result)', `${percentile(tally.latencies, 99).toFixed(1)} ms`],
        ['wall time', `${(elapsed / 1000).toFixed(2)} s`],
      ]),
  );
  io.stdout.write(
    'Failures are expected: notifications to unverified users fail at once, and account syncs give up after 5 retries.\n',
  );
  return 0;
}

export const demoCommand: CliCommand = { spec, run };
