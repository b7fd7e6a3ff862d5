/**
 * A simulation scenario: which app, how many workers, what to send and when,
 * which faults to inject — written in TypeScript next to the tasks:
 *
 *   import { defineScenario } from 'celeriac';
 *   import { app, ledger } from './tasks';
 *   export default defineScenario({
 *     app,
 *     workers: { count: 2, concurrency: 4 },
 *     send: [{ task: 'billing.sync', args: (i) => [i], count: 200, every: '100ms' }],
 *     durations: { 'billing.sync': { mean: '300ms', jitter: '200ms' } },
 *     faults: [{ kind: 'flaky', task: 'billing.sync', rate: 0.3, error: 'ConnectionError' }],
 *   });
 *
 * Durations are strings ('500ms', '2s', '1h30m') or seconds. Everything is
 * checked by `checkScenario`, which names the field at fault.
 */
import type { App } from '../app/app';
import type { ApplyOptions } from '../app/task-options';
import type { BeatSchedule } from '../beat/beat-schedule';
import { durationMs } from '../beat/schedules';
import { ConfigError } from '../errors';
import type { PoolKind } from '../worker/pools/pool';

export type Duration = string | number;

/** A fixed duration, or a mean ± jitter drawn uniformly from the seeded random source. */
export type DurationSpec =
  | Duration
  | {
      mean: Duration;
      jitter?: Duration;
      /**
       * The time is synchronous code (CPU-bound work, a blocking call): on an
       * async-pool worker it holds the worker's one event loop, so no other
       * task of that worker makes progress meanwhile; a process-pool worker
       * runs it in a child of its own.
       */
      blocking?: boolean;
    };

export interface WorkersSpec {
  /** Simulated workers (default 1), named sim-1, sim-2, … */
  count?: number;
  /** Task slots per worker (default 4). */
  concurrency?: number;
  /**
   * 'async' (default) or 'process'. Tasks always run in the simulator's
   * process (that is what lets virtual time pass instantly); what differs is
   * `blocking` durations: on 'async' they hold the worker's event loop and
   * hold up its other tasks, on 'process' they run side by side.
   */
  pool?: PoolKind;
  /** Queues consumed (default the app's task_default_queue). */
  queues?: string[];
  prefetchMultiplier?: number;
}

export interface SendSpec {
  /** The task to send by name… */
  task?: string;
  /** …or client code to run instead (e.g. `(i) => chain(a.s(i), b.s()).applyAsync()`). */
  run?: (i: number) => unknown;
  /** Arguments, or a function of the send's index (0, 1, 2, …). */
  args?: unknown[] | ((i: number) => unknown[]);
  kwargs?: Record<string, unknown> | ((i: number) => Record<string, unknown>);
  /** How many to send (default 1). */
  count?: number;
  /** First send, from the start of the run (default 0). */
  at?: Duration;
  /** Between sends (a steady rate); without it all `count` go at once (a burst). */
  every?: Duration;
  options?: ApplyOptions;
}

export interface BrokerSpec {
  /** Transport latency added to every publish: mean ± jitter. */
  latency?: DurationSpec;
  /**
   * Model Redis' visibility timeout: a message a worker holds unacked longer
   * than this is delivered again (kombu restores it), as on a Redis broker.
   */
  visibilityTimeout?: Duration;
}

export type FaultSpec =
  /** Kill a worker abruptly (no warm shutdown): at a time, or halfway through the nth run of a task. */
  | { kind: 'crash'; worker?: number; at?: Duration; duringTask?: string; nth?: number; restartAfter?: Duration | null }
  /** Deliver some published tasks twice. */
  | { kind: 'duplicate'; rate: number; task?: string }
  /** A dependency of a task fails this fraction of calls (the task throws `error`). */
  | { kind: 'flaky'; task: string; rate: number; error?: string; message?: string }
  /** Warm-restart every worker at this time (running tasks finish, the rest go back to the queue). */
  | { kind: 'restart'; at: Duration };

export interface IdempotencyCheck<S = unknown> {
  /** The state the task changes (read after each execution). */
  state: () => S | Promise<S>;
  /** Whether two states are the same (default: equal as JSON). */
  same?: (afterOnce: S, afterTwice: S) => boolean;
}

export interface Scenario {
  /** The app whose tasks run (default: the app the scenario module creates or imports). */
  app?: App;
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Virtual time the run may last (default: until nothing is left to do, at most a day). */
  duration?: Duration;
  /** Virtual start time (default 2026-01-05T00:00:00Z, a Monday), ISO or ms since the epoch. */
  start?: string | number;
  workers?: WorkersSpec;
  send?: SendSpec[];
  /** Run beat: `true` uses the app's beat_schedule; or a schedule of its own. */
  beat?: boolean | BeatSchedule;
  /** Virtual time each task takes to run (default 0: only its own timers take time). */
  durations?: Record<string, DurationSpec>;
  broker?: BrokerSpec;
  faults?: FaultSpec[];
  /** Tasks whose effect must not change when they run twice. */
  idempotency?: Record<string, IdempotencyCheck<any>>;
}

/** Marks a scenario (type help for the file; checked when the run starts). */
export function defineScenario(s: Scenario): Scenario {
  return s;
}

/** Durations in ms. */
export interface Spread {
  mean: number;
  jitter: number;
  blocking?: boolean;
}

export function spreadOf(spec: DurationSpec, what: string): Spread {
  if (typeof spec === 'object' && spec !== null) {
    if (spec.blocking !== undefined && typeof spec.blocking !== 'boolean') throw new ConfigError(`scenario ${what}.blocking must be true or false, got ${JSON.stringify(spec.blocking)}`);
    const spread: Spread = { mean: ms(spec.mean, `${what}.mean`, true), jitter: spec.jitter === undefined ? 0 : ms(spec.jitter, `${what}.jitter`, true) };
    return spec.blocking ? { ...spread, blocking: true } : spread;
  }
  return { mean: ms(spec, what, true), jitter: 0 };
}

/** A duration in ms; `zeroOk` allows 0. */
export function ms(d: Duration, what: string, zeroOk = false): number {
  if (zeroOk && (d === 0 || d === '0')) return 0;
  return durationMs(d, `scenario ${what}`);
}

function rate(v: unknown, what: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new ConfigError(`scenario ${what} must be a fraction between 0 and 1, got ${JSON.stringify(v)}`);
  return v;
}

function wholeAtLeast(v: unknown, min: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ConfigError(`scenario ${what} must be a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** Throws a ConfigError naming the first field that is wrong. */
export function checkScenario(s: Scenario): void {
  if (typeof s !== 'object' || s === null) throw new ConfigError('a scenario module must export a scenario (export default defineScenario({...}))');
  if (s.seed !== undefined && !Number.isFinite(s.seed)) throw new ConfigError(`scenario seed must be a number, got ${JSON.stringify(s.seed)}`);
  if (s.duration !== undefined) ms(s.duration, 'duration');
  if (s.start !== undefined && !Number.isFinite(typeof s.start === 'number' ? s.start : Date.parse(s.start))) {
    throw new ConfigError(`scenario start must be an ISO time or ms since the epoch, got ${JSON.stringify(s.start)}`);
  }
  const w = s.workers ?? {};
  if (w.count !== undefined) wholeAtLeast(w.count, 1, 'workers.count');
  if (w.concurrency !== undefined) wholeAtLeast(w.concurrency, 1, 'workers.concurrency');
  if (w.prefetchMultiplier !== undefined) wholeAtLeast(w.prefetchMultiplier, 1, 'workers.prefetchMultiplier');
  if (w.pool !== undefined && w.pool !== 'async' && w.pool !== 'process') throw new ConfigError(`scenario workers.pool must be 'async' or 'process', got ${JSON.stringify(w.pool)}`);
  (s.send ?? []).forEach((send, i) => {
    const hasTask = typeof send?.task === 'string' && send.task !== '';
    if (hasTask === (typeof send?.run === 'function')) throw new ConfigError(`scenario send[${i}] needs either a task name or a run function`);
    if (send.count !== undefined) wholeAtLeast(send.count, 1, `send[${i}].count`);
    if (send.at !== undefined) ms(send.at, `send[${i}].at`, true);
    if (send.every !== undefined) ms(send.every, `send[${i}].every`);
  });
  for (const [name, d] of Object.entries(s.durations ?? {})) spreadOf(d, `durations['${name}']`);
  if (s.broker?.latency !== undefined) spreadOf(s.broker.latency, 'broker.latency');
  if (s.broker?.visibilityTimeout !== undefined) ms(s.broker.visibilityTimeout, 'broker.visibilityTimeout');
  const workers = w.count ?? 1;
  (s.faults ?? []).forEach((f, i) => {
    const what = `faults[${i}]`;
    switch (f?.kind) {
      case 'crash':
        if (f.worker !== undefined && !(Number.isInteger(f.worker) && f.worker >= 1 && f.worker <= workers)) {
          throw new ConfigError(`scenario ${what}.worker must be a worker number from 1 to ${workers}, got ${JSON.stringify(f.worker)}`);
        }
        if ((f.at === undefined) === (f.duringTask === undefined)) throw new ConfigError(`scenario ${what} (crash) needs either 'at' or 'duringTask'`);
        if (f.at !== undefined) ms(f.at, `${what}.at`, true);
        if (f.nth !== undefined) wholeAtLeast(f.nth, 1, `${what}.nth`);
        if (f.restartAfter !== undefined && f.restartAfter !== null) ms(f.restartAfter, `${what}.restartAfter`, true);
        break;
      case 'duplicate':
        rate(f.rate, `${what}.rate`);
        break;
      case 'flaky':
        if (typeof f.task !== 'string' || !f.task) throw new ConfigError(`scenario ${what} (flaky) needs a task name`);
        rate(f.rate, `${what}.rate`);
        break;
      case 'restart':
        ms(f.at, `${what}.at`, true);
        break;
      default:
        throw new ConfigError(`scenario ${what}.kind must be crash, duplicate, flaky or restart, got ${JSON.stringify((f as { kind?: unknown })?.kind)}`);
    }
  });
  for (const [name, check] of Object.entries(s.idempotency ?? {})) {
    if (typeof check?.state !== 'function') throw new ConfigError(`scenario idempotency['${name}'] needs a state() function`);
  }
}
