/** The primitives a key/value result backend needs (Redis and the embedded store provide them). */
import type { Disposable } from '../disposable';

export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<(string | null)[]>;
  /** Set, with expiry in seconds when `ttl` > 0; `publish` also publishes the value on the channel named by the key. */
  set(key: string, value: string, options?: { ttl?: number; publish?: boolean }): Promise<void>;
  /**
   * Store a task result and publish it on the key's channel, atomically, unless
   * a SUCCESS is stored already (a duplicate run keeps the first result, as in
   * Celery). False when it was skipped.
   */
  storeResult(key: string, value: string, ttl: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  incr(key: string, by: number, ttl?: number): Promise<number>;
  /** SET NX with an expiry: true if this call created it (a lock taken). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Extend the expiry only if the key still holds `owner`. */
  renewIfOwner(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Delete only if the key still holds `owner`. */
  deleteIfOwner(key: string, owner: string): Promise<boolean>;
  /**
   * A token of a rate limit shared by everyone using this store: 0 when taken,
   * else the milliseconds to wait. One token per `intervalMs`, `burst` at once.
   */
  takeToken(key: string, intervalMs: number, burst: number): Promise<number>;
  /**
   * Record one chord header result (`part`, at `index`) under Celery's keys
   * `<base>.j` / `.t` / `.s`; the parts in index order once all arrived, else undefined.
   */
  chordPart(base: string, index: number, part: string, ttl: number): Promise<string[] | undefined>;
  subscribe(channel: string, listener: (message: string) => void): Promise<Disposable>;
  close(): Promise<void>;
}

/** Whether a stored task meta is a SUCCESS (Celery writes `status` first). */
export function isStoredSuccess(raw: string | null | undefined): boolean {
  return !!raw && /^\s*\{\s*"status"\s*:\s*"SUCCESS"/.test(raw);
}
