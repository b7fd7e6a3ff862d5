/**
 * The queues a worker consumes, one broker consumer per queue group, so remote
 * control can add and cancel queues while it runs. A cancelled consumer's
 * deliveries stay settleable; it is closed (and its unsettled ones requeued)
 * with the rest at shutdown.
 */
import type { Broker, Consumer, Delivery } from '../brokers/broker';

export class ConsumerSet {
  private readonly byQueue = new Map<string, Consumer>();
  private readonly retired: Consumer[] = [];
  private prefetch: number;

  constructor(
    private readonly broker: Broker,
    basePrefetch: number,
    private readonly onDelivery: (d: Delivery) => void,
  ) {
    this.prefetch = basePrefetch;
  }

  get queues(): string[] {
    return [...this.byQueue.keys()];
  }

  has(queue: string): boolean {
    return this.byQueue.has(queue);
  }

  /** Consume `queues` with one consumer (one shared prefetch limit, as one AMQP channel). */
  async add(queues: readonly string[]): Promise<void> {
    const fresh = queues.filter((q) => !this.byQueue.has(q));
    if (fresh.length === 0) return;
    const consumer = await this.broker.consume(fresh, { prefetch: this.prefetch }, this.onDelivery);
    for (const q of fresh) this.byQueue.set(q, consumer);
  }

  /** Stop consuming one queue (the others its consumer served keep going). */
  async cancel(queue: string): Promise<boolean> {
    const consumer = this.byQueue.get(queue);
    if (!consumer) return false;
    const others = [...this.byQueue].filter(([q, c]) => c === consumer && q !== queue).map(([q]) => q);
    for (const q of [queue, ...others]) this.byQueue.delete(q);
    await consumer.cancel();
    this.retired.push(consumer);
    if (others.length) await this.add(others);
    return true;
  }

  setPrefetch(prefetch: number): void {
    this.prefetch = prefetch;
    for (const c of new Set(this.byQueue.values())) c.setPrefetch(prefetch);
  }

  private all(): Consumer[] {
    return [...new Set([...this.byQueue.values(), ...this.retired])];
  }

  async cancelAll(): Promise<void> {
    await Promise.all(this.all().map((c) => c.cancel().catch(() => undefined)));
  }

  /** Close every consumer: unsettled deliveries go back to their queues. */
  async closeAll(): Promise<void> {
    await Promise.all(this.all().map((c) => c.close().catch(() => undefined)));
    this.byQueue.clear();
    this.retired.length = 0;
  }
}
