/**
 * The Pool seam: runs task requests and reports outcomes. The worker decides
 * how many run at once (never more than `concurrency`); pools only execute.
 */
import type { Outcome, TaskRun } from '../task-run';

export type PoolKind = 'async' | 'process';

export interface Pool {
  readonly kind: PoolKind;
  readonly concurrency: number;
  start(): Promise<void>;
  /**
   * Run one task: its outcome, or a promise of it that never rejects (the
   * async pool answers synchronously for a task that returned synchronously).
   * `onStart` is told the pid of the process that starts it.
   */
  run(run: TaskRun, onStart?: (pid: number) => void): Outcome | Promise<Outcome>;
  /**
   * Stop one running task (revoke with terminate): its run resolves as
   * `revoked`. The process pool signals the child running it; the async pool
   * aborts the task's signal and stops waiting for it. False if it is not running.
   */
  terminateTask(id: string, signal: NodeJS.Signals): boolean;
  /** Replace the pool's processes (the process pool reloads the task module; others refuse). */
  restart(): Promise<void>;
  /** Stop running tasks now (cold shutdown): their outcomes resolve as failures or not at all. */
  terminate(): Promise<void>;
  /** Release resources after the worker has drained. */
  close(): Promise<void>;
  /** Process ids executing tasks (the worker's own pid for the async pool). */
  pids(): number[];
}
