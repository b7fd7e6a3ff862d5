/**
 * The processes of the interop tests: real Python Celery 5.2 workers, clients and `celery`
 * commands (Debian's /usr/bin/python3 running an app module of test/interop such as py_app.py,
 * and scripts such as py_client.py) and real `celeriac worker` CLI processes loading a task
 * module of test/interop (ts_tasks.ts, …). startPythonWorker / startTsWorker / runPyClient are
 * the interop scenarios' (interop-scenarios.ts); the canvas and events/control suites start
 * their own apps through the general helpers below.
 *
 * Debian's interpreter, never the one on PATH: only it has python3-celery, and the tests must
 * exercise the Celery version the wire captures came from.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { cleanEnv, startCli } from '../helpers/cli';
import { sleep } from '../helpers/wait';

export const SYSTEM_PYTHON = '/usr/bin/python3';
const HERE = __dirname;
const TS_TASKS = path.join(HERE, 'ts_tasks.ts');

/** Where one interop run's processes meet. */
export interface InteropTarget {
  /** Unique per run: names the workers, so two runs on one broker never look alike. */
  run: string;
  brokerUrl: string;
  backendUrl: string;
  /** Redis where the tasks of both languages count their executions. */
  countersUrl: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  /** Resolves once it exited and its pipes drained. */
  exited: Promise<Exit>;
  alive(): boolean;
}

export function track(name: string, child: ChildProcess): Proc {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => setImmediate(() => resolve({ code, signal }))));
  return {
    name,
    child,
    output: () => out,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/** Resolves with the match once the process has printed `pattern`; fails if it exits first. */
export async function waitOutput(p: Proc, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = p.output().match(pattern);
    if (m) return m;
    if (!p.alive()) throw new Error(`${p.name} exited before printing ${pattern}:\n${p.output()}`);
    if (Date.now() > deadline) throw new Error(`${p.name} did not print ${pattern} within ${timeoutMs} ms:\n${p.output()}`);
    await sleep(25);
  }
}

/** A worker is ready once it printed `pattern` (Celery: / ready\./, Celeriac: / ready: /). */
export async function waitReady(p: Proc, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  await waitOutput(p, pattern, timeoutMs);
}

/** SIGTERM (the whole group when it has one), then SIGKILL if it lingers. */
export async function stop(p: Proc | undefined, group: boolean): Promise<void> {
  if (!p) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (group) process.kill(-p.child.pid!, sig);
      else p.child.kill(sig);
    } catch {
      // already gone
    }
  };
  if (p.alive()) {
    signal('SIGTERM');
    const exited = await Promise.race([p.exited.then(() => true), sleep(8_000).then(() => false)]);
    if (!exited) signal('SIGKILL');
    await p.exited;
  }
  // Prefork children outlive their parent for a moment: make sure none is left.
  if (group) signal('SIGKILL');
}

/** The last part of a process's output, for the log of a failed test. */
export function tailOf(p: Proc | undefined, chars = 4000): string {
  return p ? `--- ${p.name} (last ${chars} chars) ---\n${p.output().slice(-chars)}` : '';
}

/**
 * Fails (never skips) when Debian's Python cannot import `modules`: CI installs the packages,
 * and a silently skipped interop test would hide a broken compatibility promise.
 */
export function requireSystemCelery(modules: string[], aptPackages: string): void {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `${SYSTEM_PYTHON} cannot import ${modules.join(', ')} (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}). ` +
        `The interop tests need a real Python Celery: apt-get install ${aptPackages}`,
    );
  }
}

/**
 * The whole environment of Debian's Python: test/interop on PYTHONPATH, then `vars` (what the
 * app module reads). Nothing from the caller's environment leaks in.
 */
export function pythonEnv(vars: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/bin:/bin',
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    PYTHONPATH: HERE,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    ...vars,
  };
}

/** What py_app.py and py_client.py read. */
function interopEnv(t: InteropTarget, queue: string): NodeJS.ProcessEnv {
  return pythonEnv({
    INTEROP_BROKER_URL: t.brokerUrl,
    INTEROP_BACKEND_URL: t.backendUrl,
    INTEROP_REDIS_URL: t.countersUrl,
    INTEROP_QUEUE: queue,
  });
}

/** `python3 -m celery -A <app> <args>` (a worker, events, inspect, control), in its own process group. */
export function startCelery(name: string, app: string, env: NodeJS.ProcessEnv, args: string[]): Proc {
  const child = spawn(SYSTEM_PYTHON, ['-m', 'celery', '-A', app, ...args], {
    cwd: HERE,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(name, child);
}

export interface CeleryWorker {
  /** The Celery app module in test/interop (py_app, py_canvas_app, …). */
  app: string;
  /** pythonEnv(…) with what the app reads. */
  env: NodeJS.ProcessEnv;
  queues: string[];
  /** -n, e.g. `py-<run>@%h`. */
  node: string;
  /** Prefork processes (-c); 2 unless set. */
  concurrency?: number;
  /** More worker options, e.g. ['-E']. */
  flags?: string[];
}

/** A real `celery worker` (prefork). Ready once it logs " ready." (see waitReady). Its own process group, to reap prefork children. */
export function startCeleryWorker(w: CeleryWorker): Proc {
  return startCelery('the Python worker', w.app, w.env, [
    'worker',
    '-Q', w.queues.join(','),
    '-c', String(w.concurrency ?? 2), '--pool=prefork',
    ...(w.flags ?? []),
    '--without-mingle', '--without-gossip',
    '-n', w.node,
    '-l', 'info',
  ]);
}

/** py_app's worker on `queues` for the interop scenarios. */
export function startPythonWorker(t: InteropTarget, queues: string[]): Proc {
  return startCeleryWorker({ app: 'py_app', env: interopEnv(t, queues[0]), queues, node: `py-${t.run}@%h` });
}

export interface CeleriacWorker {
  /** The task module (-A). */
  tasks: string;
  brokerUrl: string;
  backendUrl: string;
  queues: string[];
  /** -n, e.g. `ts-<run>@%h`. */
  node: string;
  /** What the task module reads (on top of cleanEnv()). */
  env: NodeJS.ProcessEnv;
  /** More worker options, e.g. ['-E']. */
  flags?: string[];
}

/** A real `celeriac worker` CLI process. Ready once it logs " ready: ". */
export function startCeleriacWorker(w: CeleriacWorker): Proc {
  const child = startCli(
    ['worker', '-A', w.tasks, '-b', w.brokerUrl, '--result-backend', w.backendUrl, '-Q', w.queues.join(','), '-n', w.node, ...(w.flags ?? []), '-l', 'info'],
    cleanEnv(w.env),
  );
  return track('the TS worker', child);
}

/** ts_tasks.ts's worker on `queues` for the interop scenarios. */
export function startTsWorker(t: InteropTarget, queues: string[]): Proc {
  return startCeleriacWorker({
    tasks: TS_TASKS,
    brokerUrl: t.brokerUrl,
    backendUrl: t.backendUrl,
    queues,
    node: `ts-${t.run}@%h`,
    env: { INTEROP_REDIS_URL: t.countersUrl },
  });
}

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run Debian's Python with `args` in test/interop (in its own process group, killed whole after `timeoutMs`). */
export async function runPython(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 40_000): Promise<PythonRun> {
  const p = track(`python3 ${args.join(' ')}`, spawn(SYSTEM_PYTHON, args, { cwd: HERE, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  p.child.stdout!.on('data', (d) => (stdout += d));
  p.child.stderr!.on('data', (d) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-p.child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, timeoutMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  if (timedOut) throw new Error(`${p.name} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
  return { code, stdout, stderr };
}

/** Run a client script in test/interop; it must exit 0. Parses the JSON object on the last line of its stdout. */
export async function runPythonJson(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 40_000): Promise<any> {
  const what = `${script} ${args.join(' ')}`;
  const { code, stdout, stderr } = await runPython([path.join(HERE, script), ...args], env, timeoutMs);
  if (code !== 0) throw new Error(`${what} exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`${what} printed no JSON\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
}

/** Run py_client.py against `queue` and parse the JSON object on the last line of its stdout. */
export function runPyClient(t: InteropTarget, queue: string, args: string[], timeoutMs = 40_000): Promise<any> {
  return runPythonJson('py_client.py', args, interopEnv(t, queue), timeoutMs);
}
