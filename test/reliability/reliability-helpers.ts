/** Shared by the reliability tests: CLI workers on Redis or RabbitMQ, killed and restarted. */
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cleanEnv, startCli, waitForOutput } from '../helpers/cli';

export const TS_TASKS = path.join(__dirname, 'fixtures', 'redis-tasks.ts');
export const PY_FIXTURES = path.join(__dirname, 'fixtures');
/** Debian's Python with Celery 5.2.6 (never a pyenv one). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface WorkerProcess {
  child: ChildProcess;
  name: string;
  /** Everything it wrote so far (stdout + stderr). */
  output(): string;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

export interface WorkerSpec {
  name: string;
  broker: string;
  queue: string;
  /** Visibility timeout (seconds) the task module configures. */
  vt: number;
  counterUrl: string;
  runsKey: string;
  concurrency?: number;
  extraArgs?: string[];
  /** Result backend URL; the broker's by default (Redis). */
  backend?: string;
  /** More environment for the task module (e.g. RELIABILITY_TASK_QUEUES). */
  env?: NodeJS.ProcessEnv;
}

/** Start `celeriac worker` on the reliability task module; resolves once it logs `ready:`. */
export async function startRedisWorker(spec: WorkerSpec, readyTimeoutMs = 30_000): Promise<WorkerProcess> {
  const child = startCli(
    [
      'worker',
      '-A', TS_TASKS,
      '-b', spec.broker,
      '--result-backend', spec.backend ?? spec.broker,
      '-Q', spec.queue,
      '-c', String(spec.concurrency ?? 10),
      '-n', `${spec.name}@%h`,
      ...(spec.extraArgs ?? []),
    ],
    cleanEnv({
      RELIABILITY_QUEUE: spec.queue,
      RELIABILITY_VT: String(spec.vt),
      RELIABILITY_COUNTER_URL: spec.counterUrl,
      RELIABILITY_RUNS_KEY: spec.runsKey,
      ...spec.env,
    }),
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const w: WorkerProcess = {
    child,
    name: spec.name,
    output: () => out,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
  try {
    await Promise.race([
      waitForOutput(child, new RegExp(`${spec.name}@\\S+ ready:`), readyTimeoutMs),
      exited.then(({ code, signal }) => {
        throw new Error(`worker ${spec.name} exited (${code ?? signal}) before it was ready:\n${out}`);
      }),
    ]);
  } catch (err) {
    if (w.alive()) child.kill('SIGKILL');
    throw err;
  }
  return w;
}

/** SIGKILL a worker process (by its PID) and wait until it is gone. */
export async function killHard(w: WorkerProcess): Promise<void> {
  if (w.alive()) w.child.kill('SIGKILL');
  await w.exited;
}
