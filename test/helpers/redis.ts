/**
 * Redis for tests: the real server (REDIS_URL, default 127.0.0.1:6379), each
 * suite on its own database number, emptied before and after.
 */
import Redis from 'ioredis';

export const REDIS_BASE = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Databases by purpose, so suites running against one server never share keys. */
export const REDIS_DB = {
  /** Results and execution counters of the RabbitMQ reliability tests (unique keys, deleted after; never flushed). */
  amqpReliability: 3,
  /** Results and execution counters of the RabbitMQ interop tests (the broker is RabbitMQ). */
  amqpInterop: 4,
  broker: 9,
  backend: 10,
  worker: 11,
  interop: 12,
  reliability: 13,
} as const;

export function redisUrl(db: number): string {
  return `${REDIS_BASE.replace(/\/\d*$/, '')}/${db}`;
}

export async function flushDb(db: number): Promise<void> {
  const client = new Redis(redisUrl(db), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    await client.flushdb();
  } finally {
    client.disconnect();
  }
}

export function rawClient(db: number): Redis {
  return new Redis(redisUrl(db), { maxRetriesPerRequest: 3 });
}
