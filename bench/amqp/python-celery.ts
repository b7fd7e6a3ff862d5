/**
 * Real Python Celery 5.2 (Debian python3-celery + python3-amqp) on the same
 * RabbitMQ. Its client and tasks live in bench/python/celeriac_bench_amqp.py.
 *
 * Enqueue: `apply_async` in a loop in a Python process, timed there, with
 * Celery's defaults (py-amqp, no publisher confirms). Drain: a prefork worker
 * with 2 children (prefetch 2 × 4 = 8) empties the queue the client filled.
 * A Python worker takes ≈ 1 s to start (imports, forking the pool), so the
 * clock starts at its first finished task and stops at the last
 * ((N − 1) tasks over that time); the tasks append a byte each to a file whose
 * size the bench polls, so counting needs no result backend. CPU is utime +
 * stime of every process in the worker's process group over the same window.
 * Latency: a raw Celery-format `bench.mark` message is published; the task
 * appends its start time (CLOCK_MONOTONIC, as process.hrtime) to a second file.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { groupCpuUs, PYTHON, PYTHON_MODULE_DIR, pythonMissing, spawnPythonWorker, stopPythonWorker, type PythonWorker } from '../python-process';
import {
  AMQP_URL,
  celeryTaskMessage,
  connect,
  DRAIN_TASKS,
  DrainMeter,
  LATENCY_SAMPLES,
  PAYLOAD,
  publishConfirmed,
  Skip,
  waitUntil,
  type BenchSystem,
  type SystemSample,
} from './common';

const MODULE = 'celeriac_bench_amqp';

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Celery's client in a Python process: returns tasks/s as it timed them. */
function pythonEnqueue(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [`${MODULE}.py`, 'send', String(DRAIN_TASKS)],
      { cwd: PYTHON_MODULE_DIR, timeout: 120_000, env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1' } },
      (err, stdout, stderr) => {
        const [count, seconds] = stdout.trim().split(/\s+/).map(Number);
        if (err || !(count > 0 && seconds > 0)) reject(new Error(`the Python Celery client failed: ${err?.message ?? ''}\n${stderr.slice(-2000)}`));
        else resolve(count / seconds);
      },
    );
  });
}

export const pythonCelery: BenchSystem = {
  name: 'Python Celery 5.2 prefork -c 2',
  short: 'Python Celery',
  async run(queue: string): Promise<SystemSample> {
    const missing = await pythonMissing('celery, amqp');
    if (missing !== undefined) throw new Skip(`python celery: skipped (${PYTHON} -c 'import celery, amqp' failed: ${missing})`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-bench-amqp-'));
    const done = path.join(dir, 'done');
    const startedFile = path.join(dir, 'started');
    const env = { CELERIAC_BENCH_BROKER: AMQP_URL, CELERIAC_BENCH_QUEUE: queue, CELERIAC_BENCH_DONE: done, CELERIAC_BENCH_STARTED: startedFile };
    let worker: PythonWorker | undefined;
    const admin = await connect();
    try {
      const enqueuePerSec = await pythonEnqueue(env);

      const spawnedAt = performance.now();
      worker = spawnPythonWorker(
        MODULE,
        ['--pool=prefork', '-c', '2', '-Q', queue, '-n', `${queue}@%h`, '--without-mingle', '--without-gossip', '--without-heartbeat', '-l', 'warning'],
        env,
      );
      const w = worker;
      await waitUntil(() => (w.assertAlive(), fileSize(done) > 0), 60_000, 'the Python Celery worker to start', 2);
      const startupMs = performance.now() - spawnedAt;
      const meter = new DrainMeter(() => groupCpuUs(w.pid));
      await waitUntil(() => (w.assertAlive(), fileSize(done) >= DRAIN_TASKS), 180_000, 'the Python Celery drain', 5);
      const drained = meter.stop(DRAIN_TASKS - 1);

      const ch = await admin.createConfirmChannel();
      fs.writeFileSync(startedFile, '');
      let read = 0;
      const samples: number[] = [];
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const sent = process.hrtime.bigint(); // CLOCK_MONOTONIC, as Python's time.monotonic_ns()
        await publishConfirmed(ch, queue, celeryTaskMessage('bench.mark', [PAYLOAD]));
        let text = '';
        await waitUntil(
          () => (w.assertAlive(), fileSize(startedFile) > read && (text = fs.readFileSync(startedFile, 'utf8')).indexOf('\n', read) > 0),
          5000,
          'a Python Celery task to start',
          1,
        );
        const line = text.slice(read, text.indexOf('\n', read));
        read += line.length + 1;
        samples.push(Number(BigInt(line) - sent) / 1e6);
      }
      return { enqueuePerSec, ...drained, latenciesMs: samples, extra: { startupMs } };
    } finally {
      if (worker) await stopPythonWorker(worker);
      await admin.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
