/**
 * Save → new worker consuming, as the extension's supervisor does it: build the
 * saved task module (esbuild, nothing executed), start `celeriac worker` from
 * dist/ as a child on the embedded broker's socket, wait until it consumes;
 * the previous worker retires meanwhile. p50/p95 over 20 saves of a small module.
 * (The in-VS-Code figure is printed by the e2e run; this isolates the pipeline.)
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/runtime';
import { getLocalHub, MEMORY_SOCKET_ENV } from '../src/runtime/brokers/memory/memory-hub';
import { serveHub } from '../src/runtime/brokers/memory/hub-server';
import { buildTaskModule } from '../src/runtime/loader/load-task-module';
import { createLogger } from '../src/runtime/log';
import { percentile } from '../src/runtime/cli/stats';
import type { BenchResult } from './report';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'runtime', 'cli', 'bin.js');

function moduleSource(version: number): string {
  return `import { createApp } from 'celeriac';
export const app = createApp({ broker: 'memory://', task_default_queue: 'restart-bench' });
export const version = app.task('bench.version', () => ${version});
export const add = app.task('bench.add', (a: number, b: number) => a + b);
`;
}

function startWorker(module: string, socket: string, n: number): { child: ChildProcess; ready: Promise<void> } {
  const child = fork(CLI, ['worker', '-A', module, '-n', `restart-${n}@%h`, '-c', '4', '-E', '-l', 'error', '--shutdown-timeout', '5'], {
    env: { ...process.env, [MEMORY_SOCKET_ENV]: socket },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type?: string }) => m?.type === 'celeriac-worker-ready' && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited during start-up (${code})`)));
  });
  return { child, ready };
}

function retire(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function runRestartBench(rounds: number): Promise<BenchResult[]> {
  if (!fs.existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first');
  const saves = Math.max(20, rounds * 4);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-restart-bench-'));
  const module = path.join(dir, 'tasks.ts');
  const server = await serveHub(getLocalHub());
  const app = createApp({ broker: 'memory://', task_default_queue: 'restart-bench' }, { log: createLogger({ level: 'silent' }) });
  const samples: number[] = [];
  let current: ChildProcess | undefined;
  try {
    fs.writeFileSync(module, moduleSource(0));
    const first = startWorker(module, server.path, 0);
    await first.ready;
    current = first.child;
    for (let i = 1; i <= saves; i++) {
      fs.writeFileSync(module, moduleSource(i));
      const saved = performance.now();
      await buildTaskModule(module);
      const previous = current;
      const next = startWorker(module, server.path, i);
      const retiring = previous ? retire(previous) : Promise.resolve();
      await next.ready;
      samples.push(performance.now() - saved);
      current = next.child;
      await retiring;
      // The new code runs: the task returns this save's version.
      const got = await (await app.sendTask('bench.version')).get({ timeout: 10 });
      if (got !== i) throw new Error(`after save ${i} the worker ran version ${String(got)}`);
    }
  } finally {
    if (current) await retire(current);
    await app.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return [
    { system: 'embedded worker restart', metric: `save → new worker consuming p50 ms (${saves} saves)`, value: percentile(samples, 50) },
    { system: 'embedded worker restart', metric: `save → new worker consuming p95 ms (${saves} saves)`, value: percentile(samples, 95) },
  ];
}
