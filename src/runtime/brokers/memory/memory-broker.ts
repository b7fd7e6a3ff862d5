/** `memory://` in this process: a Broker attached directly to the local hub's core. */
import type { BrokerMessage, Route } from '../../protocol/message';
import type { Broker, ConsumeOptions, Consumer, Delivery, QueueStats } from '../broker';
import { ConnectionError } from '../../errors';
import { toDisposable, type Disposable } from '../../disposable';
import type { CoreConsumer, MemoryBrokerCore } from './memory-broker-core';

class LocalConsumer implements Consumer {
  constructor(
    private readonly core: MemoryBrokerCore,
    readonly inner: CoreConsumer,
    private readonly onClosed: (c: LocalConsumer) => void,
  ) {}

  get tag(): string {
    return this.inner.tag;
  }

  setPrefetch(prefetch: number): void {
    this.core.setPrefetch(this.inner, prefetch);
  }

  async cancel(): Promise<void> {
    this.core.detach(this.inner);
  }

  async close(): Promise<void> {
    this.core.close(this.inner);
    this.onClosed(this);
  }
}

export class MemoryBroker implements Broker {
  private readonly consumers = new Set<LocalConsumer>();
  private readonly subscriptions = new Set<Disposable>();
  private closed = false;

  constructor(
    private readonly core: MemoryBrokerCore,
    readonly url = 'memory://',
  ) {}

  private assertOpen(): void {
    if (this.closed) throw new ConnectionError(`broker ${this.url} is closed`);
  }

  async publish(message: BrokerMessage, route: Route): Promise<void> {
    this.assertOpen();
    this.core.publish(message, route);
  }

  /** Synchronous publish for in-process hot paths (the memory broker never waits). */
  publishNow(message: BrokerMessage, route: Route): void {
    this.assertOpen();
    this.core.publish(message, route);
  }

  async consume(queues: readonly string[], options: ConsumeOptions, onDelivery: (d: Delivery) => void): Promise<Consumer> {
    this.assertOpen();
    const inner = this.core.attach(queues, options.prefetch, onDelivery, options.tag);
    const consumer = new LocalConsumer(this.core, inner, (c) => this.consumers.delete(c));
    this.consumers.add(consumer);
    return consumer;
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.assertOpen();
    this.core.bind(queue, exchange, routingKey);
  }

  async deleteQueue(queue: string, binding?: { exchange: string; routingKey: string }): Promise<void> {
    this.assertOpen();
    this.core.deleteQueue(queue, binding);
  }

  async purge(queue: string): Promise<number> {
    this.assertOpen();
    return this.core.purge(queue);
  }

  async stats(queues: readonly string[]): Promise<QueueStats[]> {
    return this.core.stats(queues);
  }

  async queues(): Promise<string[]> {
    return this.core.queueNames();
  }

  async broadcast(exchange: string, routingKey: string, message: BrokerMessage): Promise<void> {
    this.assertOpen();
    this.core.broadcast(exchange, routingKey, message);
  }

  async subscribe(
    exchange: string,
    pattern: string,
    onMessage: (message: BrokerMessage, routingKey: string) => void,
  ): Promise<Disposable> {
    this.assertOpen();
    const sub = this.core.subscribeBroadcast(exchange, pattern, onMessage);
    this.subscriptions.add(sub);
    return toDisposable(() => {
      sub.dispose();
      this.subscriptions.delete(sub);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions.clear();
    for (const c of [...this.consumers]) await c.close();
  }
}
