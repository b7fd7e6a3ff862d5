/** Per-task options, with Celery's names in camelCase. */
import type { RouteOptions } from './routing';
import type { SignatureJson } from '../protocol/task-message';

/** Which errors trigger an automatic retry: a class, an error name, or a predicate. */
export type ErrorMatcher = (new (...args: never[]) => Error) | string | ((err: unknown) => boolean);

export interface TaskOptions {
  /** Pass the task context as the first argument: `(ctx, ...args)`. */
  bind?: boolean;
  /** Queue for this task: call options win over it, and it wins over task_routes (Celery's order). */
  queue?: string;
  /** Most retries before the task fails; null retries forever. Default 3. */
  maxRetries?: number | null;
  /** Seconds before a retry when no countdown is given. Default: the app's task_default_retry_delay (180). */
  defaultRetryDelay?: number;
  /** Retry automatically when the task throws one of these. */
  autoretryFor?: ErrorMatcher[];
  /** Exponential back-off for automatic retries: true (factor 1 s) or a factor in seconds. */
  retryBackoff?: boolean | number;
  /** Upper bound of the back-off, seconds. Default 600. */
  retryBackoffMax?: number;
  /** Full jitter: a random delay between 0 and the back-off. Default true. */
  retryJitter?: boolean;
  ignoreResult?: boolean;
  acksLate?: boolean;
  rejectOnWorkerLost?: boolean;
  trackStarted?: boolean;
  /** Seconds; hard limit (the process pool kills the task). */
  timeLimit?: number;
  /** Seconds; the task's `ctx.signal` aborts with SoftTimeLimitExceeded. */
  softTimeLimit?: number;
  priority?: number;
  /** Per-worker limit on how often the task starts: '10/s', '100/m', '1000/h', or a number per second. */
  rateLimit?: string | number;
  /**
   * One limit shared by every worker on the broker (through Redis, or the
   * embedded hub): '100/m' means 100 starts a minute in the whole cluster.
   */
  globalRateLimit?: string | number;
  /** Default expiry for calls, seconds from the call. */
  expires?: number;
  /**
   * Names of the positional parameters, so keyword arguments sent by Python
   * (`add.delay(x=1, y=2)`) land in the right positions. Without it, non-empty
   * kwargs are passed as one trailing object argument.
   */
  argNames?: string[];
}

/** How one call is sent (Celery's apply_async options). */
export interface ApplyOptions extends RouteOptions {
  /** Seconds from now before the task may run. */
  countdown?: number;
  /** When the task may run: a Date, ms since epoch, or an ISO string. */
  eta?: Date | number | string;
  /** Seconds from now, or a Date/ISO string, after which the task is revoked instead of run. */
  expires?: number | Date | string;
  /** Extra message headers. */
  headers?: Record<string, unknown>;
  /** Use this id instead of a fresh uuid. */
  taskId?: string;
  ignoreResult?: boolean;
  timeLimit?: number;
  softTimeLimit?: number;
  /** The task this call is made from: sets parent_id and root_id for tracing. */
  parent?: { id: string; rootId: string };
  /** Name shown instead of the task name in logs and monitors (Celery's shadow). */
  shadow?: string;
  /** Tasks to run after this one succeeds, with its result first (Celery's `link`). */
  link?: (SignatureJson | { toJSON(): SignatureJson })[];
  /** Tasks to run if this one fails (Celery's `link_error`). */
  linkError?: (SignatureJson | { toJSON(): SignatureJson })[];
  /** The rest of a chain, next step last (set by canvas). */
  chain?: SignatureJson[];
  /** The body of the chord this task is a header of (set by canvas). */
  chord?: SignatureJson;
  /** The group this task belongs to (and its index, for chord headers). */
  groupId?: string;
  groupIndex?: number;
  /** Where an rpc:// result goes; defaults to this client. */
  replyTo?: string;
}
