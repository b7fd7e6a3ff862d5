/**
 * A real Python Celery worker (Debian python3-celery, /usr/bin/python3) for the
 * bench suites: started in a process group of its own (so Ctrl-C of the bench
 * does not reach it and its pool children can be found, measured and killed),
 * stopped warm, and killed with its group if the bench exits mid-run.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PYTHON = '/usr/bin/python3';
/** bench/python: the task modules the workers load. */
export const PYTHON_MODULE_DIR = path.join(__dirname, 'python');

const probes = new Map<string, Promise<string | undefined>>();

/** undefined when `import <modules>` works, else why not (asked once per module list). */
export function pythonMissing(modules: string): Promise<string | undefined> {
  let probe = probes.get(modules);
  if (!probe) {
    probe = new Promise((resolve) => {
      execFile(PYTHON, ['-c', `import ${modules}`], { timeout: 30_000 }, (err, _out, stderr) => {
        resolve(err ? (stderr.trim().split('\n').pop() ?? err.message) : undefined);
      });
    });
    probes.set(modules, probe);
  }
  return probe;
}

/** USER_HZ: /proc times are in 1/100 s on Linux. */
const CLK_TCK = 100;

/** CPU µs (user + system) of every live process in process group `pgid`. */
export function groupCpuUs(pgid: number): number {
  let ticks = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after "(comm)": state ppid pgrp … utime(14) stime(15), counted from 1 over the whole line.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1e6) / CLK_TCK;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Process groups of workers this bench started and has not stopped yet. */
const live = new Set<number>();

function killLive(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  killLive();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function track(pgid: number): void {
  if (live.size === 0) {
    process.on('exit', killLive);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  live.add(pgid);
}

function untrack(pgid: number): void {
  live.delete(pgid);
  if (live.size === 0) {
    process.off('exit', killLive);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export interface PythonWorker {
  child: ChildProcess;
  /** Also its process group id. */
  pid: number;
  exited: Promise<void>;
  /** The last 4,000 characters it wrote (stdout and stderr). */
  output: () => string;
  /** Throws, with its output, if it has exited. */
  assertAlive: () => void;
}

/** `python3 -m celery -A <module> worker <args>` in bench/python, with `env` added to ours. */
export function spawnPythonWorker(module: string, args: string[], env: Record<string, string>): PythonWorker {
  const child = spawn(PYTHON, ['-m', 'celery', '-A', module, 'worker', ...args], {
    cwd: PYTHON_MODULE_DIR,
    detached: true, // its own process group: the pool children can be found (and killed) by it
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
  });
  if (child.pid === undefined) throw new Error('could not start the Python Celery worker');
  const pid = child.pid;
  track(pid);
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const assertAlive = () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the Python Celery worker exited (${child.exitCode ?? child.signalCode}):\n${out}`);
    }
  };
  return { child, pid, exited, output: () => out, assertAlive };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Warm shutdown (SIGTERM), then SIGKILL of its group if it or a pool child lingers. */
export async function stopPythonWorker(w: PythonWorker): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) {
    w.child.kill('SIGTERM'); // warm shutdown; the pool is idle
    const exited = await Promise.race([w.exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!exited) {
      try {
        process.kill(-w.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await w.exited;
  }
  // Pool children normally go with the main process; anything left in the group is killed.
  for (let i = 0; groupAlive(w.pid); i++) {
    if (i === 0 || i % 20 === 0) {
      try {
        process.kill(-w.pid, i === 0 ? 'SIGTERM' : 'SIGKILL');
      } catch {
        break;
      }
    }
    if (i > 200) throw new Error(`Python Celery worker group ${w.pid} did not exit`);
    await sleep(50);
  }
  untrack(w.pid);
}
