/**
 * celery-node 0.5.9 on AMQP (its own amqplib 0.8): the worker consumes with
 * manual-ack mode but acks each message on receipt, before the handler runs
 * (a message of a worker that dies is lost), sets no prefetch (unbounded) and
 * does not await handlers. Its client asserts the queue before every publish
 * on a socket with Nagle on, so it enqueues at ≈ 43 tasks/s here: its enqueue
 * rate is taken on CN_ENQUEUE_TASKS tasks only (messages then counted in the
 * queue by polling), and the rest of the drain is prefilled raw with
 * Celery-format messages.
 *
 * Switched off so it does the same work as the others: its per-task
 * `console.info` lines and its result backend (a stub: it has no
 * ignore_result; the AMQP one would declare a queue per task).
 */
import { performance } from 'node:perf_hooks';
import { createClient, createWorker } from 'celery-node';
import {
  AMQP_URL,
  celeryTaskMessage,
  connect,
  DRAIN_TASKS,
  DrainMeter,
  LATENCY_SAMPLES,
  PAYLOAD,
  prefill,
  publishConfirmed,
  signal,
  sleep,
  within,
  type BenchSystem,
  type SystemSample,
} from './common';

/** Tasks sent through celery-node's client for its enqueue rate (≈ 2.3 s at its pace). */
export const CN_ENQUEUE_TASKS = 100;

/** The exchange celery-node's broker declares on connecting (durable, auto-delete): removed after if it made it. */
export const CN_EXCHANGE = 'default';

/** A backend that stores nothing, in place of celery-node's lazily made one. */
const noBackend = { isReady: () => Promise.resolve(), storeResult: () => Promise.resolve(), disconnect: () => Promise.resolve() };

function withoutBackend<T extends object>(app: T): T {
  (app as unknown as { _backend: unknown })._backend = noBackend;
  return app;
}

export const celeryNode: BenchSystem = {
  name: 'celery-node (acks on receipt)',
  short: 'celery-node',
  async run(queue: string): Promise<SystemSample> {
    const info = console.info;
    console.info = () => undefined;
    const admin = await connect();
    const client = withoutBackend(createClient(AMQP_URL, AMQP_URL, queue));
    const worker = withoutBackend(createWorker(AMQP_URL, AMQP_URL, queue));
    try {
      const adminCh = await admin.createConfirmChannel();
      await client.isReady(); // connects, declares the queue: not timed
      const t0 = performance.now();
      for (let i = 0; i < CN_ENQUEUE_TASKS; i++) client.sendTask('bench.noop', [PAYLOAD], {});
      while ((await adminCh.checkQueue(queue)).messageCount < CN_ENQUEUE_TASKS) await sleep(2);
      const enqueuePerSec = CN_ENQUEUE_TASKS / ((performance.now() - t0) / 1000);
      await prefill(queue, DRAIN_TASKS - CN_ENQUEUE_TASKS, () => celeryTaskMessage('bench.noop', [PAYLOAD]));

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
      global.gc?.();
      const meter = new DrainMeter();
      void worker.start();
      await within(finished.promise, 120_000, 'the celery-node drain');
      const drained = meter.stop(DRAIN_TASKS);

      measuring = true;
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const ran = signal();
        started = ran.resolve;
        sentAt = performance.now();
        await publishConfirmed(adminCh, queue, celeryTaskMessage('bench.noop', [PAYLOAD]));
        await within(ran.promise, 5000, 'a celery-node task to start');
      }
      return { enqueuePerSec, ...drained, latenciesMs: samples };
    } finally {
      await worker.disconnect().catch(() => undefined);
      await client.disconnect().catch(() => undefined);
      await admin.close().catch(() => undefined);
      console.info = info;
    }
  },
};
