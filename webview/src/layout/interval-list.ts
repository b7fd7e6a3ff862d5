/**
 * Items of one lane, sorted by a key time, found by binary search for the
 * visible time window. Items that are still open (running, waiting) grow
 * with the clock, so they live apart in a small set, always drawn, and join
 * the sorted list when they close; most items (a wait that ends in a run
 * elsewhere) only ever pass through the set. Sorting and removal are lazy:
 * appends in time order (the live case) cost O(1), a late item only marks
 * the list unsorted, and evicted items are skipped until enough pile up to
 * compact.
 */

export interface IntervalAccess<T> {
  /** Sort key (start of the part that never overlaps in a slot lane). */
  key(item: T): number;
  /** Where its drawing starts (≤ key: waits before the run). */
  from(item: T): number;
  /** Where it ends; undefined while open. */
  to(item: T): number | undefined;
  /** Still belongs here (not evicted, not moved to another lane). */
  alive(item: T): boolean;
}

export class IntervalList<T> {
  private items: T[] = [];
  private sorted = true;
  private dead = 0;
  private readonly open = new Set<T>();
  /** Widest extents of closed items around their key, to widen the search window. */
  private before = 0;
  private after = 0;
  /** Bumped whenever the closed items change (added, dropped, reordered), for caches of them. */
  mutations = 0;

  constructor(private readonly access: IntervalAccess<T>) {}

  get length(): number {
    return this.items.length - this.dead + this.open.size;
  }

  add(item: T): void {
    if (this.access.to(item) === undefined) this.open.add(item);
    else this.push(item);
  }

  /** The item ended: it moves from the open set into the sorted list. */
  closed(item: T): void {
    if (this.open.delete(item)) this.push(item);
    else if (this.access.to(item) !== undefined) {
      this.widen(item); // its end moved (an inferred end replaced)
      this.mutations++;
    }
  }

  /** The item left this lane (started elsewhere, evicted); closed ones are dropped lazily. */
  removed(item: T): void {
    if (this.open.delete(item)) return;
    this.dead++;
    this.mutations++;
    if (this.dead > 64 && this.dead * 2 > this.items.length) this.compact();
  }

  openItems(): ReadonlySet<T> {
    return this.open;
  }

  /** Something about the items changed that caches of them must see (their filter match). */
  touched(): void {
    this.mutations++;
  }

  /** The closed items in key order (dead ones included: check `alive`). Do not modify. */
  closedItems(): readonly T[] {
    this.ensureSorted();
    return this.items;
  }

  /** How far closed items reach before and after their key. */
  get reach(): { before: number; after: number } {
    return { before: this.before, after: this.after };
  }

  /** Every alive item, closed ones in key order, then the open ones. */
  all(): T[] {
    this.ensureSorted();
    return [...this.items.filter((i) => this.access.alive(i)), ...[...this.open].filter((i) => this.access.alive(i))];
  }

  /**
   * Calls `fn` for each alive, closed item whose extent meets [t0, t1], in
   * key order, then for each open item whose start is before t1.
   */
  forEachIn(t0: number, t1: number, fn: (item: T) => void): void {
    this.ensureSorted();
    const { items, access } = this;
    let i = this.lowerBound(t0 - this.after);
    const last = t1 + this.before;
    for (; i < items.length; i++) {
      const item = items[i];
      if (access.key(item) > last) break;
      const to = access.to(item);
      // (An item whose end became unknown again is drawn from the open set.)
      if (to === undefined || to < t0 || access.from(item) > t1 || !access.alive(item)) continue;
      fn(item);
    }
    for (const item of this.open) if (access.from(item) <= t1 && access.alive(item)) fn(item);
  }

  clear(): void {
    this.mutations++;
    this.items = [];
    this.open.clear();
    this.sorted = true;
    this.dead = 0;
    this.before = this.after = 0;
  }

  private push(item: T): void {
    const n = this.items.length;
    if (n && this.access.key(this.items[n - 1]) > this.access.key(item)) this.sorted = false;
    this.items.push(item);
    this.widen(item);
    this.mutations++;
  }

  private widen(item: T): void {
    const k = this.access.key(item);
    const b = k - this.access.from(item);
    const a = (this.access.to(item) ?? k) - k;
    if (b > this.before) this.before = b;
    if (a > this.after) this.after = a;
  }

  private compact(): void {
    this.items = this.items.filter((i) => this.access.alive(i));
    this.dead = 0;
    this.mutations++;
  }

  private ensureSorted(): void {
    if (this.sorted) return;
    this.items.sort((a, b) => this.access.key(a) - this.access.key(b));
    this.sorted = true;
    this.mutations++;
  }

  private lowerBound(t: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.access.key(this.items[mid]) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
