/**
 * `redis://` — kombu's Redis transport, wire-compatible with Celery workers and
 * clients on the same Redis: LPUSH of the JSON envelope to the queue's list
 * (per priority step), `_kombu.binding.*` sets for queues, and the unacked
 * bookkeeping that lets a dead consumer's messages come back after the
 * visibility timeout.
 */
import { randomUUID } from 'node:crypto';
import { ConnectionError } from '../../errors';
import type { Logger } from '../../log';
import type Redis from 'ioredis';
import { decodeKombuEnvelope, encodeKombuEnvelope } from '../../protocol/kombu-envelope';
import { toDisposable, type Disposable } from '../../disposable';
import { topicMatches } from '../topic-match';
import type { BrokerMessage, Route } from '../../protocol/message';
import type { Broker, ConsumeOptions, Consumer, Delivery, QueueStats } from '../broker';
import {
  bindingKey,
  bindingMember,
  fanoutChannel,
  parseBindingMember,
  queueKey,
  queueKeys,
  UNACKED,
  UNACKED_INDEX,
  UNACKED_MUTEX,
} from './kombu-keys';
import { closeClient, connectClient, createClient, watchConnection, type ScriptedRedis } from './redis-client';
import { RedisConsumer } from './redis-consumer';
import { markRedelivered } from './redis-delivery';
import { HOLDING_REGISTRY, parseHoldingEntry } from './holding-keys';
import { parseRedisUrl, type RedisTarget } from './redis-options';

export interface RedisBrokerOptions {
  log: Logger;
  transportOptions?: Record<string, unknown>;
  ssl?: Record<string, unknown>;
}

/** kombu's default visibility timeout: one hour. */
const DEFAULT_VISIBILITY_TIMEOUT = 3600;
/** How often to look for messages of dead consumers (kombu: every ~100 s). */
const RESTORE_INTERVAL_MS = 30_000;
/** Entries restored per scan round. */
const RESTORE_BATCH = 500;

let consumerSeq = 0;

export class RedisBroker implements Broker {
  readonly url: string;
  readonly visibilityTimeout: number;
  private readonly consumers = new Set<RedisConsumer>();
  private readonly declared = new Set<string>();
  private restoreTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private subscriber: Redis | undefined;
  private subscriberReady: Promise<Redis> | undefined;
  private readonly broadcastSubs = new Map<
    string,
    Set<{ exchange: string; pattern: string; onMessage: (message: BrokerMessage, routingKey: string) => void }>
  >();

  private constructor(
    private readonly client: ScriptedRedis,
    readonly target: RedisTarget,
    private readonly log: Logger,
    transportOptions: Record<string, unknown>,
  ) {
    this.url = target.display;
    const vt = Number(transportOptions.visibility_timeout ?? transportOptions.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT);
    this.visibilityTimeout = Number.isFinite(vt) && vt > 0 ? vt : DEFAULT_VISIBILITY_TIMEOUT;
  }

  static async connect(url: string, options: RedisBrokerOptions): Promise<RedisBroker> {
    const target = parseRedisUrl(url, options.ssl, options.transportOptions);
    const client = createClient(target.options, 'broker');
    await connectClient(client, target.display);
    watchConnection(client, target.display, options.log, 'broker');
    const broker = new RedisBroker(client, target, options.log, options.transportOptions ?? {});
    // After a Redis restart the bindings are gone; declare them again.
    client.on('ready', () => void broker.redeclare());
    return broker;
  }

  private assertOpen(): void {
    if (this.closed) throw new ConnectionError(`broker ${this.url} is closed`);
  }

  /** Declare a queue as kombu does: a binding of the queue to the exchange of the same name. */
  async declareQueue(queue: string): Promise<void> {
    this.declared.add(queue);
    await this.client.sadd(bindingKey(queue), bindingMember(queue, queue));
  }

  private async redeclare(): Promise<void> {
    for (const q of this.declared) await this.client.sadd(bindingKey(q), bindingMember(q, q)).catch(() => undefined);
  }

  /** Queues a message published to `route` lands in. */
  private async route(route: Route): Promise<string[]> {
    if (route.exchange === '') return [route.routingKey];
    // A named (direct) exchange: kombu looks its bindings up on every publish.
    const members = await this.client.smembers(bindingKey(route.exchange));
    const queues = members
      .map(parseBindingMember)
      .filter((b): b is NonNullable<typeof b> => b !== undefined && b.routingKey === route.routingKey)
      .map((b) => b.queue);
    if (queues.length) return [...new Set(queues)];
    // Celery's default: exchange 'celery', routing key 'celery' → queue 'celery'.
    return route.exchange === route.routingKey ? [route.routingKey] : [];
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.assertOpen();
    await this.client.sadd(bindingKey(exchange), bindingMember(routingKey, queue));
  }

  async deleteQueue(queue: string, binding?: { exchange: string; routingKey: string }): Promise<void> {
    this.assertOpen();
    const multi = this.client.multi();
    if (binding) multi.srem(bindingKey(binding.exchange), bindingMember(binding.routingKey, queue));
    multi.del(...queueKeys(queue));
    await multi.exec();
  }

  async publish(message: BrokerMessage, route: Route): Promise<void> {
    this.assertOpen();
    const queues = await this.route(route);
    if (queues.length === 0) {
      this.log.debug(`dropped a message to exchange '${route.exchange}' with routing key '${route.routingKey}': nothing is bound there`);
      return;
    }
    const priority = typeof message.properties.priority === 'number' ? message.properties.priority : 0;
    const envelope = encodeKombuEnvelope(message, { exchange: route.exchange, routingKey: route.routingKey, deliveryTag: randomUUID() });
    if (queues.length === 1) {
      await this.client.lpush(queueKey(queues[0], priority), envelope);
      return;
    }
    const pipeline = this.client.pipeline();
    for (const q of queues) pipeline.lpush(queueKey(q, priority), envelope);
    await pipeline.exec();
  }

  async consume(queues: readonly string[], options: ConsumeOptions, onDelivery: (d: Delivery) => void): Promise<Consumer> {
    this.assertOpen();
    for (const q of queues) await this.declareQueue(q);
    const consumer = new RedisConsumer(
      this.client,
      this.target,
      {
        queues,
        prefetch: options.prefetch,
        tag: options.tag ?? `redis-${process.pid}-${++consumerSeq}`,
        visibilityTimeout: this.visibilityTimeout,
      },
      onDelivery,
      this.log,
    );
    this.consumers.add(consumer);
    // Messages left by consumers that died come back before this one starts.
    await this.restoreVisible().catch((err) => this.log.warn(`cannot restore unacked messages on ${this.url}: ${(err as Error).message}`));
    this.startRestoreTimer();
    await consumer.start();
    const closeConsumer = consumer.close.bind(consumer);
    consumer.close = async () => {
      await closeConsumer();
      this.consumers.delete(consumer);
    };
    return consumer;
  }

  private startRestoreTimer(): void {
    if (this.restoreTimer) return;
    const every = Math.min(RESTORE_INTERVAL_MS, (this.visibilityTimeout * 1000) / 2);
    this.restoreTimer = setInterval(() => {
      this.restoreVisible().catch((err) => this.log.warn(`cannot restore unacked messages on ${this.url}: ${(err as Error).message}`));
    }, Math.max(1000, every));
    this.restoreTimer.unref();
  }

  /**
   * Put back the unacked messages older than the visibility timeout (their
   * consumer died: live consumers keep their scores fresh), and what dead
   * consumers' waiters held. Returns how many.
   */
  async restoreVisible(now = Date.now()): Promise<number> {
    const cutoff = now / 1000 - this.visibilityTimeout;
    let total = await this.restoreHolding();
    for (;;) {
      const tags = await this.client.zrangebyscore(UNACKED_INDEX, '-inf', cutoff, 'LIMIT', 0, RESTORE_BATCH);
      if (tags.length === 0) return total;
      const payloads = await this.client.hmget(UNACKED, ...tags);
      const args: (string | number)[] = [];
      const orphans: string[] = [];
      for (let i = 0; i < tags.length; i++) {
        const payload = payloads[i];
        const target = payload ? await this.restoreTarget(payload) : undefined;
        if (!target) {
          orphans.push(tags[i]);
          continue;
        }
        args.push(tags[i], payload!, target.list, target.envelope);
      }
      if (orphans.length) {
        // An index entry without a readable payload can never be restored.
        this.log.warn(`dropping ${orphans.length} unreadable unacked entr${orphans.length === 1 ? 'y' : 'ies'} on ${this.url}`);
        await this.client.zrem(UNACKED_INDEX, ...orphans);
      }
      if (args.length === 0) continue;
      const restored = await this.client.restore(UNACKED, UNACKED_INDEX, UNACKED_MUTEX, cutoff, ...args);
      if (restored < 0) return total; // another restorer holds kombu's mutex
      if (restored > 0) this.log.info(`restored ${restored} unacked message(s) of a consumer that went away, on ${this.url}`);
      total += restored;
      if (tags.length < RESTORE_BATCH) return total;
    }
  }

  /**
   * Give back the holding lists of consumers whose guard key is gone (they
   * died between a waiter's BLMOVE and its adoption), marked redelivered.
   */
  private async restoreHolding(): Promise<number> {
    const registry = Object.entries(await this.client.hgetall(HOLDING_REGISTRY)).map(([holding, value]) => ({
      holding,
      entry: parseHoldingEntry(value),
    }));
    if (registry.length === 0) return 0;
    // One round trip for every consumer's guard (a busy Redis may list hundreds).
    const check = this.client.pipeline();
    for (const { entry } of registry) check.exists(entry?.guard ?? '');
    const alive = ((await check.exec()) ?? []).map(([err, n]) => err !== null || Number(n) > 0);
    let total = 0;
    for (const [i, { holding, entry }] of registry.entries()) {
      if (!entry) {
        await this.client.hdel(HOLDING_REGISTRY, holding);
        continue;
      }
      if (alive[i]) continue;
      // Newest first (LRANGE order): RPUSHed in turn, the oldest is taken next.
      const entries = await this.client.lrange(holding, 0, -1);
      const marked = entries.map((raw) => markRedelivered(raw) ?? raw);
      const n = await this.client.returnHolding(holding, entry.list, entry.guard, HOLDING_REGISTRY, entries.length, ...marked);
      if (n > 0) this.log.info(`gave back ${n} message(s) a consumer that went away was holding, on ${this.url}`);
      total += Math.max(0, n);
    }
    return total;
  }

  /** Where an unacked payload `[envelope, exchange, routing_key]` goes back to, and as what. */
  private async restoreTarget(payload: string): Promise<{ list: string; envelope: string } | undefined> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'object' || parsed[0] === null) return undefined;
    const [env, exchange, routingKey] = parsed as [Record<string, any>, unknown, unknown];
    const envelope = markRedelivered(JSON.stringify(env));
    if (!envelope) return undefined;
    const queues = await this.route({ exchange: String(exchange ?? ''), routingKey: String(routingKey ?? '') });
    if (queues.length === 0) return undefined;
    const priority = env.properties?.priority;
    return { list: queueKey(queues[0], typeof priority === 'number' ? priority : 0), envelope };
  }

  async purge(queue: string): Promise<number> {
    this.assertOpen();
    const multi = this.client.multi();
    for (const key of queueKeys(queue)) multi.llen(key).del(key);
    const results = (await multi.exec()) ?? [];
    let n = 0;
    for (let i = 0; i < results.length; i += 2) n += Number(results[i][1] ?? 0);
    return n;
  }

  async stats(queues: readonly string[]): Promise<QueueStats[]> {
    this.assertOpen();
    const pipeline = this.client.pipeline();
    for (const q of queues) for (const key of queueKeys(q)) pipeline.llen(key);
    const results = (await pipeline.exec()) ?? [];
    const unacked = await this.unackedByQueue();
    return queues.map((queue, qi) => {
      let ready = 0;
      for (let k = 0; k < 4; k++) ready += Number(results[qi * 4 + k]?.[1] ?? 0);
      return { queue, ready, unacked: unacked.get(queue) ?? 0, consumers: null };
    });
  }

  /** Unacked messages per queue (scans the unacked hash: fine at development sizes). */
  private async unackedByQueue(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, entries] = await this.client.hscan(UNACKED, cursor, 'COUNT', 500);
      cursor = next;
      for (let i = 1; i < entries.length; i += 2) {
        const m = /,\s*"((?:[^"\\]|\\.)*)"\s*,\s*"((?:[^"\\]|\\.)*)"\s*\]\s*$/.exec(entries[i]);
        if (!m) continue;
        // [envelope, exchange, routing_key]: the routing key names the queue.
        const queue = JSON.parse(`"${m[2]}"`) as string;
        counts.set(queue, (counts.get(queue) ?? 0) + 1);
      }
    } while (cursor !== '0');
    return counts;
  }

  async queues(): Promise<string[]> {
    this.assertOpen();
    const names = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', '_kombu.binding.*', 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        for (const member of await this.client.smembers(key)) {
          const b = parseBindingMember(member);
          if (b && !b.queue.endsWith('.pidbox') && !b.queue.startsWith('celeryev.')) names.add(b.queue);
        }
      }
    } while (cursor !== '0');
    return [...names].sort();
  }

  async broadcast(exchange: string, routingKey: string, message: BrokerMessage): Promise<void> {
    this.assertOpen();
    const envelope = encodeKombuEnvelope(message, { exchange, routingKey, deliveryTag: randomUUID() });
    await this.client.publish(fanoutChannel(this.target.db, exchange, routingKey), envelope);
  }

  /** kombu's fanout over pub/sub: PSUBSCRIBE `/<db>.<exchange>/<pattern>` (`#` → `*`), filtered by topic rules. */
  async subscribe(
    exchange: string,
    pattern: string,
    onMessage: (message: BrokerMessage, routingKey: string) => void,
  ): Promise<Disposable> {
    this.assertOpen();
    const sub = await this.broadcastConnection();
    const glob = pattern === '' ? fanoutChannel(this.target.db, exchange) : fanoutChannel(this.target.db, exchange, pattern.replace(/#/g, '*'));
    const entry = { exchange, pattern, onMessage };
    let entries = this.broadcastSubs.get(glob);
    if (!entries) {
      entries = new Set();
      this.broadcastSubs.set(glob, entries);
      await sub.psubscribe(glob);
    }
    entries.add(entry);
    return toDisposable(() => {
      const set = this.broadcastSubs.get(glob);
      if (!set) return;
      set.delete(entry);
      if (set.size === 0) {
        this.broadcastSubs.delete(glob);
        void sub.punsubscribe(glob).catch(() => undefined);
      }
    });
  }

  private broadcastConnection(): Promise<Redis> {
    this.subscriberReady ??= (async () => {
      const sub = createClient(this.target.options, 'fanout');
      await connectClient(sub, this.target.display);
      watchConnection(sub, this.target.display, this.log, 'fanout');
      sub.on('pmessage', (glob: string, channel: string, payload: string) => this.onBroadcast(glob, channel, payload));
      this.subscriber = sub;
      return sub;
    })();
    return this.subscriberReady;
  }

  private onBroadcast(glob: string, channel: string, payload: string): void {
    const entries = this.broadcastSubs.get(glob);
    if (!entries) return;
    const env = decodeKombuEnvelope(payload);
    if (!env.ok) {
      this.log.warn(`ignoring an unreadable broadcast on ${channel}: ${env.reason}`);
      return;
    }
    for (const e of entries) {
      const prefix = fanoutChannel(this.target.db, e.exchange);
      const routingKey = channel === prefix ? '' : channel.startsWith(prefix + '/') ? channel.slice(prefix.length + 1) : undefined;
      if (routingKey === undefined) continue;
      if (e.pattern !== '' && !topicMatches(e.pattern, routingKey)) continue;
      try {
        e.onMessage(env.message, routingKey);
      } catch (err) {
        this.log.error(`broadcast handler failed for ${channel}: ${(err as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.restoreTimer);
    if (this.subscriber) await closeClient(this.subscriber);
    for (const c of [...this.consumers]) await c.close();
    await closeClient(this.client);
  }
}
