/**
 * The floor: bare ioredis lists with the same ~300 B JSON payload, no task
 * queue around them. Drain = pipelined RPOP, 100 per round trip, nothing
 * parsed and nothing acked; latency = LPUSH on one connection → BRPOP on another.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import {
  DRAIN_TASKS,
  LATENCY_SAMPLES,
  PAYLOAD,
  DrainMeter,
  QUEUE,
  REDIS_DB,
  REDIS_HOST,
  REDIS_PORT,
  signal,
  within,
  type BenchSystem,
  type SystemSample,
} from './common';

const RPOP_BATCH = 100;
const PUSH_BATCH = 1000;

function client(): Redis {
  return new Redis({ host: REDIS_HOST, port: REDIS_PORT, db: REDIS_DB, maxRetriesPerRequest: 2 });
}

function message(): string {
  return JSON.stringify({ id: randomUUID(), task: 'bench.noop', args: [PAYLOAD], kwargs: {} });
}

async function drain(redis: Redis): Promise<Pick<SystemSample, 'drainPerSec' | 'cpuUsPerTask' | 'redisCpuUsPerTask'>> {
  // Prefill: pipelined single LPUSHes.
  for (let i = 0; i < DRAIN_TASKS; i += PUSH_BATCH) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(DRAIN_TASKS, i + PUSH_BATCH); j++) p.lpush(QUEUE, message());
    await p.exec();
  }
  global.gc?.();
  let taken = 0;
  const meter = await DrainMeter.start();
  try {
    for (;;) {
      const p = redis.pipeline();
      for (let i = 0; i < RPOP_BATCH; i++) p.rpop(QUEUE);
      const replies = (await p.exec()) ?? [];
      let empty = false;
      for (const [err, value] of replies) {
        if (err) throw err;
        if (value === null) empty = true;
        else taken++;
      }
      if (empty) break;
    }
  } catch (err) {
    await meter.close();
    throw err;
  }
  const result = await meter.stop(taken);
  if (taken !== DRAIN_TASKS) throw new Error(`raw drain took ${taken} of ${DRAIN_TASKS} messages`);
  return result;
}

async function latency(producer: Redis, consumer: Redis): Promise<number[]> {
  const key = `${QUEUE}-latency`;
  const samples: number[] = [];
  let sentAt = 0;
  let started: ((v: void) => void) | undefined;
  let stopping = false;
  // A running consumer: BRPOP in a loop with a 1 s timeout, like a worker.
  const loop = (async () => {
    while (!stopping) {
      const reply = await consumer.brpop(key, 1);
      if (reply && !stopping) {
        samples.push(performance.now() - sentAt);
        started?.();
      }
    }
  })();
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const ran = signal();
    started = ran.resolve;
    sentAt = performance.now();
    await producer.lpush(key, message());
    await within(ran.promise, 5000, 'a raw BRPOP');
  }
  stopping = true;
  // Wake the blocked BRPOP so the loop ends now rather than after its timeout.
  await producer.lpush(key, 'stop');
  await loop;
  return samples;
}

export const rawIoredis: BenchSystem = {
  name: 'raw ioredis (floor)',
  short: 'raw ioredis',
  async run(): Promise<SystemSample> {
    const producer = client();
    const consumer = client();
    try {
      const d = await drain(producer);
      const latenciesMs = await latency(producer, consumer);
      return { ...d, latenciesMs };
    } finally {
      await Promise.all([producer.quit().catch(() => producer.disconnect()), consumer.quit().catch(() => consumer.disconnect())]);
    }
  },
};
