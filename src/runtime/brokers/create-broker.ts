/** Brokers by URL scheme: one alias map, so the CLI, apps and the extension agree. */
import { ConfigError } from '../errors';
import { redactUrl, urlScheme } from '../url';
import type { Broker } from './broker';
import { MemoryBroker } from './memory/memory-broker';
import { HubConnection } from './memory/hub-connection';
import { RemoteMemoryBroker } from './memory/remote-memory-broker';
import { resolveMemoryUrl } from './memory/memory-url';
import { RedisBroker } from './redis/redis-broker';
import { AmqpBroker } from './amqp/amqp-broker';
import type { QueueDefinition } from '../app/queue-definitions';
import { createLogger, type Logger } from '../log';

export interface BrokerFactoryOptions {
  /** Transport options (Celery's `broker_transport_options`). */
  transportOptions?: Record<string, unknown>;
  /** TLS settings (Celery's `broker_use_ssl`). */
  ssl?: Record<string, unknown>;
  log?: Logger;
  /** `task_queues` (exchanges and binding keys, for AMQP). */
  queues?: QueueDefinition[];
}

type BrokerFactory = (url: string, options: BrokerFactoryOptions) => Promise<Broker>;

async function createMemoryBroker(url: string): Promise<Broker> {
  const target = resolveMemoryUrl(url);
  if (target.kind === 'local') return new MemoryBroker(target.hub.core);
  return new RemoteMemoryBroker(await HubConnection.connect(target.path));
}

const createRedisBroker: BrokerFactory = (url, o) =>
  RedisBroker.connect(url, { log: o.log ?? createLogger(), transportOptions: o.transportOptions, ssl: o.ssl });

const createAmqpBroker: BrokerFactory = (url, o) =>
  AmqpBroker.connect(url, { log: o.log ?? createLogger(), ssl: o.ssl, transportOptions: o.transportOptions, queues: o.queues });

const BROKER_ALIASES: Record<string, BrokerFactory> = {
  memory: createMemoryBroker,
  amqp: createAmqpBroker,
  amqps: createAmqpBroker,
  pyamqp: createAmqpBroker,
  redis: createRedisBroker,
  rediss: createRedisBroker,
  'redis+socket': createRedisBroker,
  sentinel: createRedisBroker,
};

export function supportedBrokerSchemes(): string[] {
  return Object.keys(BROKER_ALIASES);
}

export async function createBroker(url: string, options: BrokerFactoryOptions = {}): Promise<Broker> {
  const scheme = urlScheme(url);
  const factory = BROKER_ALIASES[scheme];
  if (!factory) {
    throw new ConfigError(
      `unsupported broker URL '${redactUrl(url)}': scheme '${scheme || '(none)'}' is not one of ${supportedBrokerSchemes()
        .map((s) => s + '://')
        .join(', ')}`,
    );
  }
  return factory(url, options);
}
