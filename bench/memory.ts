/**
 * Memory broker, end to end, in one process: Celeriac's full path (protocol v2
 * encode, broker, prefetch, decode, async pool, ack) against the floor of a bare
 * in-process FIFO with the same number of async consumers.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createApp, Worker } from '../src/runtime/index';
import { createLogger } from '../src/runtime/log';
import { percentile } from '../src/runtime/cli/stats';
import type { BenchResult } from './report';

const silent = createLogger({ level: 'silent' });

async function celeriacDrain(total: number, concurrency: number, ignoreResult: boolean): Promise<number> {
  const queue = `bench-${randomUUID()}`;
  const app = createApp({ broker: 'memory://', task_default_queue: queue, task_ignore_result: ignoreResult }, { log: silent });
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const noop = app.task('bench.noop', (_i: number) => {
    if (++done === total) finish();
  });
  for (let i = 0; i < total; i++) await noop.delay(i);
  const worker = new Worker(app, { concurrency, log: silent });
  const t0 = performance.now();
  await worker.start();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop();
  await app.close();
  return total / seconds;
}

async function celeriacEnqueue(total: number): Promise<number> {
  const queue = `bench-${randomUUID()}`;
  const app = createApp({ broker: 'memory://', task_default_queue: queue }, { log: silent });
  const noop = app.task('bench.noop', (_i: number) => undefined);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) await noop.delay(i);
  const seconds = (performance.now() - t0) / 1000;
  (await app.connectBroker()).purge(queue);
  await app.close();
  return total / seconds;
}

async function celeriacLatency(count: number): Promise<number[]> {
  const queue = `bench-${randomUUID()}`;
  const app = createApp({ broker: 'memory://', task_default_queue: queue, task_ignore_result: true }, { log: silent });
  let started: (() => void) | undefined;
  let sentAt = 0;
  const samples: number[] = [];
  const noop = app.task('bench.noop', () => {
    samples.push(performance.now() - sentAt);
    started?.();
  });
  const worker = new Worker(app, { concurrency: 1, log: silent });
  await worker.start();
  for (let i = 0; i < count; i++) {
    const ran = new Promise<void>((r) => (started = r));
    sentAt = performance.now();
    await noop.delay();
    await ran;
  }
  await worker.stop();
  await app.close();
  return samples;
}

/** The floor: a FIFO of job objects drained by N async consumers, each awaiting an async no-op handler. */
async function fifoDrain(total: number, concurrency: number): Promise<number> {
  const jobs: { id: number; args: number[] }[] = [];
  for (let i = 0; i < total; i++) jobs.push({ id: i, args: [i] });
  let head = 0;
  const handler = async (_job: { id: number; args: number[] }) => undefined;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (head < jobs.length) await handler(jobs[head++]);
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

async function fifoLatency(count: number): Promise<number[]> {
  const samples: number[] = [];
  let wake: ((t: number) => void) | undefined;
  const consumer = (async () => {
    for (let i = 0; i < count; i++) {
      const sentAt = await new Promise<number>((r) => (wake = r));
      samples.push(performance.now() - sentAt);
    }
  })();
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setImmediate(r));
    wake?.(performance.now());
  }
  await consumer;
  return samples;
}

function median(xs: number[]): number {
  return percentile(xs, 50);
}

export async function runMemoryBench(rounds: number): Promise<BenchResult[]> {
  const total = 100_000;
  const drain: number[] = [];
  const drainStored: number[] = [];
  const enqueue: number[] = [];
  const floor: number[] = [];
  const lat: number[][] = [];
  const floorLat: number[][] = [];
  // Interleave the systems in each round so machine load affects both alike.
  for (let r = 0; r < rounds; r++) {
    floor.push(await fifoDrain(total, 100));
    drain.push(await celeriacDrain(total, 100, true));
    drainStored.push(await celeriacDrain(total / 2, 100, false));
    enqueue.push(await celeriacEnqueue(total / 2));
    lat.push(await celeriacLatency(1000));
    floorLat.push(await fifoLatency(1000));
    global.gc?.();
  }
  const latAll = lat.flat();
  const floorAll = floorLat.flat();
  return [
    { system: 'in-process FIFO (floor)', metric: 'drain tasks/s, c=100', value: median(floor) },
    { system: 'celeriac memory://', metric: 'drain tasks/s, c=100, results ignored', value: median(drain), peer: median(floor) },
    { system: 'celeriac memory://', metric: 'drain tasks/s, c=100, results stored', value: median(drainStored), peer: median(floor) },
    { system: 'celeriac memory://', metric: 'enqueue tasks/s (delay, awaited)', value: median(enqueue) },
    { system: 'in-process FIFO (floor)', metric: 'enqueue→start p50 ms', value: percentile(floorAll, 50) },
    { system: 'celeriac memory://', metric: 'enqueue→start p50 ms', value: percentile(latAll, 50), peer: percentile(floorAll, 50) },
    { system: 'celeriac memory://', metric: 'enqueue→start p99 ms', value: percentile(latAll, 99), peer: percentile(floorAll, 99) },
  ];
}
