/** When a task retries: explicit `ctx.retry()`, `autoretryFor` with back-off, and the retry budget. */
import type { ErrorMatcher, TaskOptions } from '../app/task-options';
import { errorTypeName } from '../protocol/result-meta';

export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_BACKOFF_MAX = 600;

/**
 * Celery's exponential back-off: factor × 2^retries seconds, capped; with full
 * jitter a uniformly random delay in [0, that]. (Celery draws whole seconds;
 * milliseconds here, so sub-second factors keep working.)
 */
export function backoffSeconds(
  factor: number,
  retries: number,
  maximum = DEFAULT_BACKOFF_MAX,
  fullJitter = true,
  random: () => number = Math.random,
): number {
  let countdown = Math.min(maximum, factor * 2 ** retries);
  if (fullJitter) countdown = Math.round(random() * countdown * 1000) / 1000;
  return Math.max(0, countdown);
}

export function matchesError(matchers: readonly ErrorMatcher[] | undefined, err: unknown): boolean {
  if (!matchers || matchers.length === 0) return false;
  for (const m of matchers) {
    if (typeof m === 'string') {
      if (errorTypeName(err) === m || (m === 'Error' && err instanceof Error)) return true;
    } else if (m.prototype instanceof Error || m === Error) {
      if (err instanceof (m as new (...a: never[]) => Error)) return true;
    } else if ((m as (e: unknown) => boolean)(err)) {
      return true;
    }
  }
  return false;
}

/** The countdown (seconds) for an automatic retry of a task that has retried `retries` times. */
export function autoretryCountdown(options: TaskOptions, retries: number, defaultRetryDelay: number): number {
  if (options.retryBackoff) {
    const factor = options.retryBackoff === true ? 1 : Number(options.retryBackoff);
    return backoffSeconds(factor, retries, options.retryBackoffMax ?? DEFAULT_BACKOFF_MAX, options.retryJitter ?? true);
  }
  return options.defaultRetryDelay ?? defaultRetryDelay;
}

/** Whether another retry is allowed: `maxRetries` null means forever. */
export function canRetry(retries: number, maxRetries: number | null | undefined): boolean {
  const max = maxRetries === undefined ? DEFAULT_MAX_RETRIES : maxRetries;
  return max === null || retries < max;
}
