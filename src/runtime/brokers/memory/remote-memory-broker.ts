/** `memory://` in a process started by a hub: a Broker over the hub's socket. */
import type { BrokerMessage, Route } from '../../protocol/message';
import type { Broker, ConsumeOptions, Consumer, Delivery, QueueStats } from '../broker';
import { fromWire, toWire } from './hub-protocol';
import { toDisposable, type Disposable } from '../../disposable';
import type { HubConnection } from './hub-connection';

let consumerSeq = 0;
let subscriptionSeq = 0;

class RemoteDelivery implements Delivery {
  private settled = false;

  constructor(
    private readonly conn: HubConnection,
    private readonly consumerTag: string,
    private readonly dtag: number,
    readonly message: BrokerMessage,
    readonly queue: string,
    readonly redelivered: boolean,
    readonly exchange: string,
    readonly routingKey: string,
  ) {}

  get deliveryTag(): string {
    return String(this.dtag);
  }

  ack(): void {
    if (this.settled) return;
    this.settled = true;
    this.conn.notify({ op: 'ack', tag: this.consumerTag, dtag: this.dtag });
  }

  reject(requeue: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.conn.notify({ op: 'reject', tag: this.consumerTag, dtag: this.dtag, requeue });
  }
}

class RemoteConsumer implements Consumer {
  constructor(
    private readonly conn: HubConnection,
    readonly tag: string,
  ) {}

  setPrefetch(prefetch: number): void {
    this.conn.notify({ op: 'prefetch', tag: this.tag, prefetch });
  }

  async cancel(): Promise<void> {
    if (!this.conn.isLost) await this.conn.request({ op: 'cancel', tag: this.tag });
  }

  async close(): Promise<void> {
    this.conn.deliveries.delete(this.tag);
    if (!this.conn.isLost) await this.conn.request({ op: 'close', tag: this.tag });
  }
}

export class RemoteMemoryBroker implements Broker {
  readonly url: string;

  constructor(private readonly conn: HubConnection) {
    this.url = `memory:// (hub at ${conn.socketPath})`;
  }

  /** Called with the error when the hub goes away. */
  onConnectionLost(listener: (err: Error) => void): () => void {
    return this.conn.onLost(listener);
  }

  async publish(message: BrokerMessage, route: Route): Promise<void> {
    await this.conn.request({ op: 'publish', route, msg: toWire(message) });
  }

  async consume(queues: readonly string[], options: ConsumeOptions, onDelivery: (d: Delivery) => void): Promise<Consumer> {
    const tag = options.tag ?? `ctag-${process.pid}-${++consumerSeq}`;
    const conn = this.conn;
    conn.deliveries.set(tag, (f) =>
      onDelivery(new RemoteDelivery(conn, tag, f.dtag, fromWire(f.msg), f.queue, f.redelivered, f.exchange, f.routingKey)),
    );
    await conn.request({ op: 'consume', tag, queues: [...queues], prefetch: options.prefetch });
    return new RemoteConsumer(conn, tag);
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.conn.request({ op: 'bind', queue, exchange, routingKey });
  }

  async deleteQueue(queue: string, binding?: { exchange: string; routingKey: string }): Promise<void> {
    await this.conn.request({ op: 'delq', queue, exchange: binding?.exchange, routingKey: binding?.routingKey });
  }

  purge(queue: string): Promise<number> {
    return this.conn.request<number>({ op: 'purge', queue });
  }

  stats(queues: readonly string[]): Promise<QueueStats[]> {
    return this.conn.request<QueueStats[]>({ op: 'stats', queues: [...queues] });
  }

  queues(): Promise<string[]> {
    return this.conn.request<string[]>({ op: 'queues' });
  }

  async broadcast(exchange: string, routingKey: string, message: BrokerMessage): Promise<void> {
    await this.conn.request({ op: 'bcast', exchange, routingKey, msg: toWire(message) });
  }

  async subscribe(
    exchange: string,
    pattern: string,
    onMessage: (message: BrokerMessage, routingKey: string) => void,
  ): Promise<Disposable> {
    const sid = ++subscriptionSeq;
    this.conn.broadcastListeners.set(sid, (routingKey, msg) => onMessage(fromWire(msg), routingKey));
    await this.conn.request({ op: 'bsub', sid, exchange, pattern });
    return toDisposable(() => {
      this.conn.broadcastListeners.delete(sid);
      this.conn.notify({ op: 'bunsub', sid });
    });
  }

  async close(): Promise<void> {
    // Closing the socket makes the hub requeue whatever this process left unacked.
    this.conn.close();
  }
}
