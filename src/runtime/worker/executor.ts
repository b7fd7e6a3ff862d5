/**
 * Runs one task function for a TaskRun and classifies what happened: success,
 * a retry (explicit or automatic, within the retry budget), or a failure. Used
 * in-process by the async pool and inside children by the process pool.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock';
import { MaxRetriesExceededError, Retry, SoftTimeLimitExceeded, type RetryRequest } from '../errors';
import type { Logger } from '../log';
import type { TaskDefinition } from '../app/task';
import type { RetryOptions, TaskContext } from '../app/task-context';
import { argsRepr, kwargsRepr, pyRepr } from '../protocol/pyrepr';
import { toCeleryIso, parseIso } from '../protocol/iso-time';
import { exceptionRepr, serializeError, type SerializedError } from '../protocol/result-meta';
import { autoretryCountdown, canRetry, matchesError } from './retry-policy';
import type { Outcome, TaskRun } from './task-run';

export interface ExecutorEnv {
  log: Logger;
  clock: Clock;
  /** Seconds (task_default_retry_delay). */
  defaultRetryDelay: number;
  /** Wraps every call of a task function (async pool only); see WorkerOptions.aroundTask. */
  aroundTask?: AroundTask;
}

/**
 * Runs around a task function call: gets the run and a `call` that invokes the
 * function, and returns (or throws) what the task should be seen to return.
 * The simulator uses it to make tasks take virtual time and to inject faults.
 */
export type AroundTask = (run: TaskRun, call: () => unknown) => unknown;

function isRetry(err: unknown): err is Retry {
  return err instanceof Retry || (err instanceof Error && err.name === 'Retry' && 'request' in err);
}

/** Positional arguments for the task function, with kwargs mapped by `argNames` or passed last. */
export function callArguments(def: TaskDefinition, args: readonly unknown[], kwargs: Record<string, unknown>): unknown[] {
  const out = [...args];
  let hasKwargs = false;
  for (const _ in kwargs) {
    hasKwargs = true;
    break;
  }
  if (!hasKwargs) return out;
  const names = def.options.argNames;
  if (!names) {
    out.push(kwargs);
    return out;
  }
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) {
    const i = names.indexOf(k);
    if (i >= 0) {
      while (out.length < i) out.push(undefined);
      out[i] = v;
    } else rest[k] = v;
  }
  if (Object.keys(rest).length) out.push(rest);
  return out;
}

function retryWhenMs(req: RetryRequest, now: number, fallbackSeconds: number): number {
  if (req.eta !== undefined) return req.eta;
  return now + (req.countdown ?? fallbackSeconds) * 1000;
}

function describeRetry(etaMs: number, now: number, exc: SerializedError | null): string {
  const secs = Math.round((etaMs - now) / 1000);
  const when = secs >= 0 && secs < 86_400 ? `Retry in ${secs}s` : `Retry at ${toCeleryIso(etaMs)}`;
  return exc ? `${when}: ${exceptionRepr(exc)}` : when;
}

function makeContext(run: TaskRun, signal: AbortSignal, log: Logger): TaskContext {
  return {
    id: run.id,
    name: run.name,
    args: run.args,
    kwargs: run.kwargs,
    retries: run.retries,
    eta: run.eta,
    expires: run.expires,
    parentId: run.parentId,
    rootId: run.rootId,
    groupId: run.groupId,
    hostname: run.hostname,
    deliveryInfo: run.deliveryInfo,
    headers: run.headers,
    signal,
    log,
    parent: { id: run.id, rootId: run.rootId },
    retry(options: RetryOptions = {}): never {
      let eta: number | undefined;
      if (options.eta !== undefined) {
        eta =
          options.eta instanceof Date
            ? options.eta.getTime()
            : typeof options.eta === 'number'
              ? options.eta
              : parseIso(options.eta);
      }
      const when = options.countdown !== undefined ? `in ${options.countdown}s` : eta !== undefined ? `at ${toCeleryIso(eta)}` : 'later';
      throw new Retry(`Retry ${when}${options.exc !== undefined ? `: ${String((options.exc as Error)?.message ?? options.exc)}` : ''}`, {
        countdown: options.countdown,
        eta,
        exc: options.exc,
        maxRetries: options.maxRetries,
        args: options.args,
        kwargs: options.kwargs,
      });
    },
  };
}

function classifyError(def: TaskDefinition, run: TaskRun, err: unknown, env: ExecutorEnv, runtimeMs: number): Outcome {
  const now = env.clock.now();
  if (isRetry(err)) {
    const req = err.request;
    const max = req.maxRetries !== undefined ? req.maxRetries : def.options.maxRetries;
    const exc = req.exc !== undefined ? serializeError(req.exc) : null;
    if (!canRetry(run.retries, max)) {
      const error =
        exc ??
        serializeError(
          new MaxRetriesExceededError(
            `Can't retry ${run.name}[${run.id}] args:${argsRepr(run.args)} kwargs:${kwargsRepr(run.kwargs)}`,
          ),
        );
      return { status: 'failure', error, runtimeMs };
    }
    const etaMs = retryWhenMs(req, now, def.options.defaultRetryDelay ?? env.defaultRetryDelay);
    return {
      status: 'retry',
      etaMs,
      exc,
      reason: describeRetry(etaMs, now, exc),
      ...(req.args ? { args: req.args } : {}),
      ...(req.kwargs ? { kwargs: req.kwargs } : {}),
      runtimeMs,
    };
  }
  const error = serializeError(err);
  if (matchesError(def.options.autoretryFor, err) && canRetry(run.retries, def.options.maxRetries)) {
    const countdown = autoretryCountdown(def.options, run.retries, env.defaultRetryDelay);
    const etaMs = now + countdown * 1000;
    return { status: 'retry', etaMs, exc: error, reason: describeRetry(etaMs, now, error), runtimeMs };
  }
  return { status: 'failure', error, runtimeMs };
}

/**
 * Run the task. Never throws or rejects. Returns the outcome directly when the
 * task function returned synchronously, else a promise of it. `controller`,
 * when given, is the one whose abort reaches the task's `ctx.signal` (the pool
 * uses it for hard limits and cold shutdown).
 */
export function executeTask(
  def: TaskDefinition,
  run: TaskRun,
  env: ExecutorEnv,
  controller?: AbortController,
): Outcome | Promise<Outcome> {
  const start = performance.now();
  const soft = run.timeLimit[1];
  let softTimer: ReturnType<Clock['setTimeout']> | undefined;
  const done = () => {
    if (softTimer) env.clock.clearTimeout(softTimer);
  };
  let value: unknown;
  try {
    const args = callArguments(def, run.args, run.kwargs);
    if (def.options.bind || soft) {
      controller ??= new AbortController();
      if (soft) {
        const c = controller;
        softTimer = env.clock.setTimeout(
          () => c.abort(new SoftTimeLimitExceeded(`soft time limit (${soft}s) exceeded for ${run.name}[${run.id}]`)),
          soft * 1000,
        );
      }
      if (def.options.bind) args.unshift(makeContext(run, controller.signal, env.log));
    }
    value = env.aroundTask ? env.aroundTask(run, () => def.fn(...args)) : def.fn(...args);
  } catch (err) {
    done();
    return classifyError(def, run, err, env, performance.now() - start);
  }
  if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') {
    return Promise.resolve(value as PromiseLike<unknown>).then(
      (v): Outcome => {
        done();
        return { status: 'success', value: v, runtimeMs: performance.now() - start };
      },
      (err): Outcome => {
        done();
        return classifyError(def, run, err, env, performance.now() - start);
      },
    );
  }
  done();
  return { status: 'success', value, runtimeMs: performance.now() - start };
}

/** The result as Celery events show it: Python repr of the value. */
export function resultRepr(value: unknown): string {
  return pyRepr(value);
}
