/** One message a Redis consumer handed to the worker, and how it is settled. */
import type { BrokerMessage } from '../../protocol/message';
import type { Delivery } from '../broker';
import type { Waiter } from './redis-waiter';

export type SettleHow = 'ack' | 'requeue' | 'drop';

export interface Settler {
  settle(d: RedisDelivery, how: SettleHow): void;
}

export class RedisDelivery implements Delivery {
  settled = false;
  readonly exchange: string;
  readonly routingKey: string;
  /**
   * Set while the message sits in a waiter's holding list, not yet recorded in
   * unacked: a settlement then goes with the adoption, or after it.
   */
  waiter: Waiter | undefined;
  /** SHA-1 of the raw entry, by which the adoption finds it (waiter deliveries only). */
  sha = '';
  /** A settlement made before the adoption, and whether an adoption carrying it was sent. */
  parked: SettleHow | undefined;
  parkSent = false;

  constructor(
    private readonly settler: Settler,
    readonly deliveryTag: string,
    /** The list it came from (priority sub-list included). */
    readonly listKey: string,
    readonly queue: string,
    readonly raw: string,
    readonly message: BrokerMessage,
    readonly redelivered: boolean,
    deliveryInfo: { exchange: string; routing_key: string },
    readonly malformed?: string,
  ) {
    this.exchange = deliveryInfo.exchange;
    this.routingKey = deliveryInfo.routing_key || queue;
  }

  ack(): void {
    if (this.settled) return;
    this.settled = true;
    this.settler.settle(this, 'ack');
  }

  reject(requeue: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.settler.settle(this, requeue ? 'requeue' : 'drop');
  }
}

/** The envelope with kombu's redelivery marks (headers and delivery_info). */
export function markRedelivered(raw: string): string | undefined {
  try {
    const env = JSON.parse(raw);
    if (typeof env !== 'object' || env === null) return undefined;
    env.headers = { ...(env.headers ?? {}), redelivered: true };
    env.properties = env.properties ?? {};
    env.properties.delivery_info = { ...(env.properties.delivery_info ?? {}), redelivered: true };
    return JSON.stringify(env);
  } catch {
    return undefined;
  }
}
