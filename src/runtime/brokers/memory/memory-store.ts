/**
 * The embedded key/value store with expiry and pub/sub: what the memory result
 * backend writes results into (the role Redis plays for the redis backend).
 */
import type { Disposable } from '../../disposable';
import { toDisposable } from '../../disposable';
import { isStoredSuccess } from '../../backends/key-value-store';

interface Entry {
  value: string;
  /** ms since epoch, or 0 for no expiry. */
  expiresAt: number;
}

const SWEEP_INTERVAL_MS = 60_000;

export class MemoryStore {
  private readonly entries = new Map<string, Entry>();
  private readonly channels = new Map<string, Set<(message: string) => void>>();
  /** Chord header results not yet joined, by `celery-taskset-meta-<gid>`. */
  private readonly chords = new Map<string, Map<number, string>>();
  private sweepTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | null {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expiresAt && e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return e.value;
  }

  /** Set a value; `ttlSeconds` > 0 makes it expire (like SETEX). */
  set(key: string, value: string, ttlSeconds?: number): void {
    const expiresAt = ttlSeconds && ttlSeconds > 0 ? this.now() + ttlSeconds * 1000 : 0;
    this.entries.set(key, { value, expiresAt });
    if (expiresAt) this.ensureSweep();
  }

  /** See KeyValueStore.storeResult. */
  storeResult(key: string, value: string, ttlSeconds: number): boolean {
    if (isStoredSuccess(this.get(key))) return false;
    this.set(key, value, ttlSeconds);
    this.publish(key, value);
    return true;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  incr(key: string, by = 1, ttlSeconds?: number): number {
    const current = Number(this.get(key) ?? 0);
    const next = (Number.isFinite(current) ? current : 0) + by;
    this.set(key, String(next), ttlSeconds);
    return next;
  }

  publish(channel: string, message: string): number {
    const subs = this.channels.get(channel);
    if (!subs) return 0;
    for (const listener of [...subs]) {
      try {
        listener(message);
      } catch {
        // One subscriber's error must not stop the others.
      }
    }
    return subs.size;
  }

  subscribe(channel: string, listener: (message: string) => void): Disposable {
    let subs = this.channels.get(channel);
    if (!subs) {
      subs = new Set();
      this.channels.set(channel, subs);
    }
    subs.add(listener);
    return toDisposable(() => {
      const s = this.channels.get(channel);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) this.channels.delete(channel);
    });
  }

  setIfAbsent(key: string, value: string, ttlMs: number): boolean {
    if (this.get(key) !== null) return false;
    this.set(key, value, ttlMs / 1000);
    return true;
  }

  renewIfOwner(key: string, owner: string, ttlMs: number): boolean {
    if (this.get(key) !== owner) return false;
    this.set(key, owner, ttlMs / 1000);
    return true;
  }

  deleteIfOwner(key: string, owner: string): boolean {
    return this.get(key) === owner && this.delete(key);
  }

  /** GCRA, as the Redis script does. */
  takeToken(key: string, intervalMs: number, burst: number): number {
    const now = this.now();
    const tat = Math.max(Number(this.get(key) ?? now), now);
    const allowedAt = tat - intervalMs * (burst - 1);
    if (allowedAt > now) return Math.ceil(allowedAt - now);
    this.set(key, String(tat + intervalMs), (tat + intervalMs - now + intervalMs) / 1000);
    return 0;
  }

  chordPart(base: string, index: number, part: string, ttlSeconds: number): string[] | undefined {
    let parts = this.chords.get(base);
    if (!parts) {
      parts = new Map();
      this.chords.set(base, parts);
    }
    parts.set(index, part);
    const size = Number(this.get(base + '.s') ?? -1);
    const adjust = Number(this.get(base + '.t') ?? 0) || 0;
    if (size < 0 || parts.size + adjust < size) {
      if (ttlSeconds > 0) setTimeout(() => this.chords.get(base) === parts && this.chords.delete(base), ttlSeconds * 1000).unref();
      return undefined;
    }
    this.chords.delete(base);
    this.delete(base + '.s');
    this.delete(base + '.t');
    return [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  }

  get size(): number {
    return this.entries.size;
  }

  private ensureSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, e] of this.entries) {
      if (e.expiresAt && e.expiresAt <= now) this.entries.delete(key);
    }
  }

  dispose(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
