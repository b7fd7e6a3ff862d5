/**
 * Rate limits on when tasks start, two kinds:
 * - per worker (Celery's `rate_limit`): a token bucket per task name here;
 * - global (`globalRateLimit`, opt-in): one limit shared by every worker,
 *   through the coordination store (a GCRA token in Redis or the embedded
 *   hub) — what Celery users have asked for for years (celery#5732).
 * A limited task waits here without blocking tasks of other names; when its
 * token comes, it is handed back with the token already taken.
 */
import type { KeyValueStore } from '../backends/key-value-store';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { parseRate, TokenBucket } from './token-bucket';

export const GLOBAL_RATE_PREFIX = 'celeriac.rate.';

export class RateLimiter<T extends object> {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly global = new Map<string, number>();
  private readonly waiting = new Map<string, T[]>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly acquiring = new Set<string>();
  /** Requests handed back with their token taken: let them through once. */
  private readonly admitted = new WeakSet<T>();
  private stopped = false;

  constructor(
    /** The task name an item is limited under. */
    private readonly nameOf: (item: T) => string,
    private readonly now: () => number,
    /** Give a request back to run (it holds its token). */
    private readonly release: (items: T[]) => void,
    private readonly store: () => Promise<KeyValueStore>,
    private readonly log: Logger,
  ) {}

  setLocal(name: string, rate: string | number | null): void {
    const perSecond = parseRate(rate);
    if (perSecond === 0) this.buckets.delete(name);
    else this.buckets.set(name, new TokenBucket(perSecond, 1, this.now));
    // A lifted or changed limit: what waits goes through (or re-queues under the new rate).
    this.flush(name);
  }

  setGlobal(name: string, rate: string | number | null): void {
    const perSecond = parseRate(rate);
    if (perSecond === 0) this.global.delete(name);
    else this.global.set(name, 1000 / perSecond);
    this.flush(name);
  }

  get limited(): boolean {
    return this.buckets.size > 0 || this.global.size > 0;
  }

  /** Everything waiting for a token, for inspect reserved. */
  get pending(): T[] {
    return [...this.waiting.values()].flat();
  }

  /** True if the request may start now; false if it was parked until its token comes. */
  admit(item: T): boolean {
    if (this.admitted.delete(item)) return true;
    const name = this.nameOf(item);
    const parked = this.waiting.get(name);
    if (this.global.has(name)) {
      this.park(name, item);
      this.acquireGlobal(name);
      return false;
    }
    const bucket = this.buckets.get(name);
    if (!bucket) return true;
    if (!parked && bucket.take()) return true;
    this.park(name, item);
    this.schedule(name, bucket.msUntilToken());
    return false;
  }

  private park(name: string, item: T): void {
    const list = this.waiting.get(name);
    if (list) list.push(item);
    else this.waiting.set(name, [item]);
  }

  private schedule(name: string, delayMs: number): void {
    if (this.timers.has(name) || this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(name);
      this.releaseLocal(name);
    }, Math.max(1, delayMs));
    timer.unref?.();
    this.timers.set(name, timer);
  }

  private releaseLocal(name: string): void {
    const list = this.waiting.get(name);
    const bucket = this.buckets.get(name);
    if (!list?.length) return;
    if (!bucket) return this.flush(name);
    if (!bucket.take()) return this.schedule(name, bucket.msUntilToken());
    this.handBack(name, list.splice(0, 1));
    if (list.length) this.schedule(name, bucket.msUntilToken());
  }

  /** One loop per task name: take shared tokens one by one for the parked requests. */
  private acquireGlobal(name: string): void {
    if (this.acquiring.has(name)) return;
    this.acquiring.add(name);
    void (async () => {
      try {
        const store = await this.store();
        for (;;) {
          const interval = this.global.get(name);
          const list = this.waiting.get(name);
          if (this.stopped || interval === undefined || !list?.length) break;
          const wait = await store.takeToken(GLOBAL_RATE_PREFIX + name, interval, 1);
          if (wait > 0) {
            await new Promise((r) => setTimeout(r, wait));
            continue;
          }
          this.handBack(name, list.splice(0, 1));
        }
      } catch (err) {
        this.log.error(`global rate limit of ${name}: ${errorMessage(err)}; letting waiting tasks run`);
        this.flush(name);
      } finally {
        this.acquiring.delete(name);
        // Parked while the loop was finishing up.
        if (this.global.has(name) && this.waiting.get(name)?.length && !this.stopped) this.acquireGlobal(name);
      }
    })();
  }

  private handBack(name: string, items: T[]): void {
    if (this.waiting.get(name)?.length === 0) this.waiting.delete(name);
    for (const i of items) this.admitted.add(i);
    if (items.length) this.release(items);
  }

  /** Let every parked request of `name` through (its limit was lifted or changed). */
  private flush(name: string): void {
    const list = this.waiting.get(name);
    if (!list?.length) return;
    this.waiting.delete(name);
    const timer = this.timers.get(name);
    if (timer) clearTimeout(timer);
    this.timers.delete(name);
    // Back through admit(): under a new limit they park again as they should.
    this.release(list);
  }

  /** Forget everything parked (shutdown); returns it. */
  clear(): T[] {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    const all = this.pending;
    this.waiting.clear();
    return all;
  }
}
