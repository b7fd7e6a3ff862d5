/**
 * The Broker seam (kombu's line): publish, consume with prefetch, ack/reject,
 * purge, stats. Every implementation gives at-least-once delivery: an unacked
 * message of a consumer that goes away comes back to the queue.
 */
import type { BrokerMessage, Route } from '../protocol/message';
import type { Disposable } from '../disposable';

export interface Delivery {
  readonly message: BrokerMessage;
  /** The queue it was consumed from. */
  readonly queue: string;
  /** Unique per delivery within its consumer. */
  readonly deliveryTag: string;
  /** True when an earlier delivery of this message was never acked. */
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  /**
   * Set when the transport could not even read the message (e.g. a Redis list
   * entry that is not a kombu envelope): why. The consumer should reject it.
   */
  readonly malformed?: string;
  /** Done: the broker forgets the message. */
  ack(): void;
  /** Give it back (`requeue`) or drop it (`!requeue`, e.g. malformed). */
  reject(requeue: boolean): void;
}

export interface ConsumeOptions {
  /** Most unacked deliveries outstanding at once; 0 = no limit. */
  prefetch: number;
  tag?: string;
}

export interface Consumer {
  readonly tag: string;
  /** Change the prefetch limit (a worker raises it while it holds ETA tasks). */
  setPrefetch(prefetch: number): void;
  /** Stop new deliveries. Outstanding deliveries may still be acked or rejected. */
  cancel(): Promise<void>;
  /** Cancel, then requeue every delivery not yet acked or rejected. */
  close(): Promise<void>;
}

export interface QueueStats {
  queue: string;
  /** Messages waiting to be delivered. */
  ready: number;
  /** Delivered, not yet acked; null when the transport cannot tell (AMQP without the management API). */
  unacked: number | null;
  /** Consumers attached now; null when the transport cannot know (Redis). */
  consumers: number | null;
}

export interface Broker {
  /** The URL with any password removed, for messages. */
  readonly url: string;
  /**
   * Publish to a queue: with exchange `''` the routing key names the queue; a
   * named exchange routes through its bindings (an exchange named like the
   * routing key, Celery's default, reaches the queue of that name). A message
   * nothing is bound to receive is dropped, as AMQP does.
   */
  publish(message: BrokerMessage, route: Route): Promise<void>;
  consume(queues: readonly string[], options: ConsumeOptions, onDelivery: (delivery: Delivery) => void): Promise<Consumer>;
  /**
   * Declare a queue bound to a direct exchange under a routing key (kombu: a
   * `_kombu.binding.<exchange>` member on Redis), so `publish` to that
   * exchange and key lands in it. Used for remote-control reply queues.
   */
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<void>;
  /** Remove a queue's messages and, when given, its binding. */
  deleteQueue(queue: string, binding?: { exchange: string; routingKey: string }): Promise<void>;
  /** Remove every ready message of the queue; resolves to how many. */
  purge(queue: string): Promise<number>;
  stats(queues: readonly string[]): Promise<QueueStats[]>;
  /** Names of the queues the broker knows (best effort; used by purge/stats UIs). */
  queues(): Promise<string[]>;
  /**
   * Send to every current subscriber of a fanout/topic exchange (Celery's
   * events and remote control); nothing is kept for absent subscribers.
   */
  broadcast(exchange: string, routingKey: string, message: BrokerMessage): Promise<void>;
  /**
   * Receive broadcasts on `exchange` whose routing key matches `pattern`
   * (AMQP topic syntax: `#` any words, `*` one word; `''` matches the bare exchange).
   */
  subscribe(exchange: string, pattern: string, onMessage: (message: BrokerMessage, routingKey: string) => void): Promise<Disposable>;
  /** Close the connection: consumers stop and their unacked messages are requeued. */
  close(): Promise<void>;
}
