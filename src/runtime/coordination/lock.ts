/**
 * A lock for tasks that must not overlap (the seed: "make your scheduled tasks
 * idempotent or use locking"), held in the coordination store with an expiry
 * so a crashed holder cannot keep it forever, and renewed while held.
 */
import { randomUUID } from 'node:crypto';
import type { KeyValueStore } from '../backends/key-value-store';

export const LOCK_PREFIX = 'celeriac.lock.';

export class Lock {
  private readonly owner = randomUUID();
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private held = false;

  constructor(
    private readonly store: KeyValueStore,
    readonly name: string,
    /** Milliseconds the lock lasts without renewal. */
    readonly ttlMs: number,
  ) {}

  private get key(): string {
    return LOCK_PREFIX + this.name;
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** Try once; true if this call got the lock (it is then renewed until released). */
  async acquire(): Promise<boolean> {
    if (this.held) return true;
    this.held = await this.store.setIfAbsent(this.key, this.owner, this.ttlMs);
    if (this.held) {
      this.renewTimer = setInterval(() => {
        this.store.renewIfOwner(this.key, this.owner, this.ttlMs).then(
          (ok) => {
            if (!ok) this.stopRenewing();
          },
          () => undefined,
        );
      }, Math.max(50, this.ttlMs / 3));
      this.renewTimer.unref();
    }
    return this.held;
  }

  private stopRenewing(): void {
    this.held = false;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.stopRenewing();
    await this.store.deleteIfOwner(this.key, this.owner);
  }
}

export type LockedResult<T> = { acquired: true; value: T } | { acquired: false };

/** Run `fn` only if the lock is free; otherwise return `{ acquired: false }` at once. */
export async function withLock<T>(store: KeyValueStore, name: string, ttlSeconds: number, fn: () => T | Promise<T>): Promise<LockedResult<T>> {
  const lock = new Lock(store, name, ttlSeconds * 1000);
  if (!(await lock.acquire())) return { acquired: false };
  try {
    return { acquired: true, value: await fn() };
  } finally {
    await lock.release();
  }
}
