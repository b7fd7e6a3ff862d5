/**
 * The ResultBackend seam: where task states and return values go, in Celery's
 * format, so any Celery-speaking client can read them.
 */
import type { TaskMeta } from '../protocol/result-meta';

export interface StoreOptions {
  /** Seconds the result is kept; defaults to the app's `result_expires`. */
  expires?: number;
  /** The sender's reply queue (the task's `reply_to`), for backends that answer there (rpc://). */
  replyTo?: string;
}

export interface WaitOptions {
  /** Seconds; undefined waits forever. */
  timeout?: number;
  signal?: AbortSignal;
}

export interface ResultBackend {
  readonly url: string;
  /** False for the disabled backend: results are not kept anywhere. */
  readonly enabled: boolean;
  storeResult(meta: TaskMeta, options?: StoreOptions): Promise<void>;
  /** The stored meta, or a PENDING meta when nothing is stored. */
  getTaskMeta(taskId: string): Promise<TaskMeta>;
  /** Resolve with the meta once the task reaches a ready state (SUCCESS, FAILURE, REVOKED). */
  waitFor(taskId: string, options?: WaitOptions): Promise<TaskMeta>;
  /** Metas of many tasks in one round trip (PENDING for unknown ids). */
  getTaskMetas(taskIds: readonly string[]): Promise<TaskMeta[]>;
  forget(taskId: string): Promise<void>;
  /** Store a group's member ids (Celery's GroupResult.save: `celery-taskset-meta-<id>`). */
  saveGroup(groupId: string, taskIds: readonly string[], options?: StoreOptions): Promise<void>;
  /** The member ids of a saved group, or undefined if none is stored. */
  restoreGroup(groupId: string): Promise<string[] | undefined>;
  forgetGroup(groupId: string): Promise<void>;
  /** A chord's header size, written by the client before the header runs (Celery's `.s` key). */
  setChordSize(groupId: string, size: number): Promise<void>;
  /**
   * One header task finished: record it; when it was the last, the parts of
   * every header task in group-index order (and the join is cleared).
   */
  onChordPart(groupId: string, groupIndex: number, part: ChordPart): Promise<ChordPart[] | undefined>;
  /**
   * Called before a task is sent, for backends that must be ready to receive
   * its result first (rpc:// declares the sender's reply queue).
   */
  beforeSend?(): Promise<void>;
  close(): Promise<void>;
}

/** A chord header task's outcome, as Celery's join stores it: `[1, task_id, state, result]`. */
export interface ChordPart {
  taskId: string;
  state: string;
  /** The value, or Celery's exception dict for a failure. */
  result: unknown;
}

export function pendingMeta(taskId: string): TaskMeta {
  return { status: 'PENDING', result: null, traceback: null, children: [], date_done: null, task_id: taskId };
}
