/**
 * The lanes, top to bottom: the queue (tasks sent and not yet received), then
 * per worker (by name) a header lane with the deliveries it holds and a lane
 * per pool slot, then the tasks only the result backend knows. Kept up to
 * date from the store's observer calls; `lanes()` gives their positions.
 */
import type { StoreObserver } from '../model/task-store';
import type { Attempt, TaskRecord } from '../model/types';
import { IntervalList, type IntervalAccess } from './interval-list';
import { WorkerGroup, slotAccess } from './worker-group';

export type LaneKind = 'queued' | 'worker' | 'slot' | 'stored';

export interface Lane {
  kind: LaneKind;
  /** The worker for 'worker' and 'slot' lanes, '' otherwise. */
  worker: string;
  /** Slot index for 'slot' lanes, -1 otherwise. */
  slot: number;
  /** Offset from the top of the lanes area, in CSS pixels. */
  top: number;
  height: number;
  /** Attempts drawn in this lane (worker header: not yet started; slot, stored: runs). */
  attempts?: IntervalList<Attempt>;
  /** Tasks drawn in this lane (the queue). */
  tasks?: IntervalList<TaskRecord>;
}

export const LANE_HEIGHT = { queued: 18, worker: 18, slot: 18, stored: 18, groupGap: 4 } as const;

const queuedAccess: IntervalAccess<TaskRecord> = {
  key: (t) => t.sent ?? 0,
  from: (t) => t.sent ?? 0,
  to: (t) => t.dequeued,
  alive: (t) => !t.evicted && t.attempts.length === 0,
};

export class LaneLayout implements StoreObserver {
  readonly queue = new IntervalList(queuedAccess);
  readonly stored = new IntervalList(slotAccess);
  private readonly groups = new Map<string, WorkerGroup>();
  private cache: { key: string; lanes: Lane[] } | undefined;
  /** Bumped whenever lanes appear, disappear or move. */
  structureVersion = 0;

  private last: WorkerGroup | undefined;

  group(hostname: string): WorkerGroup {
    // Events come in runs from one worker: skip the map lookup for those.
    if (this.last?.hostname === hostname) return this.last;
    let g = this.groups.get(hostname);
    if (!g) {
      g = new WorkerGroup(hostname);
      this.groups.set(hostname, g);
      this.structureVersion++;
    }
    this.last = g;
    return g;
  }

  // ── StoreObserver ──
  attemptReceived(a: Attempt): void {
    if (a.worker) this.group(a.worker).received(a);
  }

  attemptStarted(a: Attempt): void {
    if (!a.worker) {
      this.stored.add(a);
      return;
    }
    const g = this.group(a.worker);
    const before = g.slotCount;
    g.started(a);
    if (g.slotCount !== before) this.structureVersion++;
  }

  attemptFinished(a: Attempt): void {
    if (a.worker) this.group(a.worker).finished(a);
    else this.stored.closed(a);
  }

  taskQueued(t: TaskRecord): void {
    this.queue.add(t);
  }

  taskDequeued(t: TaskRecord): void {
    if (t.dequeued !== undefined) this.queue.closed(t);
    else this.queue.removed(t);
  }

  taskEvicted(t: TaskRecord): void {
    // In the queue lane: still waiting there, or ended there.
    if (t.queued || t.dequeued !== undefined) this.queue.removed(t);
    for (const a of t.attempts) {
      if (a.worker) this.groups.get(a.worker)?.evicted(a);
      else this.stored.removed(a);
    }
  }

  matchChanged(t: TaskRecord): void {
    if (!t.attempts.length) this.queue.touched();
    for (const a of t.attempts) {
      if (!a.worker) this.stored.touched();
      else this.groups.get(a.worker)?.listOf(a)?.touched();
    }
  }

  filterChanged(): void {
    this.queue.touched();
    this.stored.touched();
    for (const g of this.groups.values()) for (const list of g.lists()) list.touched();
  }

  cleared(): void {
    this.queue.clear();
    this.stored.clear();
    this.groups.clear();
    this.last = undefined;
    this.structureVersion++;
  }

  /**
   * The lanes to draw. `workers` adds workers known only from their
   * heartbeats; `only` keeps those workers' lanes alone (the worker filter).
   */
  lanes(workers: Iterable<string> = [], only?: ReadonlySet<string>): Lane[] {
    for (const w of workers) this.group(w);
    for (const g of this.groups.values()) if (g.settle()) this.structureVersion++;
    const key = `${this.structureVersion}|${this.queue.length > 0}|${this.stored.length > 0}|${only ? [...only].join('\u0000') : '*'}`;
    if (this.cache?.key === key) return this.cache.lanes;
    const lanes: Lane[] = [];
    let top = 0;
    const push = (lane: Omit<Lane, 'top'>) => {
      lanes.push({ ...lane, top });
      top += lane.height;
    };
    if (!only && this.queue.length > 0) push({ kind: 'queued', worker: '', slot: -1, height: LANE_HEIGHT.queued, tasks: this.queue });
    const names = [...this.groups.keys()].filter((w) => !only || only.has(w)).sort((a, b) => a.localeCompare(b));
    for (const name of names) {
      const g = this.groups.get(name)!;
      if (lanes.length) top += LANE_HEIGHT.groupGap;
      push({ kind: 'worker', worker: name, slot: -1, height: LANE_HEIGHT.worker, attempts: g.waiting });
      g.slots.forEach((list, slot) => push({ kind: 'slot', worker: name, slot, height: LANE_HEIGHT.slot, attempts: list }));
    }
    if (!only && this.stored.length > 0) {
      if (lanes.length) top += LANE_HEIGHT.groupGap;
      push({ kind: 'stored', worker: '', slot: -1, height: LANE_HEIGHT.stored, attempts: this.stored });
    }
    this.cache = { key, lanes };
    return lanes;
  }

  /** Total height of the lanes. */
  static heightOf(lanes: readonly Lane[]): number {
    const last = lanes[lanes.length - 1];
    return last ? last.top + last.height : 0;
  }

  /** The lane at offset y (from the top of the lanes area). */
  static laneAt(lanes: readonly Lane[], y: number): Lane | undefined {
    let lo = 0;
    let hi = lanes.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const lane = lanes[mid];
      if (y < lane.top) hi = mid - 1;
      else if (y >= lane.top + lane.height) lo = mid + 1;
      else return lane;
    }
    return undefined;
  }
}
