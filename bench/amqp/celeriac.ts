/**
 * Celeriac on `amqp://` with its defaults: publisher confirms (a `delay()`
 * resolves once RabbitMQ has the message), manual acks (early: when the task
 * starts), prefetch = concurrency × worker_prefetch_multiplier (4) = 400,
 * worker events and remote control on. Enqueue = `task.delay(payload)` with
 * ENQUEUE_WINDOW calls unconfirmed at once; then a fresh Worker (async pool,
 * concurrency 100) drains; the task function counts. Latency with the same
 * worker running: `await delay()` one at a time.
 */
import { performance } from 'node:perf_hooks';
import { createApp, Worker, type App } from '../../src/runtime';
import { createLogger } from '../../src/runtime/log';
import {
  AMQP_URL,
  CONCURRENCY,
  DRAIN_TASKS,
  DrainMeter,
  ENQUEUE_WINDOW,
  LATENCY_SAMPLES,
  PAYLOAD,
  signal,
  streamed,
  within,
  type BenchSystem,
  type SystemSample,
} from './common';

const silent = createLogger({ level: 'silent' });

export const celeriac: BenchSystem = {
  name: 'celeriac (confirms, acks)',
  short: 'celeriac',
  async run(queue: string): Promise<SystemSample> {
    const app: App = createApp({ broker: AMQP_URL, task_ignore_result: true, task_default_queue: queue }, { log: silent });
    let worker: Worker | undefined;
    try {
      let done = 0;
      const finished = signal();
      let measuring = false;
      let sentAt = 0;
      const samples: number[] = [];
      let started: ((v: void) => void) | undefined;
      const noop = app.task('bench.noop', (_payload: string) => {
        if (measuring) {
          samples.push(performance.now() - sentAt);
          started?.();
        } else if (++done === DRAIN_TASKS) finished.resolve();
      });

      // The first send connects and declares the queue: not timed.
      await noop.delay(PAYLOAD);
      const seconds = await streamed(DRAIN_TASKS - 1, ENQUEUE_WINDOW, () => noop.delay(PAYLOAD));
      const enqueuePerSec = (DRAIN_TASKS - 1) / seconds;

      worker = new Worker(app, { concurrency: CONCURRENCY, log: silent });
      global.gc?.();
      const meter = new DrainMeter();
      await worker.start();
      await within(finished.promise, 120_000, 'the Celeriac drain');
      const drained = meter.stop(DRAIN_TASKS);

      measuring = true;
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const ran = signal();
        started = ran.resolve;
        sentAt = performance.now();
        await noop.delay(PAYLOAD);
        await within(ran.promise, 5000, 'a Celeriac task to start');
      }
      return { enqueuePerSec, ...drained, latenciesMs: samples };
    } finally {
      await worker?.stop().catch(() => undefined);
      await app.close().catch(() => undefined);
    }
  },
};
