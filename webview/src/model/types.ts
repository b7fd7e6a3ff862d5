/**
 * The timeline's data model: a task (one Celery task id) and its attempts.
 * A retried or redelivered task keeps its id, so one task can have several
 * runs; each received → started → finished run is an attempt, in order.
 */
import type { TimelineTaskState } from '../../../src/shared/timeline-protocol';

/** How one attempt ended. LOST: it never reported an end (worker died, redelivered elsewhere). */
export type AttemptOutcome = 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED' | 'REJECTED' | 'LOST';

export interface Attempt {
  readonly task: TaskRecord;
  /** 0 for the first run of the task, then 1, 2… in the order they were received. */
  readonly index: number;
  /** The worker that ran it; '' when only the result backend knows the task. */
  readonly worker: string;
  retries: number;
  /** ETA this delivery carried (ms since the epoch). */
  eta?: number;
  received?: number;
  started?: number;
  finished?: number;
  outcome?: AttemptOutcome;
  /** The end was inferred (a later delivery, the worker going offline, a stored result), not reported. */
  endInferred: boolean;
  /** Pool slot inside the worker's lanes; -1 until it starts (assigned by the layout). */
  slot: number;
}

export interface TaskRecord {
  readonly id: string;
  /** Order of first sight, for eviction (oldest first) and stable sorting. */
  readonly seq: number;
  name?: string;
  args?: string;
  kwargs?: string;
  result?: string;
  exception?: string;
  traceback?: string;
  queue?: string;
  eta?: number;
  expires?: number;
  parentId?: string;
  rootId?: string;
  /** Children the result backend listed (events only tell a child its parent). */
  storedChildren?: string[];
  /** First task-sent (later sends are retries: those waits start at the retried attempt's end). */
  sent?: number;
  /** Queued, never received, and then revoked or expired: when the queued wait ended. */
  dequeued?: number;
  state: TimelineTaskState;
  /** Event time of the current state, so a late, older event cannot undo a newer state. */
  stateTime: number;
  retries: number;
  /** Seconds, as the worker measured the last successful run. */
  runtime?: number;
  terminated?: boolean;
  expired?: boolean;
  attempts: Attempt[];
  evicted: boolean;
  /** Passes the current filters and search (kept by the store). */
  matches: boolean;
  /** Lower-cased text searched (id, args, kwargs, result, exception); cleared when any changes. */
  searchText?: string;
  /** Waiting in the queue now (sent, neither received nor ended). */
  queued: boolean;
  /** The store's batch that last changed it (so a batch lists each changed task once). */
  touchedIn: number;
}

export interface WorkerRecord {
  readonly hostname: string;
  online: boolean;
  lastSeen: number;
  software?: string;
  active?: number;
  processed?: number;
  freq?: number;
}

export const READY_STATES: ReadonlySet<TimelineTaskState> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);

export const ALL_STATES: readonly TimelineTaskState[] = ['PENDING', 'RECEIVED', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED'];
