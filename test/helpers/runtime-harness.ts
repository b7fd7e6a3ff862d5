/**
 * Shared helpers for app and worker tests on the embedded `memory://` broker.
 *
 * Every app using `memory://` in this process shares one hub, so each test
 * gets its own queue names (`uniqueQueue()`), and `Harness.cleanup()` stops the
 * workers and closes the apps a test created.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { TaskFailedError, createApp, createLogger, type App, type AppOptions, type Logger, type QueueStats, type Worker } from '../../src/runtime';
import type { AppDeps } from '../../src/runtime/app/app';
import type { WorkerEvents } from '../../src/runtime/worker/worker-events';

export function uniqueQueue(prefix = 'q'): string {
  return `${prefix}-${randomUUID()}`;
}

export function uniqueName(prefix = 'test.task'): string {
  return `${prefix}.${randomUUID().slice(0, 8)}`;
}

export const quietLog: Logger = createLogger({ level: 'silent' });

/** A logger that keeps its lines, for asserting on warnings. */
export function captureLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', sink: { write: (line) => lines.push(line) } });
  return Object.assign(log, { lines });
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `check` returns true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** The next event of this kind (optionally matching `filter`) a worker emits. */
export function nextEvent<K extends keyof WorkerEvents>(
  worker: Worker,
  event: K,
  filter: (e: Parameters<WorkerEvents[K]>[0]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<Parameters<WorkerEvents[K]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for worker event '${String(event)}'`));
    }, timeoutMs);
    const listener = ((e: Parameters<WorkerEvents[K]>[0]) => {
      if (!filter(e)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    }) as unknown as WorkerEvents[K];
    const sub = worker.events.on(event, listener);
  });
}

/** Broker counts of one queue. */
export async function queueStats(app: App, queue: string): Promise<QueueStats> {
  const broker = await app.connectBroker();
  const [stats] = await broker.stats([queue]);
  return stats;
}

/** Creates apps and workers for one test and disposes of them afterwards. */
export class Harness {
  private readonly apps: App[] = [];
  private readonly workers: Worker[] = [];
  private readonly cleanups: (() => unknown)[] = [];

  /** A `memory://` app on a fresh default queue, logging nothing. */
  app(options: AppOptions = {}, deps: AppDeps = {}): App {
    const app = createApp(
      { broker: 'memory://', task_default_queue: uniqueQueue(), ...options },
      { log: quietLog, env: {}, ...deps },
    );
    this.apps.push(app);
    return app;
  }

  /** Track an app created elsewhere (e.g. by loading a task module). */
  adoptApp(app: App): App {
    this.apps.push(app);
    return app;
  }

  track(worker: Worker): Worker {
    this.workers.push(worker);
    return worker;
  }

  onCleanup(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.splice(0)) {
      try {
        await fn();
      } catch {
        // keep cleaning up
      }
    }
    for (const w of this.workers.splice(0)) {
      if (w.state === 'running' || w.state === 'starting') await w.terminate().catch(() => undefined);
    }
    for (const a of this.apps.splice(0)) await a.close().catch(() => undefined);
  }
}

/** The TaskFailedError a result's get() rejects with (fails the test if it resolves). */
export async function failureOf(promise: Promise<unknown>): Promise<TaskFailedError> {
  const err = await promise.then(
    () => assert.fail('expected the task to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TaskFailedError, `expected TaskFailedError, got ${String(err)}`);
  return err;
}
