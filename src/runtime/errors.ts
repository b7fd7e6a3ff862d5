/**
 * Named errors of the runtime. Each carries what a user needs to act on it
 * (which task, which queue, which URL) in its message; never a password.
 */

export class CeleriacError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value, URL or CLI flag that cannot work. */
export class ConfigError extends CeleriacError {}

/** The broker or result backend could not be reached or answered with an error. */
export class ConnectionError extends CeleriacError {}

/** Waiting for something (a result, a reply) took longer than allowed. */
export class TimeoutError extends CeleriacError {}

/** A task name that no app in this process registered. */
export class NotRegistered extends CeleriacError {
  constructor(readonly taskName: string) {
    super(`task '${taskName}' is not registered in this worker`);
  }
}

export interface RetryRequest {
  /** Seconds from now. */
  countdown?: number;
  /** When, ms since epoch. */
  eta?: number;
  exc?: unknown;
  maxRetries?: number | null;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

/**
 * Thrown by `ctx.retry()`; the worker catches it and republishes the task.
 * Tasks must let it propagate (do not swallow it in a catch-all).
 */
export class Retry extends CeleriacError {
  constructor(
    message: string,
    readonly request: RetryRequest = {},
  ) {
    super(message);
  }
}

export class MaxRetriesExceededError extends CeleriacError {}

/** The hard time limit passed; the task was stopped (its process killed, in the process pool). */
export class TimeLimitExceeded extends CeleriacError {}

/** The soft time limit passed; the task's `ctx.signal` is aborted with this reason. */
export class SoftTimeLimitExceeded extends CeleriacError {}

/** The process running the task died before reporting a result. */
export class WorkerLostError extends CeleriacError {}

/** The task was revoked (or expired) before it could run. */
export class TaskRevokedError extends CeleriacError {}

/**
 * A task failed remotely; raised by `AsyncResult.get()` with the type, message
 * and stack (traceback) the worker stored, whatever language it ran in.
 */
export class TaskFailedError extends CeleriacError {
  constructor(
    readonly taskId: string,
    readonly excType: string,
    readonly excMessage: string,
    readonly excModule: string | null,
    readonly traceback: string | null,
  ) {
    super(`task ${taskId} failed: ${excType}: ${excMessage}`);
  }
}

/** The message cannot be turned into a task request; `reason` says why. */
export class MessageDecodeError extends CeleriacError {}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
