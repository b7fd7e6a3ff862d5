/**
 * The bounded store of tasks, their attempts and the workers. Events and
 * stored results go in (see apply-events.ts, apply-stored-results.ts); the
 * layout listens to attempt changes through StoreObserver, the UI reads tasks,
 * facet indexes and the filter result. Every step is O(1) per event (plus
 * O(attempts of that task)), so 100k tasks and a live stream stay cheap; only
 * a filter change walks every task.
 */
import type { TimelineEvent, TimelineStoredResult, TimelineTaskState } from '../../../src/shared/timeline-protocol';
import { applyTaskEvent, applyWorkerEvent } from './apply-events';
import { applyStoredResult } from './apply-stored-results';
import { FacetIndex } from './facet-index';
import { EMPTY_FILTER, compileFilter, type TaskFilter, type TaskPredicate } from './task-filter';
import { READY_STATES, type Attempt, type AttemptOutcome, type TaskRecord, type WorkerRecord } from './types';

/** What the layout needs to hear to keep lanes up to date without rescanning. */
export interface StoreObserver {
  /** A new attempt exists (it waits on its worker until it starts). */
  attemptReceived?(a: Attempt): void;
  attemptStarted?(a: Attempt): void;
  attemptFinished?(a: Attempt): void;
  /** Sent and not received yet: it waits in the queue. */
  taskQueued?(t: TaskRecord): void;
  /** Left the queue: received, or revoked/expired while queued (t.dequeued is then set). */
  taskDequeued?(t: TaskRecord): void;
  taskEvicted?(t: TaskRecord): void;
  /** The task started or stopped passing the filter. */
  matchChanged?(t: TaskRecord): void;
  /** A new filter: any task may have changed. */
  filterChanged?(): void;
  cleared?(): void;
}

export class TaskStore {
  private readonly tasks = new Map<string, TaskRecord>();
  readonly workers = new Map<string, WorkerRecord>();
  readonly byName = new FacetIndex();
  readonly byState = new FacetIndex();
  readonly byQueue = new FacetIndex();
  readonly byWorker = new FacetIndex();
  /** parentId → ids of tasks that named it as parent, or that the backend listed as its children. */
  private readonly children = new Map<string, Set<string>>();
  /** rootId → ids of tasks of that workflow, for the canvas graph of tasks whose parent link is missing. */
  private readonly byRoot = new Map<string, Set<string>>();
  /** Attempts not finished yet, per worker, so a worker going offline can close its own. */
  private readonly openByWorker = new Map<string, Set<Attempt>>();
  private readonly observers: StoreObserver[] = [];
  /** Tasks changed in the current batch (each once, by their touchedIn stamp). */
  private touched: TaskRecord[] = [];
  private batch = 1;
  private seq = 0;
  private predicate: TaskPredicate = () => true;
  private currentFilter: TaskFilter = EMPTY_FILTER;
  private matching = 0;
  /** Earliest and latest event time seen, for "fit" and the overview. */
  minTime = Infinity;
  maxTime = -Infinity;
  /** Bumped after every batch that changed anything, so views know to redraw. */
  version = 0;

  constructor(private max: number) {}

  get maxTasks(): number {
    return this.max;
  }

  set maxTasks(n: number) {
    this.max = Math.max(1, Math.floor(n));
    while (this.tasks.size > this.max) this.evictOldest();
  }

  get size(): number {
    return this.tasks.size;
  }

  get matchingCount(): number {
    return this.matching;
  }

  get filter(): TaskFilter {
    return this.currentFilter;
  }

  get(id: string): TaskRecord | undefined {
    return this.tasks.get(id);
  }

  /** Every task, oldest first. */
  values(): IterableIterator<TaskRecord> {
    return this.tasks.values();
  }

  /** Ids of the known children of a task (from events' parentId and the backend's children). */
  childrenOf(id: string): string[] {
    return [...(this.children.get(id) ?? [])];
  }

  /** Ids of the tasks that name `rootId` as their workflow's root. */
  tasksWithRoot(rootId: string): string[] {
    return [...(this.byRoot.get(rootId) ?? [])];
  }

  observe(o: StoreObserver): void {
    this.observers.push(o);
  }

  applyEvents(events: readonly TimelineEvent[]): void {
    for (const e of events) {
      if (!e || typeof e.time !== 'number' || typeof e.hostname !== 'string') continue;
      if (e.type.startsWith('worker-')) applyWorkerEvent(this, e as Extract<TimelineEvent, { type: `worker-${string}` }>);
      else if (typeof (e as { id?: unknown }).id === 'string') applyTaskEvent(this, e as Extract<TimelineEvent, { id: string }>);
    }
    this.endBatch();
  }

  applyStoredResults(results: readonly TimelineStoredResult[]): void {
    for (const r of results) if (r && typeof r.id === 'string') applyStoredResult(this, r);
    this.endBatch();
  }

  setFilter(f: TaskFilter): void {
    this.currentFilter = f;
    this.predicate = compileFilter(f);
    let n = 0;
    for (const t of this.tasks.values()) {
      t.matches = this.predicate(t);
      if (t.matches) n++;
    }
    this.matching = n;
    this.version++;
    for (const o of this.observers) o.filterChanged?.();
  }

  clear(): void {
    this.tasks.clear();
    this.workers.clear();
    this.children.clear();
    this.byRoot.clear();
    this.openByWorker.clear();
    this.touched = [];
    for (const index of [this.byName, this.byState, this.byQueue, this.byWorker]) index.clear();
    this.matching = 0;
    this.minTime = Infinity;
    this.maxTime = -Infinity;
    this.version++;
    for (const o of this.observers) o.cleared?.();
  }

  // ── primitives for the appliers (apply-events.ts, apply-stored-results.ts) ──

  ensureTask(id: string, time: number): TaskRecord {
    let t = this.tasks.get(id);
    if (t) return t;
    // Every field present from the start: one object shape for all tasks keeps V8's property access fast.
    t = {
      id,
      seq: this.seq++,
      name: undefined,
      args: undefined,
      kwargs: undefined,
      result: undefined,
      exception: undefined,
      traceback: undefined,
      queue: undefined,
      eta: undefined,
      expires: undefined,
      parentId: undefined,
      rootId: undefined,
      storedChildren: undefined,
      sent: undefined,
      dequeued: undefined,
      state: 'PENDING',
      stateTime: time,
      retries: 0,
      runtime: undefined,
      terminated: undefined,
      expired: undefined,
      attempts: [],
      evicted: false,
      matches: false,
      searchText: undefined,
      queued: false,
      touchedIn: 0,
    };
    this.tasks.set(id, t);
    this.byState.add(t.state);
    if (this.tasks.size > this.max) this.evictOldest();
    this.touch(t);
    return t;
  }

  /** The task changed: its search text is stale and its filter match is checked at the end of the batch. */
  touch(t: TaskRecord): void {
    t.searchText = undefined;
    if (t.touchedIn === this.batch) return;
    t.touchedIn = this.batch;
    this.touched.push(t);
  }

  noteTime(time: number): void {
    if (time < this.minTime) this.minTime = time;
    if (time > this.maxTime) this.maxTime = time;
  }

  noteWorker(hostname: string, time: number): WorkerRecord {
    let w = this.workers.get(hostname);
    if (!w) {
      w = { hostname, online: true, lastSeen: time };
      this.workers.set(hostname, w);
    } else if (time > w.lastSeen) w.lastSeen = time;
    return w;
  }

  setName(t: TaskRecord, name: string): void {
    if (t.name === name) return;
    if (t.name !== undefined) this.byName.remove(t.name);
    t.name = name;
    this.byName.add(name);
  }

  setQueue(t: TaskRecord, queue: string): void {
    if (t.queue === queue) return;
    if (t.queue !== undefined) this.byQueue.remove(t.queue);
    t.queue = queue;
    this.byQueue.add(queue);
  }

  setRoot(t: TaskRecord, rootId: string): void {
    if (t.rootId === rootId) return;
    if (t.rootId !== undefined) this.byRoot.get(t.rootId)?.delete(t.id);
    t.rootId = rootId;
    let set = this.byRoot.get(rootId);
    if (!set) this.byRoot.set(rootId, (set = new Set()));
    set.add(t.id);
  }

  linkChild(parentId: string, childId: string): void {
    let set = this.children.get(parentId);
    if (!set) this.children.set(parentId, (set = new Set()));
    set.add(childId);
  }

  /**
   * Move the task to `state` unless a newer event already set a later one:
   * an older non-final event never undoes a final state, and a final state
   * is replaced only by a newer final one.
   */
  setState(t: TaskRecord, state: TimelineTaskState, time: number): void {
    if (t.state === state) {
      if (time > t.stateTime) t.stateTime = time;
      return;
    }
    const wasReady = READY_STATES.has(t.state);
    const isReady = READY_STATES.has(state);
    if (wasReady && (!isReady || time < t.stateTime)) return;
    if (!wasReady && !isReady && time < t.stateTime) return;
    this.byState.remove(t.state);
    t.state = state;
    t.stateTime = time;
    this.byState.add(state);
  }

  addAttempt(t: TaskRecord, worker: string, retries: number, received: number, eta?: number): Attempt {
    // All fields from the start: one object shape for every attempt (the renderer reads 100k of them a frame).
    const a: Attempt = { task: t, index: t.attempts.length, worker, retries, eta, received, started: undefined, finished: undefined, outcome: undefined, endInferred: false, slot: -1 };
    t.attempts.push(a);
    if (worker) {
      // Counted once per task however many of its attempts ran there.
      if (!t.attempts.some((other) => other !== a && other.worker === worker)) this.byWorker.add(worker);
      let open = this.openByWorker.get(worker);
      if (!open) this.openByWorker.set(worker, (open = new Set()));
      open.add(a);
    }
    this.dequeue(t);
    for (const o of this.observers) o.attemptReceived?.(a);
    return a;
  }

  startAttempt(a: Attempt, time: number): void {
    if (a.started !== undefined) return;
    a.started = time;
    if (a.received === undefined || a.received > time) a.received = time;
    for (const o of this.observers) o.attemptStarted?.(a);
  }

  /**
   * End an attempt. A reported end replaces an inferred one (the report was
   * only late); a second report of the same end is ignored.
   */
  finishAttempt(a: Attempt, outcome: AttemptOutcome, time: number, inferred: boolean): void {
    if (a.finished !== undefined && (!a.endInferred || inferred)) return;
    const start = a.started ?? a.received ?? time;
    a.finished = Math.max(time, start);
    a.outcome = outcome;
    a.endInferred = inferred;
    this.openByWorker.get(a.worker)?.delete(a);
    for (const o of this.observers) o.attemptFinished?.(a);
  }

  openAttemptsOf(worker: string): Attempt[] {
    return [...(this.openByWorker.get(worker) ?? [])];
  }

  enqueue(t: TaskRecord): void {
    if (t.queued || t.attempts.length || t.dequeued !== undefined) return;
    t.queued = true;
    for (const o of this.observers) o.taskQueued?.(t);
  }

  /** Out of the queue; `endedAt` when it ended there (revoked, expired) rather than being received. */
  dequeue(t: TaskRecord, endedAt?: number): void {
    if (!t.queued) return;
    t.queued = false;
    if (endedAt !== undefined) t.dequeued = endedAt;
    for (const o of this.observers) o.taskDequeued?.(t);
  }

  private endBatch(): void {
    this.batch++;
    if (!this.touched.length) return;
    for (const t of this.touched) {
      if (t.evicted) continue;
      const m = this.predicate(t);
      if (m !== t.matches) {
        this.matching += m ? 1 : -1;
        t.matches = m;
        for (const o of this.observers) o.matchChanged?.(t);
      }
    }
    this.touched = [];
    this.version++;
  }

  private evictOldest(): void {
    const first = this.tasks.values().next();
    if (first.done) return;
    const t = first.value;
    // Observers first: the layout reads where the task was drawn (queued, which lanes).
    t.evicted = true;
    for (const o of this.observers) o.taskEvicted?.(t);
    this.tasks.delete(t.id);
    t.queued = false;
    if (t.matches) this.matching--;
    this.byState.remove(t.state);
    if (t.name !== undefined) this.byName.remove(t.name);
    if (t.queue !== undefined) this.byQueue.remove(t.queue);
    for (const worker of new Set(t.attempts.map((a) => a.worker))) if (worker) this.byWorker.remove(worker);
    for (const a of t.attempts) if (a.worker) this.openByWorker.get(a.worker)?.delete(a);
    this.children.delete(t.id);
    if (t.rootId !== undefined) {
      const set = this.byRoot.get(t.rootId);
      set?.delete(t.id);
      if (set && !set.size) this.byRoot.delete(t.rootId);
    }
    if (t.parentId) this.children.get(t.parentId)?.delete(t.id);
  }
}
