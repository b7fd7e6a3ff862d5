/**
 * A real Python Celery 5.2 worker (Debian python3-celery), prefork pool with
 * 2 children, on the same Redis db. Its tasks live in bench/python/celeriac_bench.py.
 *
 * Start-up of a Python worker (imports, forking the pool) takes 0.3–0.5 s
 * here, so the drain does not time it: the worker starts on an empty queue, runs 4 warm-up tasks, and the
 * 20,000 prefilled messages then appear at once by RENAME of a staging list
 * onto the queue (which wakes the worker's BRPOP). The clock starts at the
 * RENAME; completions are counted by the task (INCR) and polled. CPU is
 * utime + stime from /proc of every process in the worker's process group.
 */
import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import { groupCpuUs, PYTHON, pythonMissing, spawnPythonWorker, stopPythonWorker, type PythonWorker } from '../python-process';
import {
  adminClient,
  bulkLpush,
  DrainMeter,
  DRAIN_TASKS,
  kombuTaskEnvelope,
  LATENCY_SAMPLES,
  PAYLOAD,
  QUEUE,
  REDIS_URL,
  Skip,
  waitUntil,
  type BenchSystem,
  type SystemSample,
} from './common';

const STAGING = `${QUEUE}-staging`;
const DONE = 'bench:done';
const STARTED = 'bench:started';
const WARMUP = 4;

function startWorker(): PythonWorker {
  return spawnPythonWorker('celeriac_bench', ['--pool=prefork', '-c', '2', '--without-mingle', '--without-gossip', '-l', 'warning'], {
    CELERIAC_BENCH_BROKER: REDIS_URL,
  });
}

async function count(admin: Redis): Promise<number> {
  return Number((await admin.get(DONE)) ?? 0);
}

export const pythonCelery: BenchSystem = {
  name: 'Python Celery 5.2 prefork -c 2',
  short: 'Python Celery',
  async run(): Promise<SystemSample> {
    const missing = await pythonMissing('celery, redis');
    if (missing !== undefined) throw new Skip(`python celery: skipped (${PYTHON} -c 'import celery, redis' failed: ${missing})`);
    const admin = adminClient();
    const blocking = adminClient();
    let worker: PythonWorker | undefined;
    let meter: DrainMeter | undefined;
    const alive = () => worker?.assertAlive();
    try {
      await Promise.all([admin.connect(), blocking.connect()]);
      const envelopes = Array.from({ length: DRAIN_TASKS }, () => kombuTaskEnvelope('bench.noop', [PAYLOAD]));
      await bulkLpush(admin, STAGING, envelopes);

      const spawnedAt = performance.now();
      worker = startWorker();
      await bulkLpush(admin, QUEUE, Array.from({ length: WARMUP }, () => kombuTaskEnvelope('bench.noop', [PAYLOAD])));
      await waitUntil(async () => (alive(), (await count(admin)) >= WARMUP), 60_000, 'the Python Celery worker to start', 20);
      const startupMs = performance.now() - spawnedAt;
      await admin.del(DONE);

      const pgid = worker.pid;
      meter = await DrainMeter.start(() => groupCpuUs(pgid));
      await admin.rename(STAGING, QUEUE);
      await waitUntil(async () => (alive(), (await count(admin)) >= DRAIN_TASKS), 180_000, 'the Python Celery drain');
      const drained = await meter.stop(DRAIN_TASKS);

      const samples: number[] = [];
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const sent = process.hrtime.bigint(); // CLOCK_MONOTONIC, as Python's time.monotonic_ns()
        await admin.lpush(QUEUE, kombuTaskEnvelope('bench.mark', [PAYLOAD]));
        const reply = await blocking.brpop(STARTED, 5);
        if (!reply) {
          alive();
          throw new Error('a Python Celery task did not start within 5 s');
        }
        samples.push(Number(BigInt(reply[1]) - sent) / 1e6);
      }
      return { ...drained, latenciesMs: samples, extra: { startupMs } };
    } finally {
      await meter?.close();
      if (worker) await stopPythonWorker(worker);
      await Promise.all([admin.quit().catch(() => admin.disconnect()), blocking.quit().catch(() => blocking.disconnect())]);
    }
  },
};
