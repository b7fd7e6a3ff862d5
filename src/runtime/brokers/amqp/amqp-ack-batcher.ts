/**
 * The acks of one consumer channel, sent together. Each `basic.ack` is a frame
 * and a socket write, and RabbitMQ spends more on them than on anything else a
 * busy worker sends; so acks made in one turn of the event loop go out at its
 * end as one `basic.ack multiple=true` for the oldest run of deliveries that
 * are all settled, plus single acks for any acked delivery behind one still
 * running. An ack only ever goes out later than asked, and never for a
 * delivery that was not acked: at-least-once holds.
 */
import type * as amqp from 'amqplib';

const UNSETTLED = 0;
const ACKED = 1;
/** Rejected, or acked on the wire. */
const SENT = 2;

type TagState = typeof UNSETTLED | typeof ACKED | typeof SENT;

export class AckBatcher {
  /** Delivery tags in delivery order, from `head` on. */
  private readonly order: number[] = [];
  private head = 0;
  private readonly state = new Map<number, TagState>();
  private readonly acked: number[] = [];
  private scheduled = false;

  constructor(private readonly channel: amqp.Channel) {}

  delivered(tag: number): void {
    this.order.push(tag);
    this.state.set(tag, UNSETTLED);
  }

  ack(tag: number): void {
    this.state.set(tag, ACKED);
    this.acked.push(tag);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushLater());
    }
  }

  /** A reject goes out now, after the acks made before it. */
  reject(tag: number, requeue: boolean): void {
    this.flush();
    this.state.set(tag, SENT);
    this.channel.reject({ fields: { deliveryTag: tag } } as amqp.Message, requeue);
  }

  /**
   * The deferred flush: the channel may have closed since the ack (connection
   * cut, server close). RabbitMQ requeues every unacked delivery of a closed
   * channel, so the acks are moot then; at-least-once holds, and the worker
   * must not die of amqplib's IllegalOperationError.
   */
  private flushLater(): void {
    try {
      this.flush();
    } catch {
      // channel closed: the broker takes the messages back
    }
  }

  /** Send what was acked (also before the channel closes). Throws if the channel is closed. */
  flush(): void {
    this.scheduled = false;
    if (this.acked.length === 0) return;
    let upTo = -1;
    while (this.head < this.order.length) {
      const tag = this.order[this.head];
      const s = this.state.get(tag);
      if (s === UNSETTLED) break;
      if (s === ACKED) upTo = tag;
      this.state.delete(tag);
      this.head++;
    }
    const behind = this.acked.filter((tag) => this.state.get(tag) === ACKED);
    this.acked.length = 0;
    for (const tag of behind) this.state.set(tag, SENT);
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
    if (upTo >= 0) this.channel.ack({ fields: { deliveryTag: upTo } } as amqp.Message, true);
    for (const tag of behind) this.channel.ack({ fields: { deliveryTag: tag } } as amqp.Message, false);
  }
}
