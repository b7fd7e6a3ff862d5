/**
 * KeyValueStore on Redis, laid out as Celery's redis result backend: SETEX +
 * PUBLISH on the key's own channel (no db prefix), read with GET/MGET, waited
 * on with SUBSCRIBE over one shared subscriber connection.
 */
import type Redis from 'ioredis';
import { toDisposable, type Disposable } from '../disposable';
import type { Logger } from '../log';
import { closeClient, connectClient, createClient, watchConnection, type ScriptedRedis } from '../brokers/redis/redis-client';
import type { RedisTarget } from '../brokers/redis/redis-options';
import type { KeyValueStore } from './key-value-store';

export class RedisKeyValueStore implements KeyValueStore {
  private subscriber: Redis | undefined;
  private subscriberReady: Promise<Redis> | undefined;
  private readonly listeners = new Map<string, Set<(message: string) => void>>();

  private constructor(
    private readonly client: ScriptedRedis,
    private readonly target: RedisTarget,
    private readonly log: Logger,
  ) {}

  static async connect(target: RedisTarget, log: Logger): Promise<RedisKeyValueStore> {
    const client = createClient(target.options, 'backend');
    await connectClient(client, target.display);
    watchConnection(client, target.display, log, 'result backend');
    return new RedisKeyValueStore(client, target, log);
  }

  get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    return keys.length ? this.client.mget(...keys) : [];
  }

  async set(key: string, value: string, options?: { ttl?: number; publish?: boolean }): Promise<void> {
    const multi = this.client.multi();
    if (options?.ttl && options.ttl > 0) multi.setex(key, Math.ceil(options.ttl), value);
    else multi.set(key, value);
    if (options?.publish) multi.publish(key, value);
    await multi.exec();
  }

  async storeResult(key: string, value: string, ttl: number): Promise<boolean> {
    return (await this.client.storeResult(key, value, Math.ceil(ttl))) === 1;
  }

  async delete(key: string): Promise<void> {
    await this.client.del(key);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async renewIfOwner(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.client.lockRenew(key, owner, Math.max(1, Math.ceil(ttlMs)))) === 1;
  }

  async deleteIfOwner(key: string, owner: string): Promise<boolean> {
    return (await this.client.lockRelease(key, owner)) === 1;
  }

  takeToken(key: string, intervalMs: number, burst: number): Promise<number> {
    return this.client.rateToken(key, Date.now(), intervalMs, burst);
  }

  async chordPart(base: string, index: number, part: string, ttl: number): Promise<string[] | undefined> {
    const reply = await this.client.chordPart(`${base}.j`, `${base}.t`, `${base}.s`, index, part, Math.ceil(ttl));
    return Number(reply[0]) === 1 ? reply.slice(1).map(String) : undefined;
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    const multi = this.client.multi().incrby(key, by);
    if (ttl && ttl > 0) multi.expire(key, Math.ceil(ttl));
    const results = await multi.exec();
    return Number(results?.[0]?.[1] ?? 0);
  }

  private subscriberConnection(): Promise<Redis> {
    this.subscriberReady ??= (async () => {
      const sub = createClient(this.target.options, 'results');
      await connectClient(sub, this.target.display);
      watchConnection(sub, this.target.display, this.log, 'result subscriber');
      sub.on('message', (channel: string, message: string) => {
        for (const l of this.listeners.get(channel) ?? []) l(message);
      });
      this.subscriber = sub;
      return sub;
    })();
    return this.subscriberReady;
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<Disposable> {
    let set = this.listeners.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    if (first) await (await this.subscriberConnection()).subscribe(channel);
    return toDisposable(() => {
      const s = this.listeners.get(channel);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) {
        this.listeners.delete(channel);
        void this.subscriber?.unsubscribe(channel).catch(() => undefined);
      }
    });
  }

  async close(): Promise<void> {
    await closeClient(this.client);
    if (this.subscriber) await closeClient(this.subscriber);
  }
}
