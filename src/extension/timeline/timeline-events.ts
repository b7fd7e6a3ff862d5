/**
 * Celery events (and the snapshots the extension already keeps of them) turned
 * into the timeline's messages. Pure: no vscode, so it is unit-tested alone.
 */
import type { CeleryEvent } from '../../runtime/events/celery-event';
import type { TaskSnapshot, WorkerSnapshot } from '../../runtime/events/event-state';
import type { TaskMeta } from '../../runtime/protocol/result-meta';
import type {
  TimelineEvent,
  TimelineStoredResult,
  TimelineTaskEvent,
  TimelineTaskEventType,
  TimelineTaskState,
  TimelineWorkerEvent,
} from '../../shared/timeline-protocol';

const TASK_TYPES: ReadonlySet<string> = new Set<TimelineTaskEventType>([
  'task-sent',
  'task-received',
  'task-started',
  'task-succeeded',
  'task-failed',
  'task-retried',
  'task-revoked',
  'task-rejected',
]);

const WORKER_TYPES: ReadonlySet<string> = new Set(['worker-online', 'worker-heartbeat', 'worker-offline']);

/** Celery's ISO times (naive ones are UTC) → ms since the epoch. */
export function isoToMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  const hasZone = /(?:Z|[+-]\d\d:?\d\d)$/.test(value);
  const ms = Date.parse(hasZone ? value : value + 'Z');
  return Number.isFinite(ms) ? ms : undefined;
}

function text(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Drop undefined fields: the message stays small and structured-clone friendly. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function toTimelineEvent(e: CeleryEvent): TimelineEvent | undefined {
  const time = Math.round(e.timestamp * 1000);
  if (!Number.isFinite(time)) return undefined;
  if (TASK_TYPES.has(e.type)) {
    if (typeof e.uuid !== 'string' || !e.uuid) return undefined;
    return compact<TimelineTaskEvent>({
      type: e.type as TimelineTaskEventType,
      id: e.uuid,
      time,
      hostname: e.hostname,
      name: text(e.name),
      args: text(e.args),
      kwargs: text(e.kwargs),
      result: text(e.result),
      exception: text(e.exception),
      traceback: text(e.traceback),
      retries: num(e.retries),
      eta: isoToMs(e.eta),
      expires: isoToMs(e.expires),
      queue: text(e.queue) ?? text(e.routing_key),
      parentId: text(e.parent_id),
      rootId: text(e.root_id),
      runtime: num(e.runtime),
      terminated: typeof e.terminated === 'boolean' ? e.terminated : undefined,
      expired: typeof e.expired === 'boolean' ? e.expired : undefined,
    });
  }
  if (WORKER_TYPES.has(e.type)) {
    const ident = text(e.sw_ident);
    return compact<TimelineWorkerEvent>({
      type: e.type as TimelineWorkerEvent['type'],
      hostname: e.hostname,
      time,
      active: num(e.active),
      processed: num(e.processed),
      freq: num(e.freq),
      software: ident ? `${ident}${e.sw_ver ? ' ' + String(e.sw_ver) : ''}` : undefined,
    });
  }
  return undefined;
}

const READY_EVENT: Partial<Record<TimelineTaskState, TimelineTaskEventType>> = {
  SUCCESS: 'task-succeeded',
  FAILURE: 'task-failed',
  REVOKED: 'task-revoked',
  REJECTED: 'task-rejected',
};

/**
 * What the extension saw of a task before the panel opened, replayed as the
 * events that made it (only its latest attempt: earlier ones were not kept).
 */
export function snapshotToEvents(t: TaskSnapshot): TimelineTaskEvent[] {
  const s = (seconds: number | null) => (seconds === null ? undefined : Math.round(seconds * 1000));
  const common = { id: t.uuid, hostname: t.hostname ?? '' };
  const described = compact({
    name: t.name ?? undefined,
    args: t.args ?? undefined,
    kwargs: t.kwargs ?? undefined,
    retries: t.retries,
    eta: isoToMs(t.eta),
    expires: isoToMs(t.expires),
    queue: t.queue ?? undefined,
    parentId: t.parentId ?? undefined,
    rootId: t.rootId ?? undefined,
  });
  const out: TimelineTaskEvent[] = [];
  if (t.sent !== null) out.push({ type: 'task-sent', ...common, time: s(t.sent)!, ...described });
  if (t.received !== null) out.push({ type: 'task-received', ...common, time: s(t.received)!, ...described });
  if (t.started !== null) out.push({ type: 'task-started', ...common, time: s(t.started)! });
  const ready = READY_EVENT[t.state];
  if (ready && t.finished !== null) {
    out.push(
      compact<TimelineTaskEvent>({
        type: ready,
        ...common,
        time: s(t.finished)!,
        result: t.result ?? undefined,
        exception: t.exception ?? undefined,
        traceback: t.traceback ?? undefined,
        runtime: t.runtime ?? undefined,
      }),
    );
  } else if (t.state === 'RETRY') {
    out.push(compact<TimelineTaskEvent>({ type: 'task-retried', ...common, time: s(t.updated)!, exception: t.exception ?? undefined, traceback: t.traceback ?? undefined }));
  }
  // Nothing but a name (e.g. only a late event was seen): one event keeps it on the timeline.
  if (out.length === 0) out.push({ type: 'task-received', ...common, time: s(t.updated)!, ...described });
  return out;
}

export function workerToEvent(w: WorkerSnapshot): TimelineWorkerEvent {
  return compact<TimelineWorkerEvent>({
    type: w.offline ? 'worker-offline' : 'worker-heartbeat',
    hostname: w.hostname,
    time: Math.round(w.lastHeartbeat * 1000),
    active: w.active,
    processed: w.processed,
    freq: w.freq,
    software: w.swIdent ? `${w.swIdent}${w.swVer ? ' ' + w.swVer : ''}` : undefined,
  });
}

const STATES: ReadonlySet<string> = new Set<TimelineTaskState>(['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED']);

/** A result backend's meta as the timeline shows it; undefined when the backend knows nothing (PENDING). */
export function metaToStoredResult(meta: TaskMeta): TimelineStoredResult | undefined {
  if (meta.status === 'PENDING' || !STATES.has(meta.status)) return undefined;
  const failed = meta.status === 'FAILURE' || meta.status === 'RETRY' || meta.status === 'REVOKED';
  const exc = failed && meta.result && typeof meta.result === 'object' ? (meta.result as { exc_type?: unknown; exc_message?: unknown }) : undefined;
  const children = Array.isArray(meta.children)
    ? meta.children.map(childId).filter((id): id is string => id !== undefined)
    : [];
  return compact<TimelineStoredResult>({
    id: meta.task_id,
    state: meta.status as TimelineTaskState,
    finished: isoToMs(meta.date_done),
    result: failed ? undefined : JSON.stringify(meta.result),
    exception: exc ? `${String(exc.exc_type ?? 'Error')}(${JSON.stringify(formatExcMessage(exc.exc_message))})` : undefined,
    traceback: meta.traceback ?? undefined,
    parentId: typeof (meta as { parent_id?: unknown }).parent_id === 'string' ? (meta as { parent_id: string }).parent_id : undefined,
    children: children.length ? children : undefined,
  });
}

function formatExcMessage(m: unknown): string {
  if (Array.isArray(m)) return m.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  return typeof m === 'string' ? m : JSON.stringify(m);
}

/** Celery stores children as result tuples: `[[id, parent], null]` for a task, `[[gid, null], [...]]` for a group. */
function childId(c: unknown): string | undefined {
  if (!Array.isArray(c)) return undefined;
  const head = c[0];
  if (Array.isArray(head) && typeof head[0] === 'string') return head[0];
  return typeof head === 'string' ? head : undefined;
}
