/**
 * Around every task call in a simulation: the virtual time the task takes, a
 * flaky dependency's failures, a crash halfway through a given run, and the
 * idempotency check (run it again, compare the state it leaves).
 */
import type { AroundTask } from '../worker/executor';
import type { TaskRun } from '../worker/task-run';
import type { EventLoopModel } from './sim-event-loop';
import type { FaultSpec, IdempotencyCheck, Spread } from './scenario';
import { draw, type Random } from './seeded-random';
import { virtualSleep } from './virtual-sleep';

type CrashFault = Extract<FaultSpec, { kind: 'crash' }>;
type FlakyFault = Extract<FaultSpec, { kind: 'flaky' }>;

export interface IdempotencyOutcome {
  name: string;
  taskId: string;
  same: boolean;
  afterOnce: string;
  afterTwice: string;
}

export interface TaskWrapperOptions {
  random: Random;
  durations: ReadonlyMap<string, Spread>;
  flaky: readonly FlakyFault[];
  /** Crash faults that fire during a task (`duringTask`). */
  crashes: readonly CrashFault[];
  idempotency: Readonly<Record<string, IdempotencyCheck<unknown>>>;
  /** The workers' event loops (async pool); none for the process pool. */
  loop?: EventLoopModel;
  /** Kill the worker running `run` now (it is halfway through). */
  crash(run: TaskRun, fault: CrashFault): void;
  onIdempotency(outcome: IdempotencyOutcome): void;
}


function simulatedError(f: FlakyFault, run: TaskRun): Error {
  const err = new Error(f.message ?? `simulated failure of a dependency of ${run.name}`);
  err.name = f.error ?? 'ConnectionError';
  return err;
}

function snapshot<T>(v: T): T {
  try {
    return structuredClone(v);
  } catch {
    return v; // not cloneable (functions, class instances with handles): compared as they are
  }
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function simTaskWrapper(o: TaskWrapperOptions): AroundTask {
  const runsByName = new Map<string, number>();
  const fired = new Set<CrashFault>();

  return async (run, call) => {
    const nth = (runsByName.get(run.name) ?? 0) + 1;
    runsByName.set(run.name, nth);
    const spread = o.durations.get(run.name);
    const duration = spread ? draw(o.random, spread.mean, spread.jitter) : 0;

    // Nothing of a worker runs while sync code of another of its tasks holds its loop.
    await o.loop?.free(run.hostname, run.id);
    const crash = o.crashes.find((f) => !fired.has(f) && f.duringTask === run.name && (f.nth ?? 1) === nth);
    if (crash) {
      fired.add(crash);
      // Halfway through: the task has begun its work (and, without acks_late, its message is gone).
      setTimeout(() => o.crash(run, crash), duration / 2);
    }
    if (duration > 0 && spread?.blocking && o.loop) await o.loop.block(run.hostname, run.id, run.name, duration);
    else if (duration > 0) {
      await virtualSleep(duration);
      await o.loop?.free(run.hostname, run.id);
    }

    for (const f of o.flaky) if (f.task === run.name && o.random() < f.rate) throw simulatedError(f, run);

    const value = await call();
    const check = o.idempotency[run.name];
    if (check) {
      // A copy: state() may return the very object the second run changes.
      const afterOnce = snapshot(await check.state());
      const onceText = show(afterOnce);
      await call();
      const afterTwice = await check.state();
      const twiceText = show(afterTwice);
      const same = check.same ? check.same(afterOnce, afterTwice) : onceText === twiceText;
      o.onIdempotency({ name: run.name, taskId: run.id, same, afterOnce: onceText, afterTwice: twiceText });
    }
    return value;
  };
}
