/** A real Python Celery 5.2 worker (Debian's /usr/bin/python3) for the reliability tests, in its own process group. */
import { spawn, type ChildProcess } from 'node:child_process';
import { PY_FIXTURES, SYSTEM_PYTHON } from './reliability-helpers';

export interface PythonWorker {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
  /** SIGKILL the whole process group (the worker and any pool children). */
  kill(): Promise<void>;
}

export async function startPythonWorker(
  options: { name: string; broker: string; queue: string; vt: number; counterUrl: string; runsKey: string },
  readyTimeoutMs = 30_000,
): Promise<PythonWorker> {
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/bin:/bin',
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    PYTHONPATH: PY_FIXTURES,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    RELIABILITY_BROKER: options.broker,
    RELIABILITY_QUEUE: options.queue,
    RELIABILITY_VT: String(options.vt),
    RELIABILITY_COUNTER_URL: options.counterUrl,
    RELIABILITY_RUNS_KEY: options.runsKey,
  };
  const child = spawn(
    SYSTEM_PYTHON,
    [
      '-m', 'celery', '-A', 'reliability_celery_app', 'worker',
      '-Q', options.queue,
      '-n', `${options.name}@%h`,
      '--pool', 'solo',
      '--without-gossip', '--without-mingle', '--without-heartbeat',
      '-l', 'info',
    ],
    { cwd: PY_FIXTURES, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
    await exited;
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!/ ready\./.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the Python worker exited before it was ready:\n${out}`);
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`the Python worker was not ready within ${readyTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out, exited, kill };
}
