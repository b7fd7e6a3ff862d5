/**
 * Consumes queues on a channel of its own with manual acks (sent in batches,
 * see AckBatcher) and a prefetch (basic.qos: global on the channel as Celery
 * does, per consumer for quorum queues). When the connection comes back it
 * opens a new channel and consumes again; deliveries of the old channel can no
 * longer be settled (RabbitMQ has requeued them). A channel that closes on its
 * own while the connection stays up (a channel error, the server cancelling
 * the consumer) is replaced too, after a pause.
 */
import type * as amqp from 'amqplib';
import { errorMessage } from '../../errors';
import type { Logger } from '../../log';
import type { BrokerMessage } from '../../protocol/message';
import type { Consumer, Delivery } from '../broker';
import { AckBatcher } from './amqp-ack-batcher';
import { fromAmqpMessage } from './amqp-message';
import type { AmqpSession } from './amqp-session';

/** Pause before a consumer channel that closed on its own is opened again. */
const CHANNEL_RETRY_MS = 1000;

class AmqpDelivery implements Delivery {
  private settled = false;
  readonly message: BrokerMessage;

  constructor(
    private readonly raw: amqp.ConsumeMessage,
    readonly queue: string,
    private readonly alive: () => boolean,
    private readonly acks: AckBatcher,
  ) {
    this.message = fromAmqpMessage(raw);
    acks.delivered(raw.fields.deliveryTag);
  }

  get deliveryTag(): string {
    return String(this.raw.fields.deliveryTag);
  }
  get redelivered(): boolean {
    return this.raw.fields.redelivered;
  }
  get exchange(): string {
    return this.raw.fields.exchange;
  }
  get routingKey(): string {
    return this.raw.fields.routingKey;
  }

  ack(): void {
    this.settle(() => this.acks.ack(this.raw.fields.deliveryTag));
  }

  /** Without requeue the message is dropped, or dead-lettered if its queue has a dead-letter exchange. */
  reject(requeue: boolean): void {
    this.settle(() => this.acks.reject(this.raw.fields.deliveryTag, requeue));
  }

  /**
   * A task can finish after its channel died (connection cut) or while it is
   * closing: RabbitMQ has requeued the message then, and amqplib throws on a
   * closed channel. Nothing to settle, and a worker must not die of it.
   */
  private settle(how: () => void): void {
    if (this.settled) return;
    this.settled = true;
    if (!this.alive()) return;
    try {
      how();
    } catch {
      // closed or closing: the broker takes the message back
    }
  }
}

export class AmqpConsumer implements Consumer {
  private channel: amqp.Channel | undefined;
  private acks: AckBatcher | undefined;
  private consumerTags: string[] = [];
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private cancelled = false;
  /** Counts start() calls, so an older one still under way can tell it was superseded. */
  private starts = 0;
  onClosed?: () => void;
  private readonly onReconnect = () => {
    if (!this.cancelled) this.start().catch((err) => this.log.warn(`cannot resume consuming ${this.queues.join(', ')}: ${errorMessage(err)}`));
  };

  constructor(
    private readonly session: AmqpSession,
    private readonly queues: string[],
    private prefetch: number,
    readonly tag: string,
    private readonly onDelivery: (d: Delivery) => void,
    private readonly log: Logger,
    /** basic.qos global: one limit for the channel that can change while consuming. */
    private readonly globalQos = true,
  ) {
    session.on('connected', this.onReconnect);
  }

  async start(): Promise<void> {
    const attempt = ++this.starts;
    const ch = await (await this.session.connection()).createChannel();
    ch.on('error', (err: Error) => this.log.warn(`consumer channel for ${this.queues.join(', ')}: ${err.message}`));
    let open = true;
    ch.on('close', () => {
      open = false;
      if (this.channel === ch) this.replaceLater(ch);
    });
    const alive = () => open && this.channel === ch;
    if (this.prefetch > 0) await ch.prefetch(this.prefetch, this.globalQos);
    // A later start (a reconnect while this one was under way) wins: two
    // channels consuming would leave one's deliveries unsettleable, held
    // unacked until the connection dies.
    if (attempt !== this.starts || this.cancelled) {
      await ch.close().catch(() => undefined);
      return;
    }
    const previous = this.channel;
    this.channel = ch;
    const acks = new AckBatcher(ch);
    this.acks = acks;
    if (previous) void previous.close().catch(() => undefined);
    this.consumerTags = [];
    for (const [i, queue] of this.queues.entries()) {
      const reply = await ch.consume(
        queue,
        (msg) => {
          if (!msg) {
            // The server cancelled the consumer (queue deleted, HA failover): consume again.
            this.log.warn(`RabbitMQ cancelled the consumer of ${queue}; consuming again shortly`);
            this.replaceLater(ch);
            return;
          }
          this.onDelivery(new AmqpDelivery(msg, queue, alive, acks));
        },
        { noAck: false, consumerTag: this.queues.length > 1 ? `${this.tag}.${i}` : this.tag },
      );
      this.consumerTags.push(reply.consumerTag);
    }
  }

  setPrefetch(prefetch: number): void {
    if (prefetch === this.prefetch) return;
    this.prefetch = prefetch;
    // Per-consumer QoS (quorum queues) only applies to consumers started later.
    if (this.globalQos) void this.channel?.prefetch(prefetch, true).catch(() => undefined);
  }

  /**
   * Open a new channel after a pause, unless a reconnect (or an earlier call)
   * already replaced `ch`. On a lost connection the session's reconnect does it.
   */
  private replaceLater(ch: amqp.Channel): void {
    if (this.cancelled || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.cancelled || this.channel !== ch || !this.session.connected) return;
      this.start().catch((err) => this.log.warn(`cannot resume consuming ${this.queues.join(', ')}: ${errorMessage(err)}`));
    }, CHANNEL_RETRY_MS);
  }

  /** Stop deliveries; unsettled ones stay settleable on the open channel. */
  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.session.off('connected', this.onReconnect);
    const ch = this.channel;
    for (const t of this.consumerTags) await ch?.cancel(t).catch(() => undefined);
  }

  /** Closing the channel makes RabbitMQ requeue whatever was not acked. */
  async close(): Promise<void> {
    await this.cancel();
    const ch = this.channel;
    try {
      this.acks?.flush(); // what was acked must not come back
    } catch {
      // the channel is gone: RabbitMQ requeues
    }
    this.channel = undefined;
    await ch?.close().catch(() => undefined);
    this.onClosed?.();
  }
}
