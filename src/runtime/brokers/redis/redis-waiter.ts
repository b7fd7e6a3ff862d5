/**
 * Waits on one queue list while the consumer has caught up: `BLMOVE list
 * holding` hands over the next message the moment it is pushed, as fast as a
 * bare BRPOP, yet the message is never only in this process's memory — the
 * waiter's holding list keeps it until the waiter's next round trip, which
 * adopts it into kombu's unacked bookkeeping (adopt.lua) ahead of the next
 * wait on the same connection. A message settled before its adoption has the
 * settlement carried out by the adoption itself; once the adoption is
 * confirmed, settlements go out as any other.
 * A consumer that dies leaves at most a few messages in holding lists; any
 * Celeriac broker gives them back once its guard key has expired.
 */
import { hash } from 'node:crypto';
import type { ChainableCommander, default as Redis } from 'ioredis';
import { markRedelivered, type RedisDelivery } from './redis-delivery';
import type { Settlements } from './redis-settlements';
import { UNACKED, UNACKED_INDEX } from './kombu-keys';
import type { ScriptCommands } from './redis-client';

/** Seconds a blocking wait lasts before it is re-issued. */
export const WAIT_SECONDS = 1;
/** Pause after a failed round trip (Redis down) before the next. */
const RETRY_MS = 200;

export interface WaiterHost {
  readonly running: boolean;
  /** Whether to block for a message now (caught up, prefetch not full). */
  mayWait(): boolean;
  /** Resolves when mayWait() may have changed, or the consumer stops. */
  changed(): Promise<void>;
  /** A message moved into this waiter's holding list (its stored bytes): hand it to the worker. */
  received(waiter: Waiter, entry: Buffer): void;
  /** Settlements that may go out on any connection, taken to ride along. */
  takeSettlements(): Settlements;
  /** Give back settlements whose pipeline failed. */
  putBackSettlements(batch: Settlements): void;
  /** Settle a delivery whose adoption is confirmed, as it was settled meanwhile. */
  settleAdopted(d: RedisDelivery): void;
  /** The list held more than the message just taken: fetch in batches. */
  backlog(): void;
  /** Score for unacked_index: now, in unix seconds. */
  score(): string;
}

export class Waiter {
  /** Delivered from the holding list and not yet confirmed adopted, oldest first. */
  private readonly unadopted = new Set<RedisDelivery>();
  /** Redis' id for the connection (CLIENT ID), to cut it off on cancel. */
  clientId: number | undefined;
  /**
   * The holding list may hold messages this waiter never received: a reply
   * lost with its connection, or a previous consumer with the same tag (a
   * restarted container has the same pid). The next adoption gives them back.
   */
  private unsure = true;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: WaiterHost,
    readonly conn: Redis,
    /** The queue list waited on. */
    readonly list: string,
    readonly queue: string,
    readonly holding: string,
  ) {
    conn.on('close', () => {
      // A new connection has a new id; a BLMOVE may have moved a message whose reply is lost.
      this.clientId = undefined;
      this.unsure = true;
    });
  }

  start(): void {
    this.done = this.loop();
  }

  /** Resolves when the loop has ended (after the consumer stopped running). */
  stopped(): Promise<void> {
    return this.done;
  }

  /** Hash a raw entry as adopt.lua does (redis.sha1hex of the stored bytes). */
  static sha(bytes: Buffer): string {
    // One-shot: a fraction of the cost of a Hash object.
    return hash('sha1', bytes, 'hex');
  }

  track(d: RedisDelivery): void {
    d.waiter = this;
    this.unadopted.add(d);
  }

  private async loop(): Promise<void> {
    while (this.host.running) {
      const wait = this.host.mayWait();
      if (!wait && this.unadopted.size === 0 && !this.unsure) {
        await this.host.changed();
        continue;
      }
      const pipeline = this.conn.pipeline();
      // 0: the server refuses to say (ACL); cancel then cannot cut this connection off.
      if (this.clientId === undefined) {
        pipeline.client('ID', (err, id) => (this.clientId = !err ? Number(id) : err.name === 'ReplyError' ? 0 : undefined));
      }
      const from = pipeline.length;
      const adopting = this.addAdoption(pipeline, this.unsure);
      const along = this.host.takeSettlements();
      along.appendTo(pipeline);
      const at = pipeline.length;
      if (wait) {
        let got = false;
        // Handed over from the reply's own callback, not after the whole pipeline's.
        pipeline.blmoveBuffer(this.list, this.holding, 'RIGHT', 'LEFT', WAIT_SECONDS, (err, element) => {
          if (err || !Buffer.isBuffer(element)) return;
          got = true;
          this.host.received(this, element);
        });
        // Runs right after the wait returns: is there a backlog to fetch in batches?
        pipeline.llen(this.list, (err, waiting) => {
          if (got && !err && Number(waiting) > 0) this.host.backlog();
        });
      }
      let results: [Error | null, unknown][] | null;
      try {
        results = await pipeline.exec();
      } catch {
        results = null;
      }
      const failed = !results || results.slice(from, at).some(([err]) => err);
      if (failed) {
        // Its callback may not have run if the pipeline never went out.
        adopting?.forEach((d) => (d.parkSent = false));
        this.host.putBackSettlements(along);
        this.unsure = true;
      }
      if (failed && this.host.running) await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  /**
   * Add the adoption of everything delivered and not yet adopted, carrying the
   * settlements already made of those messages (adopt.lua applies them in the
   * same atomic step). `always`: even with nothing delivered, to give back
   * what was moved unseen. Returns the deliveries it covers.
   */
  addAdoption(pipeline: ChainableCommander, always = false): RedisDelivery[] | undefined {
    if (this.unadopted.size === 0 && !always) return undefined;
    const covered = [...this.unadopted];
    const sure = always && this.unsure;
    if (sure) this.unsure = false;
    const args: string[] = [];
    for (const d of covered) {
      const requeued = d.parked === 'requeue' ? markRedelivered(d.raw) : undefined;
      // An unreadable envelope cannot be marked: it is dropped, as a requeue of a fetched one is.
      const how = !d.parked ? 'r' : requeued ? 'q' : 'x';
      args.push(d.sha, d.deliveryTag, how, requeued ?? '');
      if (d.parked) d.parkSent = true;
    }
    (pipeline as unknown as ScriptCommands).adopt(
      this.holding,
      UNACKED,
      UNACKED_INDEX,
      this.list,
      this.host.score(),
      this.queue,
      ...args,
      (err: Error | null) => {
        if (!err) return this.adopted(covered);
        // Not known to have run: the next try carries the same settlements (it is idempotent).
        for (const d of covered) d.parkSent = false;
        if (sure) this.unsure = true;
      },
    );
    return covered;
  }

  private adopted(covered: RedisDelivery[]): void {
    for (const d of covered) {
      if (!this.unadopted.delete(d)) continue;
      d.waiter = undefined;
      if (d.parked && !d.parkSent) this.host.settleAdopted(d);
    }
  }
}
