/**
 * Consumes kombu's Redis lists with at-least-once delivery:
 * - while there is a backlog, a Lua script pops up to the free prefetch and
 *   records every message in `unacked` / `unacked_index` in the same atomic
 *   step, with two fetches in flight;
 * - once caught up, one waiter per list blocks in BLMOVE into a holding list
 *   of its own, so a new message is handed over in one hop and is still never
 *   only in memory (redis-waiter.ts);
 * - acks are batched per tick (ZREM + HDEL), rejects requeue atomically; they
 *   ride along with a waiter's round trip when one goes out first, and a
 *   message settled before its adoption is settled by the adoption itself;
 * - the scores of everything it holds are refreshed well inside the
 *   visibility timeout, so neither kombu's restore nor ours re-delivers a
 *   message a live worker is holding — e.g. a task with an ETA longer than the
 *   visibility timeout (kombu#337).
 */
import { settledWithin } from '../../deadline';
import { decodeKombuEnvelope } from '../../protocol/kombu-envelope';
import type { BrokerMessage } from '../../protocol/message';
import type { Logger } from '../../log';
import type { Consumer, Delivery } from '../broker';
import { consumeOrder, UNACKED, UNACKED_INDEX } from './kombu-keys';
import { guardKey, holdingKey, HOLDING_REGISTRY, type HoldingEntry } from './holding-keys';
import { createClient, watchConnection, type ScriptedRedis } from './redis-client';
import { RedisDelivery, type SettleHow, type Settler } from './redis-delivery';
import { Settlements } from './redis-settlements';
import { Waiter, WAIT_SECONDS, type WaiterHost } from './redis-waiter';
import type { RedisTarget } from './redis-options';

/** Most messages taken in one fetch, whatever the free prefetch. */
const FETCH_MAX = 500;
/** How long stopping waits for Redis to take the consumer's clean-up. */
const CLEANUP_MS = 3000;
/** Life of the guard key; refreshed far more often than this. */
const GUARD_TTL_SECONDS = 300;

export interface RedisConsumerOptions {
  queues: readonly string[];
  prefetch: number;
  tag: string;
  /** Seconds after which an unacked message of a dead consumer is restored. */
  visibilityTimeout: number;
}

export class RedisConsumer implements Consumer, WaiterHost, Settler {
  readonly tag: string;
  private prefetch: number;
  private readonly held = new Map<string, RedisDelivery>();
  running = true;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private waiters: Waiter[] = [];
  /** Caught up: the waiters wait for messages, the fetch loop rests. */
  private waiting = false;
  private changeListeners: (() => void)[] = [];
  private readonly pending = new Settlements();
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

  /** Exists while this consumer runs: without it, its holding lists are given back. */
  private get guardKey(): string {
    return guardKey(this.tag);
  }

  /** Set the guard (again: a Redis that restarted empty lost it) and register the holding lists. */
  private readonly setGuard = () => {
    const pipeline = this.client.pipeline().set(this.guardKey, String(process.pid), 'EX', GUARD_TTL_SECONDS);
    for (const w of this.waiters) pipeline.hset(HOLDING_REGISTRY, w.holding, JSON.stringify({ guard: this.guardKey, list: w.list } satisfies HoldingEntry));
    return pipeline.exec().catch(() => undefined);
  };

  async start(): Promise<void> {
    await this.client.set(this.guardKey, String(process.pid), 'EX', GUARD_TTL_SECONDS);
    this.client.on('ready', this.setGuard);
    this.loopDone = this.loop();
    // Refresh what we hold well inside the visibility timeout.
    const everyMs = Math.max(250, Math.min((this.options.visibilityTimeout * 1000) / 4, 60_000));
    this.refreshTimer = setInterval(() => {
      void this.refreshHeld();
      void this.setGuard();
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
    if (grew) this.capacityFreed();
  }

  private capacity(): number {
    return this.prefetch <= 0 ? FETCH_MAX : Math.min(FETCH_MAX, this.prefetch - this.held.size);
  }

  private kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Tell the waiters (when they are on) or else the fetch loop that there is room again. */
  private capacityFreed(): void {
    if (this.waiting) this.notifyWaiters();
    else this.kick();
  }

  private notifyWaiters(): void {
    for (const listener of this.changeListeners.splice(0)) listener();
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
   * Redis pops the next batch while this process runs the current one. Once a
   * fetch finds the lists empty, the waiters take over until they see a backlog.
   */
  private async loop(): Promise<void> {
    while (this.running) {
      const paused = this.pauseUntil - Date.now();
      if (paused > 0) {
        await this.sleep(paused);
        continue;
      }
      if (!this.waiting) {
        const free = this.capacity() - this.reserved;
        // While busy, wait for a quarter of the prefetch to free up, so one fetch
        // takes many messages instead of one round trip per ack.
        const lowWater = this.held.size + this.reserved === 0 ? 1 : Math.max(1, Math.floor(this.prefetch / 4));
        if (this.drained) {
          if (this.inFlight === 0) {
            this.drained = false;
            this.startWaiting();
            continue;
          }
        } else if (free >= lowWater && this.inFlight < 2) {
          const n = this.prefetch <= 0 ? FETCH_MAX : Math.min(free, Math.max(lowWater, Math.ceil(this.prefetch / 2)));
          this.startFetch(n);
          continue;
        }
      }
      // Woken by a fetch that returned, an ack, a prefetch change or a backlog.
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

  private async fetch(max: number): Promise<number> {
    const order = consumeOrder(this.options.queues, this.rotate++);
    const reply = await this.client.fetch(2 + order.length, UNACKED, UNACKED_INDEX, ...order.map((o) => o.key), max, this.score(), ...order.map((o) => o.queue));
    let n = 0;
    for (let i = 0; i + 2 < reply.length; i += 3) {
      const source = order[Number(reply[i + 2]) - 1];
      // '' when the script found no tag and so recorded nothing: there is nothing to ack either.
      this.hand(this.delivery(String(reply[i + 1]), source.key, source.queue, String(reply[i])));
      n++;
    }
    return n;
  }

  score(): string {
    return (Date.now() / 1000).toFixed(6);
  }

  /** `tag`: what the fetch script recorded it under; by default the envelope's own. */
  private delivery(raw: string, listKey: string, queue: string, tag?: string): RedisDelivery {
    const env = decodeKombuEnvelope(raw);
    tag ??= env.ok ? env.deliveryTag : '';
    if (env.ok) {
      const redelivered = env.message.headers.redelivered === true || env.deliveryInfo.redelivered === true;
      return new RedisDelivery(this, tag, listKey, queue, raw, env.message, redelivered, env.deliveryInfo);
    }
    // Keep the id the envelope names (headers.id / correlation_id), if any, so the rejection can name it.
    const empty: BrokerMessage = { body: '', contentType: '', contentEncoding: '', headers: env.id !== null ? { id: env.id } : {}, properties: {} };
    return new RedisDelivery(this, tag, listKey, queue, raw, empty, false, { exchange: '', routing_key: queue }, `not a kombu envelope: ${env.reason}`);
  }

  private hand(d: RedisDelivery): void {
    if (d.deliveryTag) this.held.set(d.deliveryTag, d);
    try {
      this.onDelivery(d);
    } catch (err) {
      this.log.error(`consumer callback failed for a message from '${d.queue}': ${(err as Error).message}`);
    }
  }

  /** Ack, requeue or drop one delivery; batched into one round trip per tick. */
  settle(d: RedisDelivery, how: SettleHow): void {
    if (!d.deliveryTag || !this.held.delete(d.deliveryTag)) return;
    if (d.waiter) {
      // Not yet in unacked: the waiter's adoption carries the settlement out (see Waiter).
      d.parked = how;
    } else {
      this.pending.add(d.deliveryTag, d.listKey, d.raw, how);
      this.scheduleFlush();
    }
    this.capacityFreed();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.pending.empty) return this.flushing;
    const pipeline = this.client.pipeline();
    this.pending.take().appendTo(pipeline);
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
    const now = this.score();
    const args: string[] = [];
    for (const tag of this.held.keys()) args.push(now, tag);
    try {
      // XX: only entries still there (an ack may have raced this refresh).
      await this.client.zadd(UNACKED_INDEX, 'XX', ...args);
    } catch (err) {
      this.log.warn(`cannot refresh held messages on ${this.target.display}: ${(err as Error).message}`);
    }
  }

  // ---- waiting while caught up (WaiterHost) ------------------------------------------

  private startWaiting(): void {
    this.waiting = true;
    if (this.waiters.length === 0) {
      const order = consumeOrder(this.options.queues);
      this.waiters = order.map(({ key, queue }, i) => {
        // Named after the consumer (CLIENT LIST shows whose it is); Redis allows no spaces there.
        // ioredis sends a round cut off with its connection again on the next one (without
        // that it would never settle): a message the first BLMOVE moved unseen is given back
        // by the next round's adoption (the waiter is unsure after every close).
        const conn = createClient(this.target.options, `wait:${this.tag.replace(/[^\w.:@-]/g, '_')}`);
        watchConnection(conn, this.target.display, this.log, 'consumer');
        return new Waiter(this, conn, key, queue, holdingKey(this.tag, i));
      });
      // Registered before the first wait, so a crash right after leaves nothing unfound.
      void this.setGuard().then(() => {
        if (this.running) for (const w of this.waiters) w.start();
      });
    }
    this.notifyWaiters();
  }

  mayWait(): boolean {
    return this.running && this.waiting && (this.prefetch <= 0 || this.held.size < this.prefetch);
  }

  changed(): Promise<void> {
    return new Promise((resolve) => this.changeListeners.push(resolve));
  }

  received(waiter: Waiter, entry: Buffer): void {
    const d = this.delivery(entry.toString('utf8'), waiter.list, waiter.queue);
    waiter.track(d);
    this.hand(d);
    // Only the adoption needs it, and that goes out after the task has started.
    d.sha = Waiter.sha(entry);
  }

  takeSettlements(): Settlements {
    return this.pending.take();
  }

  putBackSettlements(batch: Settlements): void {
    if (batch.empty) return;
    this.pending.putBack(batch);
    this.scheduleFlush();
  }

  settleAdopted(d: RedisDelivery): void {
    this.pending.add(d.deliveryTag, d.listKey, d.raw, d.parked!);
    this.scheduleFlush();
  }

  backlog(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.kick();
  }

  // ---- stopping -------------------------------------------------------------------

  async cancel(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.waiting = false;
    clearInterval(this.refreshTimer);
    this.client.off('ready', this.setGuard);
    this.notifyWaiters();
    this.kick();
    const waiters = this.waiters;
    this.waiters = [];
    const ids = waiters.map((w) => w.clientId); // before the disconnect forgets them
    for (const w of waiters) w.conn.disconnect();
    const cleanup = (async () => {
      // (A waiter whose connection was already down never hears back: ioredis keeps its commands.)
      await Promise.all(waiters.map((w) => w.stopped()));
      if (waiters.length) {
        // Cut the waiters off for good, so no BLMOVE can move a message any more;
        // then adopt what they delivered and give back what they moved unseen.
        const allCut = await this.cutOff(ids);
        await this.release(waiters, allCut);
      }
      // Without the guard, a restore gives back whatever a late BLMOVE still moved.
      await this.client.del(this.guardKey);
    })();
    // The fetch loop ends once its fetches are answered (what they took is then held, and given back by close()).
    if (!(await settledWithin(Promise.all([cleanup, this.loopDone]), this.cleanupMs()))) {
      this.log.warn(
        `consumer ${this.tag} stops without tidying up on ${this.target.display}, which does not answer: ` +
          'its holding lists are given back once its guard key expires (5 min), its unacked messages after the visibility timeout',
      );
    }
  }

  /** How long to wait for Redis to take the clean-up: not at all while it is not even connected. */
  private cleanupMs(): number {
    return this.client.status === 'ready' ? CLEANUP_MS : 0;
  }

  /** CLIENT KILL each waiter's connection; false if one may still be alive (no permission, unknown id). */
  private async cutOff(ids: (number | undefined)[]): Promise<boolean> {
    const known = ids.filter((id): id is number => !!id);
    const pipeline = this.client.pipeline();
    // 0 killed: it was gone already.
    for (const id of known) pipeline.client('KILL', 'ID', String(id));
    const results = await pipeline.exec().catch(() => null);
    return known.length === ids.length && !!results && results.every(([err]) => !err);
  }

  /** Adopt what the waiters delivered, return what they moved and never delivered, and unregister them. */
  private async release(waiters: Waiter[], unregister: boolean): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const w of waiters) {
      w.addAdoption(pipeline, true);
      if (unregister) pipeline.hdel(HOLDING_REGISTRY, w.holding);
    }
    const results = await pipeline.exec().catch((err: Error) => [[err, null]] as [Error, null][]);
    const failed = results?.find(([err]) => err);
    if (failed) this.log.warn(`cannot release the holding lists of consumer ${this.tag} on ${this.target.display}: ${failed[0]!.message}`);
  }

  async close(): Promise<void> {
    await this.cancel();
    // RPUSH puts each at the consuming end: newest first, so the oldest is taken next.
    for (const d of [...this.held.values()].reverse()) d.reject(true);
    const requeued = this.flush().then(() => this.flushing);
    if (!(await settledWithin(requeued, this.cleanupMs()))) {
      this.log.warn(`consumer ${this.tag} could not give back what it held to ${this.target.display}, which does not answer: it comes back after the visibility timeout`);
    }
  }
}
