/**
 * The lock that makes one beat the sender of a schedule: the key
 * `celeriac.lock.<name>` in the coordination store (the same key space as
 * `Lock` and `app.withLock`), with an expiry so a crashed beat cannot hold it.
 *
 * Unlike `Lock`, it does not renew itself on a timer: the beat renews it at
 * every tick (driven by the app's Clock, so tests can use a fake one), and a
 * renewal doubles as the check "is it still mine?" right before sending.
 */
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KeyValueStore } from '../backends/key-value-store';
import { LOCK_PREFIX } from '../coordination/lock';

export class BeatLock {
  /** Who holds it, readable by the beats waiting for it: `<pid>@<host>/<uuid>`. */
  readonly owner = `${process.pid}@${os.hostname()}/${randomUUID()}`;
  private held = false;

  constructor(
    private readonly store: KeyValueStore,
    readonly name: string,
    /** Milliseconds the lock lasts without renewal. */
    readonly ttlMs: number,
  ) {}

  get key(): string {
    return LOCK_PREFIX + this.name;
  }

  get isHeld(): boolean {
    return this.held;
  }

  /**
   * Take the lock if it is free, or extend it if this beat holds it. False
   * means another beat holds it (and, if this one held it before, it was lost).
   */
  async acquireOrRenew(): Promise<boolean> {
    this.held = this.held
      ? await this.store.renewIfOwner(this.key, this.owner, this.ttlMs)
      : await this.store.setIfAbsent(this.key, this.owner, this.ttlMs);
    return this.held;
  }

  /** The current holder's owner string, or null when free. */
  holder(): Promise<string | null> {
    return this.store.get(this.key);
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await this.store.deleteIfOwner(this.key, this.owner);
  }
}
