/**
 * BullMQ: Queue.addBulk prefill, then a fresh Worker (concurrency 100,
 * removeOnComplete) drains; latency with the same worker still running.
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import {
  CONCURRENCY,
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

const connection: ConnectionOptions = { host: REDIS_HOST, port: REDIS_PORT, db: REDIS_DB, maxRetriesPerRequest: null };
const jobOptions = { removeOnComplete: true, removeOnFail: true };

interface Data {
  payload: string;
}

export const bullmq: BenchSystem = {
  name: 'BullMQ',
  short: 'BullMQ',
  async run(): Promise<SystemSample> {
    const queue = new Queue<Data>(QUEUE, { connection });
    queue.on('error', () => undefined);
    let worker: Worker<Data> | undefined;
    let meter: DrainMeter | undefined;
    try {
      for (let i = 0; i < DRAIN_TASKS; i += 1000) {
        const n = Math.min(1000, DRAIN_TASKS - i);
        await queue.addBulk(Array.from({ length: n }, () => ({ name: 'bench.noop', data: { payload: PAYLOAD }, opts: jobOptions })));
      }

      let done = 0;
      const finished = signal();
      let measuring = false;
      let sentAt = 0;
      const samples: number[] = [];
      let started: ((v: void) => void) | undefined;
      worker = new Worker<Data>(
        QUEUE,
        async (_job: Job<Data>) => {
          if (measuring) {
            samples.push(performance.now() - sentAt);
            started?.();
          } else if (++done === DRAIN_TASKS) finished.resolve();
        },
        { connection, concurrency: CONCURRENCY, autorun: false, removeOnComplete: { count: 0 }, removeOnFail: { count: 0 } },
      );
      worker.on('error', () => undefined);
      await worker.waitUntilReady();
      global.gc?.();

      meter = await DrainMeter.start();
      const running = worker.run();
      running.catch(() => undefined);
      await within(finished.promise, 120_000, 'the BullMQ drain');
      const drained = await meter.stop(DRAIN_TASKS);

      measuring = true;
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const ran = signal();
        started = ran.resolve;
        sentAt = performance.now();
        await queue.add('bench.noop', { payload: PAYLOAD }, jobOptions);
        await within(ran.promise, 5000, 'a BullMQ job to start');
      }
      return { ...drained, latenciesMs: samples };
    } finally {
      await meter?.close();
      await worker?.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
    }
  },
};
