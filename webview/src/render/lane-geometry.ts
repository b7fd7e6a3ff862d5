/**
 * The finished bars of one lane as flat typed arrays (segment times and a
 * colour index per attempt), built once and reused until the lane's items
 * or their filter match change. A zoomed-out frame walks every bar, and a
 * loop over numbers is many times faster than one over objects and calls:
 * this is what keeps pan and zoom over 100k bars fluid.
 */
import { attemptSegments, emptySegments } from '../layout/attempt-segments';
import type { IntervalList } from '../layout/interval-list';
import type { Attempt, AttemptOutcome } from '../model/types';

/** Colour slots of the rect batch, in drawing order: waits under runs. */
export const COLOUR = { queueWait: 0, etaWait: 1, running: 2, SUCCESS: 3, FAILURE: 4, RETRY: 5, REVOKED: 6, REJECTED: 7, LOST: 8 } as const;
export const COLOUR_COUNT = 9;

export class LaneGeometry {
  n = 0;
  key = new Float64Array(0);
  from = new Float64Array(0);
  to = new Float64Array(0);
  etaFrom = new Float64Array(0);
  etaTo = new Float64Array(0);
  queueFrom = new Float64Array(0);
  queueTo = new Float64Array(0);
  runFrom = new Float64Array(0);
  runTo = new Float64Array(0);
  colour = new Uint8Array(0);
  items: Attempt[] = [];
  builtAt = -1;

  /** Index of the first bar whose key is ≥ t. */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.key[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  rebuild(list: IntervalList<Attempt>, keyOf: (a: Attempt) => number): void {
    const items = list.closedItems().filter((a) => !a.task.evicted && a.task.matches && a.finished !== undefined);
    const n = items.length;
    if (this.key.length < n) {
      const size = Math.max(n, Math.ceil(this.key.length * 1.5), 64);
      for (const field of ['key', 'from', 'to', 'etaFrom', 'etaTo', 'queueFrom', 'queueTo', 'runFrom', 'runTo'] as const) this[field] = new Float64Array(size);
      this.colour = new Uint8Array(size);
    }
    const s = emptySegments();
    for (let i = 0; i < n; i++) {
      const a = items[i];
      attemptSegments(a, a.finished ?? 0, s);
      this.key[i] = keyOf(a);
      this.etaFrom[i] = s.etaFrom;
      this.etaTo[i] = s.etaTo;
      this.queueFrom[i] = s.queueFrom;
      this.queueTo[i] = s.queueTo;
      this.runFrom[i] = s.runFrom;
      this.runTo[i] = s.runTo;
      this.from[i] = Math.min(Number.isNaN(s.etaFrom) ? Infinity : s.etaFrom, Number.isNaN(s.queueFrom) ? Infinity : s.queueFrom, Number.isNaN(s.runFrom) ? Infinity : s.runFrom, a.finished ?? Infinity);
      this.to[i] = a.finished ?? this.from[i];
      this.colour[i] = COLOUR[(a.outcome ?? 'LOST') as AttemptOutcome];
    }
    this.n = n;
    this.items = items;
    this.builtAt = list.mutations;
  }
}

const cache = new WeakMap<IntervalList<Attempt>, LaneGeometry>();

/** The lane's geometry, rebuilt if its items changed since it was built. */
export function laneGeometry(list: IntervalList<Attempt>, keyOf: (a: Attempt) => number): LaneGeometry {
  let g = cache.get(list);
  if (!g) cache.set(list, (g = new LaneGeometry()));
  if (g.builtAt !== list.mutations) g.rebuild(list, keyOf);
  return g;
}
