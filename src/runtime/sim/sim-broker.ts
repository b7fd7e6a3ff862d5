/**
 * The simulator's broker: the embedded memory broker with the transport's
 * misbehaviours added on purpose — latency and jitter on publish, some
 * messages delivered twice, and Redis' visibility timeout (a message held
 * unacked longer than it is delivered again, as kombu restores it). All
 * waiting is on the (virtual) timers; every random choice is seeded.
 */
import type { Broker, ConsumeOptions, Consumer, Delivery, QueueStats } from '../brokers/broker';
import type { Disposable } from '../disposable';
import type { BrokerMessage, Route } from '../protocol/message';
import { draw, type Random } from './seeded-random';
import type { Spread } from './scenario';

export interface SimBrokerOptions {
  random: Random;
  latency?: Spread;
  duplicates: { rate: number; task?: string }[];
  visibilityTimeoutMs?: number;
  /** A publish was doubled (task id). */
  onDuplicate(taskId: string | undefined, name: string | undefined): void;
  /** A held message was delivered again after the visibility timeout. */
  onRestored(taskId: string | undefined, name: string | undefined, queue: string): void;
}

function taskOf(m: BrokerMessage): { id?: string; name?: string } {
  const id = m.headers.id;
  const name = m.headers.task;
  return { id: typeof id === 'string' ? id : undefined, name: typeof name === 'string' ? name : undefined };
}

export class SimBroker implements Broker {
  readonly url = 'memory:// (simulated)';
  /** Publishes and acknowledgements so far: the simulator's sign that something happened. */
  operations = 0;
  /** Publishes still travelling (latency): the run is not over while any is. */
  inFlight = 0;
  /** When each task's first publish began (virtual ms): its "sent" time, before any latency. */
  readonly firstPublishedAt = new Map<string, number>();

  constructor(
    private readonly inner: Broker,
    private readonly o: SimBrokerOptions,
  ) {}

  async publish(message: BrokerMessage, route: Route): Promise<void> {
    this.operations++;
    const task = taskOf(message);
    if (task.id && !this.firstPublishedAt.has(task.id)) this.firstPublishedAt.set(task.id, Date.now());
    let copies = 1;
    if (task.id) {
      for (const d of this.o.duplicates) {
        if ((!d.task || d.task === task.name) && this.o.random() < d.rate) {
          copies = 2;
          this.o.onDuplicate(task.id, task.name);
          break;
        }
      }
    }
    for (let i = 0; i < copies; i++) await this.deliverLater(message, route);
  }

  private async deliverLater(message: BrokerMessage, route: Route): Promise<void> {
    const delay = this.o.latency ? draw(this.o.random, this.o.latency.mean, this.o.latency.jitter) : 0;
    if (delay <= 0) return this.inner.publish(message, route);
    this.inFlight++;
    try {
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
      await this.inner.publish(message, route);
    } finally {
      this.inFlight--;
      this.operations++;
    }
  }

  async consume(queues: readonly string[], options: ConsumeOptions, onDelivery: (d: Delivery) => void): Promise<Consumer> {
    const vt = this.o.visibilityTimeoutMs;
    return this.inner.consume(queues, options, (d) => {
      this.operations++;
      onDelivery(vt ? this.heldWithTimeout(d, vt) : this.counted(d));
    });
  }

  private counted(d: Delivery): Delivery {
    const self = this;
    return Object.assign(Object.create(d) as Delivery, {
      ack() {
        self.operations++;
        d.ack();
      },
      reject(requeue: boolean) {
        self.operations++;
        d.reject(requeue);
      },
    });
  }

  /** Every `vt` this delivery stays unacked, a copy goes back to its queue (kombu's restore). */
  private heldWithTimeout(d: Delivery, vt: number): Delivery {
    const task = taskOf(d.message);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      timer = setTimeout(() => {
        this.o.onRestored(task.id, task.name, d.queue);
        void this.inner.publish(d.message, { exchange: '', routingKey: d.queue });
        this.operations++;
        arm();
      }, vt);
    };
    arm();
    const settle = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      this.operations++;
    };
    return Object.assign(Object.create(d) as Delivery, {
      ack() {
        settle();
        d.ack();
      },
      reject(requeue: boolean) {
        settle();
        d.reject(requeue);
      },
    });
  }

  bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    return this.inner.bindQueue(queue, exchange, routingKey);
  }

  deleteQueue(queue: string, binding?: { exchange: string; routingKey: string }): Promise<void> {
    return this.inner.deleteQueue(queue, binding);
  }

  purge(queue: string): Promise<number> {
    return this.inner.purge(queue);
  }

  stats(queues: readonly string[]): Promise<QueueStats[]> {
    return this.inner.stats(queues);
  }

  queues(): Promise<string[]> {
    return this.inner.queues();
  }

  broadcast(exchange: string, routingKey: string, message: BrokerMessage): Promise<void> {
    return this.inner.broadcast(exchange, routingKey, message);
  }

  subscribe(exchange: string, pattern: string, onMessage: (message: BrokerMessage, routingKey: string) => void): Promise<Disposable> {
    return this.inner.subscribe(exchange, pattern, onMessage);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
