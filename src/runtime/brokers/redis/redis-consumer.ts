/**
 * Consumes kombu's Redis lists with at-least-once delivery:
 * - a Lua script pops up to the free prefetch capacity and records every
 *   message in `unacked` / `unacked_index` in the same atomic step;
 * - when the lists are empty, blocking `BLMOVE list list RIGHT RIGHT` (a
 *   rotation that leaves the list as it was) wakes it without taking anything,
 *   so there is no window in which a popped message exists only in memory;
 * - acks are batched per tick (ZREM + HDEL), rejects requeue atomically;
 * - the scores of everything it holds are refreshed well inside the
 *   visibility timeout, so neither kombu's restore nor ours re-delivers a
 *   message a live worker is holding — e.g. a task with an ETA longer than the
 *   visibility timeout (kombu#337).
 */
import type Redis from 'ioredis';
import { decodeKombuEnvelope } from '../../protocol/kombu-envelope';
import type { BrokerMessage } from '../../protocol/message';
import type { Logger } from '../../log';
import type { Consumer, Delivery } from '../broker';
import { consumeOrder, UNACKED, UNACKED_INDEX } from './kombu-keys';
import { createClient, watchConnection, type ScriptCommands, type ScriptedRedis } from './redis-client';
import type { RedisTarget } from './redis-options';

/** Most messages taken in one fetch, whatever the free prefetch. */
const FETCH_MAX = 500;
/** Seconds a blocking wait lasts before it is re-issued. */
const WAIT_SECONDS = 1;
/** Life of the guard key; refreshed far more often than this. */
const GUARD_TTL_SECONDS = 300;

export interface RedisConsumerOptions {
  queues: readonly string[];
  prefetch: number;
  tag: string;
  /** Seconds after which an unacked message of a dead consumer is restored. */
  visibilityTimeout: number;
}

class RedisDelivery implements Delivery {
  settled = false;
  readonly exchange: string;
  readonly routingKey: string;

  constructor(
    private readonly consumer: RedisConsumer,
    readonly deliveryTag: string,
    /** The list it came from (priority sub-list included). */
    readonly listKey: string,
    readonly queue: string,
    readonly raw: string,
    readonly message: BrokerMessage,
    readonly redelivered: boolean,
    deliveryInfo: { exchange: string; routing_key: string },
    readonly malformed?: string,
  ) {
    this.exchange = deliveryInfo.exchange;
    this.routingKey = deliveryInfo.routing_key || queue;
  }

  ack(): void {
    if (this.settled) return;
    this.settled = true;
    this.consumer.settle(this, 'ack');
  }

  reject(requeue: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.consumer.settle(this, requeue ? 'requeue' : 'drop');
  }
}

/** The envelope with kombu's redelivery marks (headers and delivery_info). */
export function markRedelivered(raw: string): string | undefined {
  try {
    const env = JSON.parse(raw);
    if (typeof env !== 'object' || env === null) return undefined;
    env.headers = { ...(env.headers ?? {}), redelivered: true };
    env.properties = env.properties ?? {};
    env.properties.delivery_info = { ...(env.properties.delivery_info ?? {}), redelivered: true };
    return JSON.stringify(env);
  } catch {
    return undefined;
  }
}

export class RedisConsumer implements Consumer {
  readonly tag: string;
  private prefetch: number;
  private readonly held = new Map<string, RedisDelivery>();
  private running = true;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private waiters: Redis[] = [];
  private armed = false;
  private armedWaiters: (() => void)[] = [];
  private pendingAcks: string[] = [];
  private pendingRequeues: string[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private rotate = 0;
  private failures = 0;
  /** Fetches sent and not yet answered, and the prefetch they may fill. */
  private inFlight = 0;
  private reserved = 0;
  /** The last fetch found the lists empty. */
  private drained = false;
  /** After a failed fetch, wait until then before the next (Redis is down). */
  private pauseUntil = 0;

  constructor(
    private readonly client: ScriptedRedis,
    private readonly target: RedisTarget,
    private readonly options: RedisConsumerOptions,
    private readonly onDelivery: (d: Delivery) => void,
    private readonly log: Logger,
  ) {
    this.tag = options.tag;
    this.prefetch = options.prefetch;
  }

  /** Exists while this consumer runs (see the fetch script's guard). */
  private get guardKey(): string {
    return `celeriac.consumer.${this.tag}`;
  }

  private readonly setGuard = () => {
    void this.client.set(this.guardKey, String(process.pid), 'EX', GUARD_TTL_SECONDS).catch(() => undefined);
  };

  async start(): Promise<void> {
    await this.client.set(this.guardKey, String(process.pid), 'EX', GUARD_TTL_SECONDS);
    // A Redis that restarted empty lost the guard: set it again as soon as it is back.
    this.client.on('ready', this.setGuard);
    this.loopDone = this.loop();
    // Refresh what we hold well inside the visibility timeout.
    const everyMs = Math.max(250, Math.min((this.options.visibilityTimeout * 1000) / 4, 60_000));
    this.refreshTimer = setInterval(() => {
      void this.refreshHeld();
      this.setGuard();
    }, everyMs);
    this.refreshTimer.unref();
  }

  /** How many deliveries are outstanding (unacked) now. */
  get outstanding(): number {
    return this.held.size;
  }

  setPrefetch(prefetch: number): void {
    const grew = prefetch <= 0 || prefetch > this.prefetch;
    this.prefetch = prefetch;
    if (grew) this.kick();
  }

  private capacity(): number {
    return this.prefetch <= 0 ? FETCH_MAX : Math.min(FETCH_MAX, this.prefetch - this.held.size);
  }

  private kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /**
   * Keeps up to two fetches in flight, each for part of the free prefetch, so
   * Redis pops the next batch while this process runs the current one.
   */
  private async loop(): Promise<void> {
    while (this.running) {
      const paused = this.pauseUntil - Date.now();
      if (paused > 0) {
        await this.sleep(paused);
        continue;
      }
      const free = this.capacity() - this.reserved;
      // While busy, wait for a quarter of the prefetch to free up, so one fetch
      // takes many messages instead of one round trip per ack.
      const lowWater = this.held.size + this.reserved === 0 ? 1 : Math.max(1, Math.floor(this.prefetch / 4));
      if (this.drained) {
        // The lists were empty: wait for a message instead of polling.
        if (this.inFlight === 0) {
          this.drained = false;
          if (free > 0) await this.waitForMessages();
          continue;
        }
      } else if (free >= lowWater && this.inFlight < 2) {
        const n = this.prefetch <= 0 ? FETCH_MAX : Math.min(free, Math.max(lowWater, Math.ceil(this.prefetch / 2)));
        this.startFetch(n);
        continue;
      }
      // Woken by a fetch that returned, an ack, or a prefetch change.
      await this.sleep(WAIT_SECONDS * 1000);
    }
    while (this.inFlight > 0) await this.sleep(50);
  }

  private startFetch(n: number): void {
    this.reserved += n;
    this.inFlight++;
    this.fetch(n).then(
      (got) => {
        this.failures = 0;
        // Fewer than asked for: the lists are empty for now.
        if (got < n) this.drained = true;
        this.settleFetch(n);
      },
      (err: Error) => {
        this.settleFetch(n);
        if (!this.running) return;
        if (this.failures++ === 0) {
          this.log.warn(`cannot read queues ${this.options.queues.join(', ')} on ${this.target.display}: ${err.message}`);
        }
        this.pauseUntil = Date.now() + Math.min(1000, 50 * this.failures);
      },
    );
  }

  private settleFetch(n: number): void {
    this.reserved -= n;
    this.inFlight--;
    this.kick();
  }

  /**
   * Arguments of the fetch script for up to `max` messages, lists in consume
   * order; `guarded` fetches take nothing once this consumer is cancelled.
   */
  private fetchArgs(max: number, guarded = false): { order: { key: string; queue: string }[]; args: (string | number)[] } {
    const order = consumeOrder(this.options.queues, this.rotate++);
    const now = (Date.now() / 1000).toFixed(6);
    return {
      order,
      args: [
        3 + order.length,
        UNACKED,
        UNACKED_INDEX,
        this.guardKey,
        ...order.map((o) => o.key),
        max,
        now,
        guarded ? '1' : '0',
        ...order.map((o) => o.queue),
      ],
    };
  }

  private async fetch(max: number): Promise<number> {
    const { order, args } = this.fetchArgs(max);
    return this.deliverFetched(await this.client.fetch(...(args as [number, ...(string | number)[]])), order);
  }

  private deliverFetched(reply: (string | number)[], order: { key: string; queue: string }[]): number {
    let n = 0;
    for (let i = 0; i + 2 < reply.length; i += 3) {
      const source = order[Number(reply[i + 2]) - 1];
      this.deliver(String(reply[i]), String(reply[i + 1]), source.key, source.queue);
      n++;
    }
    return n;
  }

  private deliver(tag: string, raw: string, listKey: string, queue: string): void {
    const env = decodeKombuEnvelope(raw);
    let delivery: RedisDelivery;
    if (env.ok) {
      const redelivered = env.message.headers.redelivered === true || env.deliveryInfo.redelivered === true;
      // Keyed by what unacked is keyed by ('' when the script found no tag and
      // so recorded nothing: there is nothing to ack either).
      delivery = new RedisDelivery(this, tag, listKey, queue, raw, env.message, redelivered, env.deliveryInfo);
    } else {
      // Keep the id the envelope names (headers.id / correlation_id), if any, so the rejection can name it.
      const empty: BrokerMessage = { body: '', contentType: '', contentEncoding: '', headers: env.id !== null ? { id: env.id } : {}, properties: {} };
      delivery = new RedisDelivery(this, tag, listKey, queue, raw, empty, false, { exchange: '', routing_key: queue }, `not a kombu envelope: ${env.reason}`);
    }
    if (tag) this.held.set(tag, delivery);
    try {
      this.onDelivery(delivery);
    } catch (err) {
      this.log.error(`consumer callback failed for a message from '${queue}': ${(err as Error).message}`);
    }
  }

  /** Ack, requeue or drop one delivery; batched into one round trip per tick. */
  settle(d: RedisDelivery, how: 'ack' | 'requeue' | 'drop'): void {
    if (!d.deliveryTag || !this.held.delete(d.deliveryTag)) return;
    if (how === 'requeue') {
      const env = markRedelivered(d.raw);
      if (env) this.pendingRequeues.push(d.deliveryTag, d.listKey, env);
      else this.pendingAcks.push(d.deliveryTag); // unreadable: nothing sensible to requeue
    } else {
      this.pendingAcks.push(d.deliveryTag);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => void this.flush());
    }
    this.kick();
  }

  private flush(): Promise<void> {
    this.flushScheduled = false;
    const acks = this.pendingAcks;
    const requeues = this.pendingRequeues;
    this.pendingAcks = [];
    this.pendingRequeues = [];
    if (acks.length === 0 && requeues.length === 0) return this.flushing;
    const pipeline = this.client.pipeline();
    if (acks.length) {
      pipeline.zrem(UNACKED_INDEX, ...acks);
      pipeline.hdel(UNACKED, ...acks);
    }
    if (requeues.length) (pipeline as unknown as ScriptedRedis).requeue(UNACKED, UNACKED_INDEX, ...requeues);
    this.flushing = pipeline.exec().then(
      (results) => {
        const failed = results?.find(([err]) => err);
        if (failed) this.log.error(`acknowledging on ${this.target.display} failed: ${failed[0]!.message}`);
      },
      (err: Error) => this.log.error(`acknowledging on ${this.target.display} failed: ${err.message}`),
    );
    return this.flushing;
  }

  private async refreshHeld(): Promise<void> {
    if (this.held.size === 0) return;
    const now = (Date.now() / 1000).toFixed(6);
    const args: string[] = [];
    for (const tag of this.held.keys()) args.push(now, tag);
    try {
      // XX: only entries still there (an ack may have raced this refresh).
      await this.client.zadd(UNACKED_INDEX, 'XX', ...args);
    } catch (err) {
      this.log.warn(`cannot refresh held messages on ${this.target.display}: ${(err as Error).message}`);
    }
  }

  // ---- waiting while the lists are empty ----------------------------------------

  private async waitForMessages(): Promise<void> {
    if (this.waiters.length === 0) this.startWaiters();
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    this.armed = true;
    for (const release of this.armedWaiters.splice(0)) release();
    await woken;
    this.armed = false;
  }

  private startWaiters(): void {
    const keys = consumeOrder(this.options.queues).map((o) => o.key);
    for (const key of keys) {
      const conn = createClient(this.target.options, 'wait');
      watchConnection(conn, this.target.display, this.log, 'consumer');
      this.waiters.push(conn);
      void this.waiterLoop(conn, key);
    }
  }

  /**
   * Blocks on one list without taking anything (BLMOVE rotates the element back
   * in place), with a fetch of one message pipelined behind it on the same
   * connection: Redis runs the fetch the moment the wait returns, so the first
   * message after an idle spell arrives in one round trip, already recorded
   * as unacked.
   */
  private async waiterLoop(conn: Redis, key: string): Promise<void> {
    while (this.running) {
      if (!this.armed) {
        await new Promise<void>((resolve) => this.armedWaiters.push(resolve));
        continue;
      }
      try {
        const { order, args } = this.fetchArgs(1, true);
        const pipeline = conn.pipeline().blmove(key, key, 'RIGHT', 'RIGHT', WAIT_SECONDS);
        (pipeline as unknown as ScriptCommands).fetch(...(args as [number, ...(string | number)[]]));
        const [[, element], [fetchError, fetched]] = (await pipeline.exec()) as [[Error | null, unknown], [Error | null, unknown]];
        // Recorded as unacked by the script: deliver it even if no longer armed.
        const got = !fetchError && Array.isArray(fetched) ? this.deliverFetched(fetched as (string | number)[], order) : 0;
        if ((element !== null || got > 0) && this.armed) this.kick();
      } catch {
        if (!this.running) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  // ---- stopping -------------------------------------------------------------------

  async cancel(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.refreshTimer);
    for (const release of this.armedWaiters.splice(0)) release();
    this.kick();
    // Before the waiters go: a fetch still queued behind a blocking wait then takes nothing.
    this.client.off('ready', this.setGuard);
    await this.client.del(this.guardKey).catch(() => undefined);
    for (const w of this.waiters) w.disconnect();
    this.waiters = [];
    await this.loopDone;
  }

  async close(): Promise<void> {
    await this.cancel();
    // RPUSH puts each at the consuming end: newest first, so the oldest is taken next.
    for (const d of [...this.held.values()].reverse()) d.reject(true);
    await this.flush();
    await this.flushing;
  }
}
