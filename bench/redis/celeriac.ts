/**
 * Celeriac on `redis://` (kombu's Redis layout, at-least-once: every message
 * is tracked in `unacked`, or for the moment before its adoption in the idle
 * worker's holding list, until the worker acks it). Prefill with
 * `task.delay(payload)`, then a fresh Worker (async pool, concurrency 100)
 * drains; the task function counts. Latency with the same worker running.
 */
import { performance } from 'node:perf_hooks';
import { createApp, Worker, type App } from '../../src/runtime';
import { createLogger } from '../../src/runtime/log';
import {
  CONCURRENCY,
  DRAIN_TASKS,
  LATENCY_SAMPLES,
  PAYLOAD,
  DrainMeter,
  QUEUE,
  REDIS_URL,
  signal,
  Skip,
  within,
  type BenchSystem,
  type SystemSample,
} from './common';

const silent = createLogger({ level: 'silent' });
/** Sends in flight during the prefill (not timed). */
const PREFILL_WINDOW = 200;

/** Until `redis://` exists, creating or connecting the broker fails with "unsupported broker URL". */
function unsupported(err: unknown): unknown {
  return /unsupported broker URL/i.test((err as Error)?.message ?? '') ? new Skip('celeriac: redis broker not available yet') : err;
}

export const celeriac: BenchSystem = {
  name: 'celeriac',
  short: 'celeriac',
  async run(): Promise<SystemSample> {
    let app: App;
    try {
      app = createApp({ broker: REDIS_URL, task_ignore_result: true, task_default_queue: QUEUE }, { log: silent });
    } catch (err) {
      throw unsupported(err);
    }
    let worker: Worker | undefined;
    let meter: DrainMeter | undefined;
    try {
      await app.connectBroker().catch((err: unknown) => Promise.reject(unsupported(err)));
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

      for (let i = 0; i < DRAIN_TASKS; i += PREFILL_WINDOW) {
        const n = Math.min(PREFILL_WINDOW, DRAIN_TASKS - i);
        await Promise.all(Array.from({ length: n }, () => noop.delay(PAYLOAD)));
      }

      worker = new Worker(app, { concurrency: CONCURRENCY, log: silent });
      global.gc?.();
      meter = await DrainMeter.start();
      await worker.start();
      await within(finished.promise, 120_000, 'the Celeriac drain');
      const drained = await meter.stop(DRAIN_TASKS);

      measuring = true;
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const ran = signal();
        started = ran.resolve;
        sentAt = performance.now();
        await noop.delay(PAYLOAD);
        await within(ran.promise, 5000, 'a Celeriac task to start');
      }
      return { ...drained, latenciesMs: samples };
    } finally {
      await meter?.close();
      await worker?.stop().catch(() => undefined);
      await app.close().catch(() => undefined);
    }
  },
};
