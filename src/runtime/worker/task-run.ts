/**
 * What a pool is asked to run and what it reports back. Both are plain data,
 * because the process pool sends them to and from child processes.
 */
import type { SerializedError } from '../protocol/result-meta';
import type { DeliveryInfo } from '../app/task-context';

export interface TaskRun {
  id: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  retries: number;
  eta: string | null;
  expires: string | null;
  parentId: string | null;
  rootId: string;
  groupId: string | null;
  hostname: string;
  deliveryInfo: DeliveryInfo;
  headers: Record<string, unknown>;
  /** Effective limits in seconds: [hard, soft]. */
  timeLimit: [number | null, number | null];
}

export type Outcome =
  | { status: 'success'; value: unknown; runtimeMs: number }
  | {
      status: 'retry';
      /** When the retry may run, ms since epoch. */
      etaMs: number;
      exc: SerializedError | null;
      /** Human-readable, e.g. "Retry in 4s: TimeoutError('upstream')". */
      reason: string;
      args?: unknown[];
      kwargs?: Record<string, unknown>;
      runtimeMs: number;
    }
  | {
      status: 'failure';
      error: SerializedError;
      runtimeMs: number;
      /** Set when the pool, not the task, ended the run. */
      cause?: 'time-limit' | 'worker-lost';
    }
  /** Stopped on request (revoke with terminate). */
  | { status: 'revoked'; signum: number | null; runtimeMs: number };
