/**
 * Every message between the extension host and the timeline webview, one
 * union per direction, used by both sides (this file imports nothing: the
 * webview must never pull in Node or vscode).
 *
 * The host forwards Celery events as they arrive, lightly normalised
 * (milliseconds, strings); the webview builds tasks, attempts and lanes from
 * them. History known before the panel opened arrives the same way, so there
 * is one path for old and live data.
 */

export type TimelineTaskState = 'PENDING' | 'RECEIVED' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED' | 'REJECTED';

export type TimelineTaskEventType =
  | 'task-sent'
  | 'task-received'
  | 'task-started'
  | 'task-succeeded'
  | 'task-failed'
  | 'task-retried'
  | 'task-revoked'
  | 'task-rejected';

/**
 * One Celery task event. A retried task keeps its id: its attempts are the
 * runs between a `task-received` and the next `task-retried` or ready event.
 */
export interface TimelineTaskEvent {
  type: TimelineTaskEventType;
  /** Task id (Celery's `uuid`). */
  id: string;
  /** Milliseconds since the epoch, as the sender's clock saw it. */
  time: number;
  /** The worker (or, for task-sent, the client) that reported it. */
  hostname: string;
  name?: string;
  /** Celery's reprs: `args`/`kwargs` as Python-style strings when Python sent them, JSON when Celeriac did. */
  args?: string;
  kwargs?: string;
  /** task-succeeded: the result's repr. */
  result?: string;
  /** task-failed / task-retried: the exception's repr and its traceback. */
  exception?: string;
  traceback?: string;
  retries?: number;
  /** ETA in milliseconds since the epoch, when the task has one. */
  eta?: number;
  expires?: number;
  queue?: string;
  parentId?: string;
  rootId?: string;
  /** Seconds the worker measured the run took (task-succeeded). */
  runtime?: number;
  /** task-revoked: whether it was terminated while running, expired or only revoked. */
  terminated?: boolean;
  expired?: boolean;
}

export interface TimelineWorkerEvent {
  type: 'worker-online' | 'worker-heartbeat' | 'worker-offline';
  hostname: string;
  time: number;
  /** Tasks running now and processed so far, when the worker says. */
  active?: number;
  processed?: number;
  /** Seconds between heartbeats. */
  freq?: number;
  /** `celeriac` or `py-celery`, with its version. */
  software?: string;
}

export type TimelineEvent = TimelineTaskEvent | TimelineWorkerEvent;

/** A task's outcome read from the result backend (history from before the events were seen). */
export interface TimelineStoredResult {
  id: string;
  state: TimelineTaskState;
  /** When it finished (Celery's date_done), ms since the epoch, if stored. */
  finished?: number;
  result?: string;
  exception?: string;
  traceback?: string;
  parentId?: string;
  children?: string[];
}

// ── host → webview ──────────────────────────────────────────────────────────

export interface InitMessage {
  type: 'init';
  /** Most tasks the store keeps (setting celeriac.timeline.maxTasks); the oldest go first. */
  maxTasks: number;
  /** The connection shown (a label such as `memory:// (embedded)` or a redacted URL). */
  connection: string;
  /** Host clock now, ms since the epoch, to place the live edge. */
  now: number;
}

/** Events in arrival order; the host batches them (a frame's worth at most every ~50 ms). */
export interface EventsMessage {
  type: 'events';
  events: TimelineEvent[];
}

export interface StoredResultsMessage {
  type: 'stored-results';
  results: TimelineStoredResult[];
}

/** The task names the workers know, for the retry editor's validation and "Go to source". */
export interface RegisteredTasksMessage {
  type: 'registered';
  tasks: { name: string; hasSource: boolean }[];
}

/** The outcome of an action the webview asked for. */
export interface ActionResultMessage {
  type: 'action-result';
  requestId: number;
  ok: boolean;
  /** What happened, for the user ("sent as 5f2c…", "revoked on 2 workers", or the error). */
  message: string;
  /** retry: the new task's id. */
  newTaskId?: string;
}

/** Start over: the connection changed or the user cleared the timeline. */
export interface ResetMessage {
  type: 'reset';
  connection: string;
}

export type HostToWebviewMessage =
  | InitMessage
  | EventsMessage
  | StoredResultsMessage
  | RegisteredTasksMessage
  | ActionResultMessage
  | ResetMessage;

// ── webview → host ──────────────────────────────────────────────────────────

/** The page has loaded and listens; the host answers with init and the history. */
export interface ReadyMessage {
  type: 'ready';
}

/** Send the task again as a new task, with the args the user edited (already valid JSON). */
export interface RetryRequest {
  type: 'retry';
  requestId: number;
  /** The task being retried (becomes the new task's parent for tracing). */
  taskId: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  queue?: string;
}

export interface RevokeRequest {
  type: 'revoke';
  requestId: number;
  taskId: string;
  /** Also stop it if it is running. */
  terminate: boolean;
}

export interface OpenSourceRequest {
  type: 'open-source';
  name: string;
}

/** Ask for stored outcomes of tasks the events did not finish (e.g. the panel opened late). */
export interface FetchResultsRequest {
  type: 'fetch-results';
  ids: string[];
}

export type WebviewToHostMessage = ReadyMessage | RetryRequest | RevokeRequest | OpenSourceRequest | FetchResultsRequest;

/** Narrowing helper for either side's message listener. */
export function isMessageOf<T extends { type: string }>(value: unknown, types: readonly T['type'][]): value is T {
  return typeof value === 'object' && value !== null && types.includes((value as { type: string }).type);
}
