/** What a running task knows about itself; passed as the first argument to tasks with `bind: true`. */
import type { Logger } from '../log';

export interface RetryOptions {
  /** Seconds before the retry runs. */
  countdown?: number;
  eta?: Date | number | string;
  /** The error that caused the retry; raised as the final failure when retries run out. */
  exc?: unknown;
  /** Override the task's maxRetries for this decision. */
  maxRetries?: number | null;
  /** Retry with different arguments. */
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

export interface DeliveryInfo {
  queue: string;
  exchange: string;
  routingKey: string;
  priority: number | null;
  redelivered: boolean;
}

export interface TaskContext {
  readonly id: string;
  readonly name: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** How many times this task has been retried so far. */
  readonly retries: number;
  readonly eta: string | null;
  readonly expires: string | null;
  readonly parentId: string | null;
  readonly rootId: string;
  readonly groupId: string | null;
  /** The worker's node name, e.g. `celeriac@host`. */
  readonly hostname: string;
  readonly deliveryInfo: DeliveryInfo;
  readonly headers: Readonly<Record<string, unknown>>;
  /**
   * Aborted when the task should stop: its soft time limit passed
   * (reason SoftTimeLimitExceeded), or the worker is shutting down cold.
   */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Ask to be run again later. Throws; do not catch it. */
  retry(options?: RetryOptions): never;
  /** For calls made from this task: `other.applyAsync(args, {}, { parent: ctx })`. */
  readonly parent: { id: string; rootId: string };
}
