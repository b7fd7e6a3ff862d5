/**
 * One worker's lanes: a header lane with the deliveries it holds but has not
 * started (prefetched, or waiting for their ETA), and one lane per pool slot.
 * Slots are assigned greedily as runs start: a run takes the lowest slot
 * whose previous run has ended, so runs in a slot never overlap and the
 * number of slots is the most runs seen at once (the pool's concurrency, as
 * far as the events show it). Assignment is incremental while runs arrive in
 * start order, which live events do; a run that arrives late makes the group
 * lay itself out again from scratch on the next frame.
 */
import type { Attempt } from '../model/types';
import { waitStartOf } from './attempt-segments';
import { IntervalList, type IntervalAccess } from './interval-list';

export const slotAccess: IntervalAccess<Attempt> = {
  key: (a) => a.started ?? a.received ?? 0,
  from: (a) => Math.min(waitStartOf(a), a.started ?? Infinity),
  to: (a) => a.finished,
  alive: (a) => !a.task.evicted,
};

const waitingAccess: IntervalAccess<Attempt> = {
  key: (a) => a.received ?? 0,
  from: (a) => waitStartOf(a),
  to: (a) => a.finished,
  alive: (a) => !a.task.evicted && a.started === undefined,
};

export class WorkerGroup {
  readonly waiting = new IntervalList(waitingAccess);
  slots: IntervalList<Attempt>[] = [];
  /** The last run placed in each slot: the slot is free once it has finished. */
  private lastInSlot: Attempt[] = [];
  private lastStart = -Infinity;
  /** Runs that arrived out of start order, placed by the next relayout. */
  private pending: Attempt[] = [];
  private dirty = false;

  constructor(readonly hostname: string) {}

  received(a: Attempt): void {
    if (a.started === undefined) this.waiting.add(a);
  }

  started(a: Attempt): void {
    this.waiting.removed(a); // every attempt waits in the header lane from its receipt until it starts
    const start = a.started ?? 0;
    if (this.dirty || start < this.lastStart) {
      this.pending.push(a);
      this.dirty = true;
      return;
    }
    this.place(a);
  }

  finished(a: Attempt): void {
    if (a.slot >= 0 && this.slots[a.slot]) this.slots[a.slot].closed(a);
    else if (a.started === undefined) this.waiting.closed(a);
  }

  evicted(a: Attempt): void {
    if (a.started === undefined) {
      this.waiting.removed(a);
      return;
    }
    const list = this.slots[a.slot];
    if (!list) return;
    list.removed(a);
    // An emptied slot is dropped by laying the group out again.
    if (list.length === 0) this.dirty = true;
  }

  /** The list an attempt is drawn in, if it has been placed. */
  listOf(a: Attempt): IntervalList<Attempt> | undefined {
    if (a.started === undefined) return this.waiting;
    return a.slot >= 0 ? this.slots[a.slot] : undefined;
  }

  /** Every list of the group (for a filter change). */
  lists(): IntervalList<Attempt>[] {
    return [this.waiting, ...this.slots];
  }

  /** Lays out again if late runs or emptied slots asked for it; true when the slots changed. */
  settle(): boolean {
    if (!this.dirty) return false;
    const runs = [...this.slots.flatMap((s) => s.all()), ...this.pending.filter((a) => !a.task.evicted)];
    runs.sort((x, y) => (x.started ?? 0) - (y.started ?? 0) || x.task.seq - y.task.seq);
    this.slots = [];
    this.lastInSlot = [];
    this.lastStart = -Infinity;
    this.pending = [];
    this.dirty = false;
    for (const a of runs) this.place(a);
    return true;
  }

  get slotCount(): number {
    return this.slots.length;
  }

  private place(a: Attempt): void {
    const start = a.started ?? 0;
    let slot = this.lastInSlot.findIndex((last) => (last.finished ?? Infinity) <= start || last.task.evicted);
    if (slot < 0) {
      slot = this.slots.length;
      this.slots.push(new IntervalList(slotAccess));
    }
    a.slot = slot;
    this.lastInSlot[slot] = a;
    this.slots[slot].add(a);
    this.lastStart = start;
  }
}
