/**
 * `task_queues`: queues with their exchange, exchange type and binding key,
 * for brokers that route through exchanges (AMQP). A queue not listed gets
 * Celery's default: a durable queue bound to a direct exchange of the same
 * name with its name as the key.
 */
import { ConfigError } from '../errors';

export type ExchangeType = 'direct' | 'topic' | 'fanout';

export interface QueueDefinition {
  name: string;
  exchange: string;
  exchangeType: ExchangeType;
  /** Binding key (a pattern for topic exchanges). */
  routingKey: string;
  durable: boolean;
  /** e.g. `{ 'x-queue-type': 'quorum' }`, `{ 'x-max-priority': 10 }`, `{ 'x-dead-letter-exchange': 'dlx' }`. */
  queueArguments: Record<string, unknown>;
}

export function defaultQueue(name: string): QueueDefinition {
  return { name, exchange: name, exchangeType: 'direct', routingKey: name, durable: true, queueArguments: {} };
}

/** Read `task_queues` entries in camelCase or Celery's snake_case. */
export function parseQueueDefinitions(raw: unknown): QueueDefinition[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ConfigError('setting task_queues must be a list of queue definitions');
  return raw.map((entry, i) => {
    if (typeof entry === 'string') return defaultQueue(entry);
    if (typeof entry !== 'object' || entry === null || typeof (entry as { name?: unknown }).name !== 'string') {
      throw new ConfigError(`task_queues[${i}] needs a name`);
    }
    const e = entry as Record<string, unknown>;
    const name = e.name as string;
    const type = (e.exchangeType ?? e.exchange_type ?? 'direct') as string;
    if (!['direct', 'topic', 'fanout'].includes(type)) {
      throw new ConfigError(`task_queues '${name}': exchange type must be direct, topic or fanout, got '${type}'`);
    }
    return {
      name,
      exchange: String(e.exchange ?? name),
      exchangeType: type as ExchangeType,
      routingKey: String(e.routingKey ?? e.routing_key ?? name),
      durable: e.durable !== false,
      queueArguments: ((e.queueArguments ?? e.queue_arguments ?? {}) as Record<string, unknown>) ?? {},
    };
  });
}
