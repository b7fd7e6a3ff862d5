/**
 * Acks and requeues waiting to be sent: batched, then written into whichever
 * pipeline goes out next (the consumer's flush, or a waiter's round trip).
 */
import type { ChainableCommander } from 'ioredis';
import { markRedelivered, type SettleHow } from './redis-delivery';
import { UNACKED, UNACKED_INDEX } from './kombu-keys';
import type { ScriptCommands } from './redis-client';

export class Settlements {
  private acks: string[] = [];
  /** (tag, list, envelope marked redelivered) triples. */
  private requeues: string[] = [];

  get empty(): boolean {
    return this.acks.length === 0 && this.requeues.length === 0;
  }

  add(tag: string, listKey: string, raw: string, how: SettleHow): void {
    if (how === 'requeue') {
      const env = markRedelivered(raw);
      if (env) {
        this.requeues.push(tag, listKey, env);
        return;
      }
      // Unreadable: nothing sensible to requeue, so it is dropped.
    }
    this.acks.push(tag);
  }

  /** Move everything out into a new batch (this one is left empty). */
  take(): Settlements {
    const batch = new Settlements();
    [batch.acks, this.acks] = [this.acks, batch.acks];
    [batch.requeues, this.requeues] = [this.requeues, batch.requeues];
    return batch;
  }

  /** Take back a batch whose pipeline failed (sending it again is harmless). */
  putBack(batch: Settlements): void {
    this.acks.push(...batch.acks);
    this.requeues.push(...batch.requeues);
  }

  appendTo(pipeline: ChainableCommander): void {
    if (this.acks.length) {
      pipeline.zrem(UNACKED_INDEX, ...this.acks);
      pipeline.hdel(UNACKED, ...this.acks);
    }
    if (this.requeues.length) (pipeline as unknown as ScriptCommands).requeue(UNACKED, UNACKED_INDEX, ...this.requeues);
  }
}
