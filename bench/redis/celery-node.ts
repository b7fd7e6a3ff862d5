/**
 * celery-node 0.5.9's worker on Celery's Redis protocol: one BRPOP in flight,
 * no unacked bookkeeping (a message popped by a worker that dies is lost) and
 * handlers that are not awaited before the next BRPOP (no concurrency limit).
 * Prefill is raw LPUSH of kombu envelopes, as a Celery client writes them.
 *
 * Two things are switched off so it does the same work as the others:
 * its per-task `console.info` lines (two per task) and its result store
 * (it has no ignore_result; every task would SET a result).
 */
import { performance } from 'node:perf_hooks';
import { createWorker } from 'celery-node';
import {
  adminClient,
  bulkLpush,
  DRAIN_TASKS,
  kombuTaskEnvelope,
  LATENCY_SAMPLES,
  PAYLOAD,
  DrainMeter,
  QUEUE,
  REDIS_URL,
  signal,
  sleep,
  within,
  type BenchSystem,
  type SystemSample,
} from './common';

/** The parts of celery-node's Redis broker this file reaches into to stop it. */
interface CeleryNodeRedisBroker {
  redis: { client(sub: 'ID'): Promise<number>; disconnect(): void };
  closing: boolean;
}

export const celeryNode: BenchSystem = {
  name: 'celery-node (no acks)',
  short: 'celery-node',
  async run(): Promise<SystemSample> {
    const admin = adminClient();
    const info = console.info;
    const log = console.log;
    let running: Promise<unknown> | undefined;
    let stopped = false;
    let consumerId: number | undefined;
    let meter: DrainMeter | undefined;
    const worker = createWorker(REDIS_URL, REDIS_URL, QUEUE);
    const broker = worker.broker as unknown as CeleryNodeRedisBroker;
    worker.backend.storeResult = () => Promise.resolve();
    try {
      await admin.connect();
      const envelopes = Array.from({ length: DRAIN_TASKS }, () => kombuTaskEnvelope('bench.noop', [PAYLOAD]));
      await bulkLpush(admin, QUEUE, envelopes);

      let done = 0;
      const finished = signal();
      let measuring = false;
      let sentAt = 0;
      const samples: number[] = [];
      let started: ((v: void) => void) | undefined;
      worker.register('bench.noop', (_payload: string) => {
        if (measuring) {
          samples.push(performance.now() - sentAt);
          started?.();
        } else if (++done === DRAIN_TASKS) finished.resolve();
      });
      await worker.isReady();
      consumerId = await broker.redis.client('ID');
      global.gc?.();

      console.info = () => undefined;
      meter = await DrainMeter.start();
      running = worker.start().then(() => (stopped = true));
      await within(finished.promise, 120_000, 'the celery-node drain');
      const drained = await meter.stop(DRAIN_TASKS);

      measuring = true;
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const ran = signal();
        started = ran.resolve;
        sentAt = performance.now();
        await admin.lpush(QUEUE, kombuTaskEnvelope('bench.noop', [PAYLOAD]));
        await within(ran.promise, 5000, 'a celery-node task to start');
      }

      return { ...drained, latenciesMs: samples };
    } finally {
      await meter?.close();
      // celery-node's stop() is not implemented and disconnect() waits for its
      // BRPOP (5 s timeout) to come back: set its closing flag, then unblock it.
      broker.closing = true;
      console.log = () => undefined;
      for (let i = 0; i < 100 && running && !stopped && consumerId !== undefined; i++) {
        await admin.client('UNBLOCK', consumerId).catch(() => undefined);
        await Promise.race([running, sleep(50)]);
      }
      if (!running || stopped) await worker.disconnect().catch(() => undefined);
      else {
        broker.redis.disconnect();
        worker.backend.disconnect().catch(() => undefined);
      }
      console.info = info;
      console.log = log;
      await admin.quit().catch(() => admin.disconnect());
    }
  },
};
