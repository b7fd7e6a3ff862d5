/**
 * The embedded broker's state: queues, consumers, unacked deliveries. One core
 * lives in the process that hosts the embedded broker (the CLI parent, the
 * extension host); workers in this process attach directly, workers in child
 * processes attach through the hub socket. Semantics follow RabbitMQ: per-
 * consumer prefetch, ack/reject(requeue), and unacked deliveries of a consumer
 * that goes away are requeued with `redelivered` set.
 */
import type { BrokerMessage, Route } from '../../protocol/message';
import type { Delivery, QueueStats } from '../broker';
import { PriorityQueue } from './priority-queue';
import { topicMatches } from '../topic-match';
import { toDisposable, type Disposable } from '../../disposable';

export interface QueuedMessage {
  message: BrokerMessage;
  exchange: string;
  routingKey: string;
  priority: number;
  redelivered: boolean;
}

interface QueueState {
  name: string;
  messages: PriorityQueue<QueuedMessage>;
  consumers: CoreConsumer[];
  nextConsumer: number;
  unacked: number;
}

/** One delivery to one consumer; acking or rejecting it settles it in the core. */
export class CoreDelivery implements Delivery {
  /** As it was when delivered (the entry's flag changes if it is requeued later). */
  readonly redelivered: boolean;
  private settled = false;

  constructor(
    private readonly core: MemoryBrokerCore,
    readonly consumer: CoreConsumer,
    readonly tag: number,
    readonly queueState: QueueState,
    readonly entry: QueuedMessage,
  ) {
    this.redelivered = entry.redelivered;
  }

  get message(): BrokerMessage {
    return this.entry.message;
  }
  get queue(): string {
    return this.queueState.name;
  }
  get deliveryTag(): string {
    return String(this.tag);
  }
  get exchange(): string {
    return this.entry.exchange;
  }
  get routingKey(): string {
    return this.entry.routingKey;
  }

  ack(): void {
    if (this.settled) return;
    this.settled = true;
    this.core.ack(this.consumer, this.tag);
  }

  reject(requeue: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.core.reject(this.consumer, this.tag, requeue);
  }
}

/** A consumer attached to the core. */
export class CoreConsumer {
  readonly unacked = new Map<number, CoreDelivery>();
  active = true;

  constructor(
    readonly tag: string,
    readonly queues: readonly string[],
    public prefetch: number,
    readonly deliver: (delivery: CoreDelivery) => void,
  ) {}

  hasCapacity(): boolean {
    return this.active && (this.prefetch <= 0 || this.unacked.size < this.prefetch);
  }
}

// Deliveries made in one synchronous drain before yielding to I/O, so a
// consumer that requeues everything cannot starve the event loop.
const DRAIN_BATCH = 4096;

interface BroadcastSubscription {
  exchange: string;
  pattern: string;
  onMessage: (message: BrokerMessage, routingKey: string) => void;
}

export class MemoryBrokerCore {
  private readonly queueStates = new Map<string, QueueState>();
  private readonly broadcastSubs = new Set<BroadcastSubscription>();
  /** Direct-exchange bindings: exchange → routing key → queues. */
  private readonly bindings = new Map<string, Map<string, Set<string>>>();
  private readonly dirty = new Set<QueueState>();
  private drainScheduled = false;
  private nextTag = 1;
  private nextConsumerId = 1;

  private queue(name: string): QueueState {
    let q = this.queueStates.get(name);
    if (!q) {
      q = { name, messages: new PriorityQueue(), consumers: [], nextConsumer: 0, unacked: 0 };
      this.queueStates.set(name, q);
    }
    return q;
  }

  /** The queues a message published to `route` lands in (see Broker.publish). */
  private route(route: Route): string[] {
    if (route.exchange === '') return [route.routingKey];
    const bound = this.bindings.get(route.exchange)?.get(route.routingKey);
    if (bound && bound.size) return [...bound];
    return route.exchange === route.routingKey ? [route.routingKey] : [];
  }

  publish(message: BrokerMessage, route: Route): void {
    const priority = typeof message.properties.priority === 'number' ? message.properties.priority : 0;
    for (const name of this.route(route)) {
      const q = this.queue(name);
      q.messages.push({ message, exchange: route.exchange, routingKey: route.routingKey, priority, redelivered: false }, priority);
      this.markDirty(q);
    }
  }

  bind(queue: string, exchange: string, routingKey: string): void {
    this.queue(queue);
    let byKey = this.bindings.get(exchange);
    if (!byKey) {
      byKey = new Map();
      this.bindings.set(exchange, byKey);
    }
    let queues = byKey.get(routingKey);
    if (!queues) {
      queues = new Set();
      byKey.set(routingKey, queues);
    }
    queues.add(queue);
  }

  deleteQueue(queue: string, binding?: { exchange: string; routingKey: string }): void {
    if (binding) this.bindings.get(binding.exchange)?.get(binding.routingKey)?.delete(queue);
    const q = this.queueStates.get(queue);
    if (q && q.consumers.length === 0 && q.unacked === 0) this.queueStates.delete(queue);
    else q?.messages.clear();
  }

  attach(queues: readonly string[], prefetch: number, deliver: (d: CoreDelivery) => void, tag?: string): CoreConsumer {
    const consumer = new CoreConsumer(tag ?? `ctag-${this.nextConsumerId++}`, [...queues], prefetch, deliver);
    for (const name of consumer.queues) {
      const q = this.queue(name);
      q.consumers.push(consumer);
      this.markDirty(q);
    }
    return consumer;
  }

  setPrefetch(consumer: CoreConsumer, prefetch: number): void {
    const grew = prefetch <= 0 || (consumer.prefetch > 0 && prefetch > consumer.prefetch);
    consumer.prefetch = prefetch;
    if (grew) this.markConsumerQueuesDirty(consumer);
  }

  /** Stop deliveries to the consumer; outstanding ones stay acknowledgeable. */
  detach(consumer: CoreConsumer): void {
    if (!consumer.active) return;
    consumer.active = false;
    for (const name of consumer.queues) {
      const q = this.queueStates.get(name);
      if (!q) continue;
      const i = q.consumers.indexOf(consumer);
      if (i >= 0) q.consumers.splice(i, 1);
    }
  }

  /** Detach and requeue everything the consumer has not settled (connection lost). */
  close(consumer: CoreConsumer): number {
    this.detach(consumer);
    // Requeue newest first with unshift, so the oldest ends up at the head again.
    const pending = [...consumer.unacked.entries()].sort((a, b) => b[0] - a[0]);
    consumer.unacked.clear();
    for (const [, { queueState: queue, entry }] of pending) {
      queue.unacked--;
      entry.redelivered = true;
      queue.messages.unshift(entry, entry.priority);
      this.markDirty(queue);
    }
    return pending.length;
  }

  ack(consumer: CoreConsumer, tag: number): boolean {
    const out = consumer.unacked.get(tag);
    if (!out) return false;
    consumer.unacked.delete(tag);
    out.queueState.unacked--;
    this.markConsumerQueuesDirty(consumer);
    return true;
  }

  reject(consumer: CoreConsumer, tag: number, requeue: boolean): boolean {
    const out = consumer.unacked.get(tag);
    if (!out) return false;
    consumer.unacked.delete(tag);
    out.queueState.unacked--;
    if (requeue) {
      out.entry.redelivered = true;
      out.queueState.messages.unshift(out.entry, out.entry.priority);
      this.markDirty(out.queueState);
    }
    this.markConsumerQueuesDirty(consumer);
    return true;
  }

  /** Deliver to every matching subscriber now; nothing is kept. */
  broadcast(exchange: string, routingKey: string, message: BrokerMessage): void {
    for (const sub of [...this.broadcastSubs]) {
      if (sub.exchange !== exchange || !topicMatches(sub.pattern, routingKey)) continue;
      try {
        sub.onMessage(message, routingKey);
      } catch {
        // One subscriber's error must not stop the others.
      }
    }
  }

  subscribeBroadcast(exchange: string, pattern: string, onMessage: (message: BrokerMessage, routingKey: string) => void): Disposable {
    const sub: BroadcastSubscription = { exchange, pattern, onMessage };
    this.broadcastSubs.add(sub);
    return toDisposable(() => this.broadcastSubs.delete(sub));
  }

  purge(queue: string): number {
    const q = this.queueStates.get(queue);
    return q ? q.messages.clear() : 0;
  }

  stats(queues: readonly string[]): QueueStats[] {
    return queues.map((name) => {
      const q = this.queueStates.get(name);
      return {
        queue: name,
        ready: q ? q.messages.length : 0,
        unacked: q ? q.unacked : 0,
        consumers: q ? q.consumers.length : 0,
      };
    });
  }

  queueNames(): string[] {
    return [...this.queueStates.keys()];
  }

  private markConsumerQueuesDirty(consumer: CoreConsumer): void {
    if (!consumer.active) return;
    for (const name of consumer.queues) {
      const q = this.queueStates.get(name);
      if (q && q.messages.length > 0) this.markDirty(q);
    }
  }

  private markDirty(q: QueueState): void {
    if (q.messages.length === 0 || q.consumers.length === 0) return;
    this.dirty.add(q);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  private pickConsumer(q: QueueState): CoreConsumer | undefined {
    const n = q.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = q.consumers[(q.nextConsumer + i) % n];
      if (c.hasCapacity()) {
        q.nextConsumer = (q.nextConsumer + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  private drain(): void {
    this.drainScheduled = false;
    let budget = DRAIN_BATCH;
    while (this.dirty.size > 0 && budget > 0) {
      const q: QueueState = this.dirty.values().next().value!;
      this.dirty.delete(q);
      while (q.messages.length > 0 && budget > 0) {
        const consumer = this.pickConsumer(q);
        if (!consumer) break;
        const tag = this.nextTag++;
        const delivery = new CoreDelivery(this, consumer, tag, q, q.messages.shift()!);
        consumer.unacked.set(tag, delivery);
        q.unacked++;
        budget--;
        try {
          consumer.deliver(delivery);
        } catch {
          // A consumer callback that throws must not stall the broker; the
          // delivery stays unacked and is requeued when the consumer closes.
        }
      }
      if (budget === 0 && q.messages.length > 0) this.dirty.add(q);
    }
    if (this.dirty.size > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }
}
