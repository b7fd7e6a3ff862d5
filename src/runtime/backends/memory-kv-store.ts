/** KeyValueStore adapters for the embedded store: in this process, or over the hub socket. */
import type { Disposable } from '../disposable';
import { toDisposable } from '../disposable';
import type { MemoryStore } from '../brokers/memory/memory-store';
import type { HubConnection } from '../brokers/memory/hub-connection';
import type { KeyValueStore } from './key-value-store';

export class LocalKeyValueStore implements KeyValueStore {
  constructor(private readonly store: MemoryStore) {}

  async get(key: string): Promise<string | null> {
    return this.store.get(key);
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    return keys.map((k) => this.store.get(k));
  }

  async storeResult(key: string, value: string, ttl: number): Promise<boolean> {
    return this.store.storeResult(key, value, ttl);
  }

  async set(key: string, value: string, options?: { ttl?: number; publish?: boolean }): Promise<void> {
    this.store.set(key, value, options?.ttl);
    if (options?.publish) this.store.publish(key, value);
  }

  async delete(key: string): Promise<void> {
    this.store.delete(key);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.store.setIfAbsent(key, value, ttlMs);
  }

  async renewIfOwner(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.store.renewIfOwner(key, owner, ttlMs);
  }

  async deleteIfOwner(key: string, owner: string): Promise<boolean> {
    return this.store.deleteIfOwner(key, owner);
  }

  async takeToken(key: string, intervalMs: number, burst: number): Promise<number> {
    return this.store.takeToken(key, intervalMs, burst);
  }

  async chordPart(base: string, index: number, part: string, ttl: number): Promise<string[] | undefined> {
    return this.store.chordPart(base, index, part, ttl);
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    return this.store.incr(key, by, ttl);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<Disposable> {
    return this.store.subscribe(channel, listener);
  }

  async close(): Promise<void> {}
}

export class RemoteKeyValueStore implements KeyValueStore {
  constructor(private readonly conn: HubConnection) {}

  get(key: string): Promise<string | null> {
    return this.conn.request<string | null>({ op: 'get', key });
  }

  mget(keys: string[]): Promise<(string | null)[]> {
    return this.conn.request<(string | null)[]>({ op: 'mget', keys });
  }

  storeResult(key: string, value: string, ttl: number): Promise<boolean> {
    return this.conn.request<boolean>({ op: 'store', key, value, ttl });
  }

  async set(key: string, value: string, options?: { ttl?: number; publish?: boolean }): Promise<void> {
    await this.conn.request({ op: 'set', key, value, ttl: options?.ttl, publish: options?.publish ? key : undefined });
  }

  async delete(key: string): Promise<void> {
    await this.conn.request({ op: 'del', key });
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.conn.request<boolean>({ op: 'setnx', key, value, ttlMs });
  }

  renewIfOwner(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.conn.request<boolean>({ op: 'renew', key, owner, ttlMs });
  }

  deleteIfOwner(key: string, owner: string): Promise<boolean> {
    return this.conn.request<boolean>({ op: 'release', key, owner });
  }

  takeToken(key: string, intervalMs: number, burst: number): Promise<number> {
    return this.conn.request<number>({ op: 'token', key, intervalMs, burst });
  }

  async chordPart(base: string, index: number, part: string, ttl: number): Promise<string[] | undefined> {
    return (await this.conn.request<string[] | null>({ op: 'chord', base, index, part, ttl })) ?? undefined;
  }

  incr(key: string, by: number, ttl?: number): Promise<number> {
    return this.conn.request<number>({ op: 'incr', key, by, ttl });
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<Disposable> {
    let listeners = this.conn.channelListeners.get(channel);
    const first = !listeners;
    if (!listeners) {
      listeners = new Set();
      this.conn.channelListeners.set(channel, listeners);
    }
    listeners.add(listener);
    if (first) await this.conn.request({ op: 'sub', channel });
    return toDisposable(() => {
      const ls = this.conn.channelListeners.get(channel);
      if (!ls) return;
      ls.delete(listener);
      if (ls.size === 0) {
        this.conn.channelListeners.delete(channel);
        this.conn.notify({ op: 'unsub', channel });
      }
    });
  }

  async close(): Promise<void> {
    this.conn.close();
  }
}
