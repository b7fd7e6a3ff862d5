/**
 * What the events say about the cluster: every worker and the most recent
 * tasks, in bounded memory (oldest tasks are forgotten first). Fed by any
 * stream of Celery events; read by `celeriac events` and the extension.
 */
import type { CeleryEvent } from './celery-event';

export type TaskEventState = 'PENDING' | 'RECEIVED' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED' | 'REJECTED';

export interface TaskSnapshot {
  uuid: string;
  name: string | null;
  state: TaskEventState;
  /** Worker that reported it last. */
  hostname: string | null;
  args: string | null;
  kwargs: string | null;
  result: string | null;
  exception: string | null;
  traceback: string | null;
  retries: number;
  eta: string | null;
  expires: string | null;
  rootId: string | null;
  parentId: string | null;
  queue: string | null;
  /** Seconds since the epoch of each step seen. */
  sent: number | null;
  received: number | null;
  started: number | null;
  /** When it reached its current ready state (succeeded, failed, revoked, rejected). */
  finished: number | null;
  /** Seconds the task ran, as the worker measured it. */
  runtime: number | null;
  /** The latest event's timestamp. */
  updated: number;
}

export interface WorkerSnapshot {
  hostname: string;
  pid: number | null;
  freq: number;
  active: number;
  processed: number;
  loadavg: number[];
  swIdent: string | null;
  swVer: string | null;
  swSys: string | null;
  /** Last worker event, seconds since the epoch. */
  lastHeartbeat: number;
  /** worker-offline seen (a worker that goes silent is also treated as gone, see alive()). */
  offline: boolean;
}

const READY: ReadonlySet<TaskEventState> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);

const TRANSITIONS: Record<string, TaskEventState> = {
  'task-sent': 'PENDING',
  'task-received': 'RECEIVED',
  'task-started': 'STARTED',
  'task-succeeded': 'SUCCESS',
  'task-failed': 'FAILURE',
  'task-retried': 'RETRY',
  'task-revoked': 'REVOKED',
  'task-rejected': 'REJECTED',
};

export type StateChange = { kind: 'task'; task: TaskSnapshot } | { kind: 'worker'; worker: WorkerSnapshot };

function str(v: unknown): string | null {
  return v === undefined || v === null ? null : String(v);
}

export class EventState {
  private readonly taskMap = new Map<string, TaskSnapshot>();
  private readonly workerMap = new Map<string, WorkerSnapshot>();

  constructor(readonly maxTasks = 10_000) {}

  get tasks(): ReadonlyMap<string, TaskSnapshot> {
    return this.taskMap;
  }

  get workers(): ReadonlyMap<string, WorkerSnapshot> {
    return this.workerMap;
  }

  /** A worker is alive if it said so within twice its heartbeat interval (Celery's rule). */
  alive(worker: WorkerSnapshot, nowSeconds = Date.now() / 1000): boolean {
    return !worker.offline && nowSeconds < worker.lastHeartbeat + worker.freq * 2;
  }

  apply(event: CeleryEvent): StateChange | undefined {
    if (event.type.startsWith('worker-')) return this.applyWorker(event);
    if (event.type.startsWith('task-') && typeof event.uuid === 'string') return this.applyTask(event);
    return undefined;
  }

  private applyWorker(e: CeleryEvent): StateChange {
    const prev = this.workerMap.get(e.hostname);
    const worker: WorkerSnapshot = {
      hostname: e.hostname,
      pid: typeof e.pid === 'number' ? e.pid : (prev?.pid ?? null),
      freq: typeof e.freq === 'number' && e.freq > 0 ? e.freq : (prev?.freq ?? 2),
      active: typeof e.active === 'number' ? e.active : (prev?.active ?? 0),
      processed: typeof e.processed === 'number' ? e.processed : (prev?.processed ?? 0),
      loadavg: Array.isArray(e.loadavg) ? (e.loadavg as number[]) : (prev?.loadavg ?? []),
      swIdent: str(e.sw_ident) ?? prev?.swIdent ?? null,
      swVer: str(e.sw_ver) ?? prev?.swVer ?? null,
      swSys: str(e.sw_sys) ?? prev?.swSys ?? null,
      lastHeartbeat: e.timestamp,
      offline: e.type === 'worker-offline',
    };
    this.workerMap.set(e.hostname, worker);
    return { kind: 'worker', worker };
  }

  private applyTask(e: CeleryEvent): StateChange {
    const uuid = e.uuid as string;
    let task = this.taskMap.get(uuid);
    if (task) {
      this.taskMap.delete(uuid); // re-inserted below: most recently updated last
    } else {
      task = {
        uuid,
        name: null,
        state: 'PENDING',
        hostname: null,
        args: null,
        kwargs: null,
        result: null,
        exception: null,
        traceback: null,
        retries: 0,
        eta: null,
        expires: null,
        rootId: null,
        parentId: null,
        queue: null,
        sent: null,
        received: null,
        started: null,
        finished: null,
        runtime: null,
        updated: e.timestamp,
      };
    }
    const next = TRANSITIONS[e.type];
    // Events can arrive out of order: a late 'started' must not undo 'succeeded'.
    if (next && !(READY.has(task.state) && !READY.has(next) && e.type !== 'task-retried')) task.state = next;
    if (e.type === 'task-sent') task.sent = e.timestamp;
    if (e.type === 'task-received') task.received = e.timestamp;
    if (e.type === 'task-started') task.started = e.timestamp;
    if (next && READY.has(next)) task.finished = e.timestamp;
    if (!e.type.endsWith('-sent')) task.hostname = e.hostname;
    task.name = str(e.name) ?? task.name;
    task.args = str(e.args) ?? task.args;
    task.kwargs = str(e.kwargs) ?? task.kwargs;
    task.result = str(e.result) ?? task.result;
    task.exception = str(e.exception) ?? task.exception;
    task.traceback = str(e.traceback) ?? task.traceback;
    if (typeof e.retries === 'number') task.retries = e.retries;
    task.eta = str(e.eta) ?? task.eta;
    task.expires = str(e.expires) ?? task.expires;
    task.rootId = str(e.root_id) ?? task.rootId;
    task.parentId = str(e.parent_id) ?? task.parentId;
    task.queue = str(e.queue) ?? task.queue;
    if (typeof e.runtime === 'number') task.runtime = e.runtime;
    task.updated = e.timestamp;
    this.taskMap.set(uuid, task);
    while (this.taskMap.size > this.maxTasks) this.taskMap.delete(this.taskMap.keys().next().value!);
    return { kind: 'task', task };
  }

  /** Tasks by state, for summaries. */
  countByState(): Record<TaskEventState, number> {
    const counts = { PENDING: 0, RECEIVED: 0, STARTED: 0, SUCCESS: 0, FAILURE: 0, RETRY: 0, REVOKED: 0, REJECTED: 0 };
    for (const t of this.taskMap.values()) counts[t.state]++;
    return counts;
  }
}
