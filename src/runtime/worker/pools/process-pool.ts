/**
 * Runs tasks in forked child processes, one task per child at a time: right
 * for CPU-bound or crash-prone code. A hard time limit kills the child; a child
 * that dies mid-task is reported as WorkerLostError and replaced; after
 * `maxTasksPerChild` tasks a child is retired and replaced.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { childEntry } from '../../child-entry';
import type { Clock, TimerHandle } from '../../clock';
import { ConfigError, TimeLimitExceeded, WorkerLostError } from '../../errors';
import type { Logger } from '../../log';
import { serializeError } from '../../protocol/result-meta';
import { buildTaskModule, type BuiltModule } from '../../loader/load-task-module';
import { getLocalHub, localHubSocket, MEMORY_SOCKET_ENV } from '../../brokers/memory/memory-hub';
import { resolveMemoryUrl } from '../../brokers/memory/memory-url';
import { serveHub, type HubServer } from '../../brokers/memory/hub-server';
import { urlScheme } from '../../url';
import type { Outcome, TaskRun } from '../task-run';
import type { Pool } from './pool';
import {
  POOL_BUILT_ENV,
  POOL_ENTRY_ENV,
  POOL_INDEX_ENV,
  POOL_LOG_LEVEL_ENV,
  type ChildToParent,
  type ParentToChild,
} from './pool-messages';

export interface ProcessPoolOptions {
  concurrency: number;
  /** The task module children load. */
  module: string;
  /** The app's broker URL: with an in-process memory broker, the pool serves it to children. */
  brokerUrl: string;
  maxTasksPerChild?: number;
  log: Logger;
  clock: Clock;
}

interface Job {
  run: TaskRun;
  /** Set when revoke/terminate killed the child on purpose. */
  terminatedWith?: NodeJS.Signals;
  onStart?: (pid: number) => void;
  resolve: (o: Outcome) => void;
  started: number;
  hardTimer?: TimerHandle;
}

class Child {
  job: Job | undefined;
  tasksRun = 0;
  retiring = false;
  /** A successor was spawned when this child was retired. */
  replaced = false;
  ready = false;

  constructor(
    readonly index: number,
    readonly proc: ChildProcess,
  ) {}

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  send(m: ParentToChild): void {
    if (this.proc.connected) this.proc.send(m);
  }
}

function signalNumber(signal: NodeJS.Signals): number | null {
  return (os.constants.signals as Record<string, number>)[signal] ?? null;
}

function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signalNumber(signal) ?? '?'} (${signal})` : `exitcode ${code}`;
}

export class ProcessPool implements Pool {
  readonly kind = 'process' as const;
  readonly concurrency: number;
  private readonly children = new Set<Child>();
  private readonly waiting: Job[] = [];
  private built!: BuiltModule;
  private hub?: HubServer;
  private childEnv: NodeJS.ProcessEnv = {};
  private nextIndex = 1;
  private closing = false;

  constructor(private readonly o: ProcessPoolOptions) {
    this.concurrency = o.concurrency;
  }

  async start(): Promise<void> {
    this.built = await buildTaskModule(this.o.module);
    this.childEnv = {
      ...process.env,
      [POOL_ENTRY_ENV]: this.built.entry,
      [POOL_BUILT_ENV]: this.built.outfile,
      [POOL_LOG_LEVEL_ENV]: this.o.log.level,
    };
    // Children must publish (retries, subtasks) to the same embedded broker as this process.
    if (urlScheme(this.o.brokerUrl) === 'memory') {
      const target = resolveMemoryUrl(this.o.brokerUrl);
      if (target.kind === 'local') {
        const served = localHubSocket();
        if (!served) this.hub = await serveHub(getLocalHub());
        this.childEnv[MEMORY_SOCKET_ENV] = served ?? this.hub!.path;
      } else {
        this.childEnv[MEMORY_SOCKET_ENV] = target.path;
      }
    }
    await Promise.all(Array.from({ length: this.concurrency }, () => this.spawn()));
  }

  private spawn(): Promise<Child> {
    const { file, execArgv } = childEntry('worker/pools/pool-child');
    const index = this.nextIndex++;
    const proc = fork(file, [], {
      execArgv,
      env: { ...this.childEnv, [POOL_INDEX_ENV]: String(index) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child = new Child(index, proc);
    this.children.add(child);
    return new Promise<Child>((resolve, reject) => {
      proc.on('message', (m: ChildToParent) => {
        if (m.type === 'ready') {
          child.ready = true;
          resolve(child);
          this.dispatch();
        } else if (m.type === 'load-error') {
          reject(new ConfigError(`process pool child could not load ${this.built.entry}:\n${m.message}`));
        } else if (m.type === 'done') {
          this.onDone(child, m.outcome);
        }
      });
      proc.on('exit', (code, signal) => {
        this.children.delete(child);
        if (!child.ready) reject(new ConfigError(`process pool child exited during start-up (${exitDescription(code, signal)})`));
        this.onExit(child, code, signal);
      });
      proc.on('error', (err) => this.o.log.error(`process pool child ${index}: ${err.message}`));
    });
  }

  run(run: TaskRun, onStart?: (pid: number) => void): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      this.waiting.push({ run, onStart, resolve, started: 0 });
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.closing) return;
    for (const child of this.children) {
      if (this.waiting.length === 0) return;
      if (!child.ready || child.job || child.retiring) continue;
      const job = this.waiting.shift()!;
      child.job = job;
      job.started = Date.now();
      const hard = job.run.timeLimit[0];
      if (hard) job.hardTimer = this.o.clock.setTimeout(() => this.onHardLimit(child, job, hard), hard * 1000);
      child.send({ type: 'run', run: job.run });
      job.onStart?.(child.pid);
    }
  }

  private settle(child: Child, outcome: Outcome): void {
    const job = child.job;
    if (!job) return;
    child.job = undefined;
    if (job.hardTimer) this.o.clock.clearTimeout(job.hardTimer);
    job.resolve(outcome);
  }

  private onDone(child: Child, outcome: Outcome): void {
    this.settle(child, outcome);
    child.tasksRun++;
    const max = this.o.maxTasksPerChild;
    if (max && child.tasksRun >= max && !this.closing) {
      child.retiring = true;
      child.replaced = true;
      child.send({ type: 'exit' });
      this.o.log.info(`process pool child ${child.pid} ran ${child.tasksRun} tasks (max_tasks_per_child): replacing it`);
      this.spawn().catch((err) => this.o.log.error(`could not replace a pool child: ${(err as Error).message}`));
    }
    this.dispatch();
  }

  private onHardLimit(child: Child, job: Job, hard: number): void {
    if (child.job !== job) return;
    const err = new TimeLimitExceeded(`TimeLimitExceeded(${hard})`);
    this.o.log.error(`Hard time limit (${hard}s) exceeded for ${job.run.name}[${job.run.id}]: killing child ${child.pid}`);
    this.settle(child, {
      status: 'failure',
      error: serializeError(err),
      runtimeMs: Date.now() - job.started,
      cause: 'time-limit',
    });
    child.retiring = true;
    child.proc.kill('SIGKILL');
  }

  terminateTask(id: string, signal: NodeJS.Signals): boolean {
    for (const child of this.children) {
      if (child.job?.run.id !== id) continue;
      // kill() throws on an unknown signal: only then mark the child as going away.
      child.proc.kill(signal);
      child.job.terminatedWith = signal;
      child.retiring = true;
      return true;
    }
    return false;
  }

  /** Rebuild the task module and replace every child; running tasks finish in the old ones. */
  async restart(): Promise<void> {
    this.built = await buildTaskModule(this.o.module);
    this.childEnv[POOL_ENTRY_ENV] = this.built.entry;
    this.childEnv[POOL_BUILT_ENV] = this.built.outfile;
    const old = [...this.children];
    for (const child of old) {
      child.retiring = true;
      child.replaced = true;
      child.send({ type: 'exit' });
    }
    await Promise.all(old.map(() => this.spawn()));
    this.o.log.info(`process pool restarted: ${old.length} children replaced`);
  }

  private onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    const terminatedWith = child.job?.terminatedWith;
    if (child.job && terminatedWith) {
      const job = child.job;
      this.settle(child, { status: 'revoked', signum: signalNumber(terminatedWith), runtimeMs: Date.now() - job.started });
    } else if (child.job) {
      const job = child.job;
      const err = new WorkerLostError(`Worker exited prematurely: ${exitDescription(code, signal)} Job: ${job.run.id}.`);
      this.settle(child, { status: 'failure', error: serializeError(err), runtimeMs: Date.now() - job.started, cause: 'worker-lost' });
    }
    if (this.closing || !child.ready) return;
    if (!child.retiring) this.o.log.warn(`process pool child ${child.pid} exited (${exitDescription(code, signal)}): replacing it`);
    if (child.replaced) return; // its successor was started when it was retired
    this.spawn().catch((err) => this.o.log.error(`could not replace a pool child: ${(err as Error).message}`));
  }

  async terminate(): Promise<void> {
    this.closing = true;
    for (const child of this.children) child.proc.kill('SIGKILL');
  }

  async close(): Promise<void> {
    this.closing = true;
    const exits = [...this.children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.proc.exitCode !== null || child.proc.signalCode !== null) return resolve();
          child.proc.once('exit', () => resolve());
          child.send({ type: 'exit' });
          setTimeout(() => child.proc.kill('SIGKILL'), 5000).unref();
        }),
    );
    await Promise.all(exits);
    for (const job of this.waiting.splice(0)) {
      job.resolve({ status: 'failure', error: serializeError(new WorkerLostError('pool closed')), runtimeMs: 0, cause: 'worker-lost' });
    }
    await this.hub?.close();
  }

  pids(): number[] {
    return [...this.children].map((c) => c.pid);
  }
}
