/**
 * Redis: Celeriac's `redis://` broker against BullMQ, celery-node, a real
 * Python Celery worker and bare ioredis, on the same Redis (db 14, emptied
 * before and after each system), in the same run, in rotating order.
 *
 * Per system and round: drain (20,000 prefilled ~300 B no-op tasks, a fresh
 * worker at concurrency 100 → tasks/s and worker CPU µs/task), then 1,000
 * sequential enqueue→start samples with that worker still running.
 */
import { percentile } from '../src/runtime/cli/stats';
import type { BenchResult } from './report';
import { CONCURRENCY, connectAdmin, DRAIN_TASKS, LATENCY_SAMPLES, REDIS_URL, Skip, withCleanDb, type BenchSystem, type SystemSample } from './redis/common';
import { celeriac } from './redis/celeriac';
import { bullmq } from './redis/bullmq';
import { celeryNode } from './redis/celery-node';
import { pythonCelery } from './redis/python-celery';
import { rawIoredis } from './redis/raw-ioredis';

const SYSTEMS: BenchSystem[] = [celeriac, bullmq, celeryNode, pythonCelery, rawIoredis];

const say = (line: string) => process.stdout.write(`${line}\n`);

function median(xs: number[]): number {
  return percentile(xs, 50);
}

function n(v: number, digits = 0): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

interface Figures {
  drain: number;
  cpu: number;
  redisCpu: number;
  p50: number;
  p99: number;
}

function figures(samples: SystemSample[]): Figures {
  const lat = samples.flatMap((s) => s.latenciesMs);
  const cpu = samples.map((s) => s.cpuUsPerTask).filter((v): v is number => v !== undefined);
  const redisCpu = samples.map((s) => s.redisCpuUsPerTask).filter((v): v is number => v !== undefined);
  return {
    drain: median(samples.map((s) => s.drainPerSec)),
    cpu: cpu.length ? median(cpu) : NaN,
    redisCpu: redisCpu.length ? median(redisCpu) : NaN,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
  };
}

export async function runRedisBench(rounds: number): Promise<BenchResult[]> {
  // Fail at once, with a clear message, when there is no Redis.
  const probe = await connectAdmin();
  await probe.quit();
  say(
    `redis: ${REDIS_URL} (db flushed before/after each system); drain ${n(DRAIN_TASKS)} tasks at c=${CONCURRENCY}, ` +
      `${n(LATENCY_SAMPLES)} sequential enqueue→start samples; ${rounds} round(s), systems in rotating order`,
  );
  say(
    'CPU per task: worker = this process (Node workers) or the worker\'s process group (Python); ' +
      'Redis = redis-server INFO cpu delta over the drain (whole server: other clients of it count too)',
  );

  const samples = new Map<BenchSystem, SystemSample[]>(SYSTEMS.map((s) => [s, []]));
  const skipped = new Set<BenchSystem>();
  for (let r = 0; r < rounds; r++) {
    const order = SYSTEMS.map((_, i) => SYSTEMS[(i + r) % SYSTEMS.length]);
    for (const system of order) {
      if (skipped.has(system)) continue;
      try {
        const sample = await withCleanDb(system.name, () => system.run());
        samples.get(system)!.push(sample);
        const lat = sample.latenciesMs;
        say(
          `  round ${r + 1}/${rounds} ${system.name}: ${n(sample.drainPerSec)} tasks/s, ` +
            `${sample.cpuUsPerTask === undefined ? '—' : n(sample.cpuUsPerTask, 1)} µs worker CPU/task, ` +
            `${sample.redisCpuUsPerTask === undefined ? '—' : n(sample.redisCpuUsPerTask, 1)} µs Redis CPU/task, ` +
            `p50 ${n(percentile(lat, 50), 3)} ms, p99 ${n(percentile(lat, 99), 3)} ms`,
        );
      } catch (err) {
        if (err instanceof Skip) {
          skipped.add(system);
          say(err.message);
        } else {
          say(`  round ${r + 1}/${rounds} ${system.name}: failed: ${(err as Error).message}`);
        }
      }
      global.gc?.();
    }
  }

  const measured = SYSTEMS.filter((s) => samples.get(s)!.length > 0);
  const figs = new Map(measured.map((s) => [s, figures(samples.get(s)!)]));
  const startup = samples.get(pythonCelery)!.flatMap((s) => (s.extra?.startupMs === undefined ? [] : [s.extra.startupMs]));
  if (startup.length) {
    say(`python celery: worker start-up (spawn → 4 warm-up tasks done) median ${n(median(startup))} ms, not in its drain figure`);
  }
  if (!figs.has(celeriac) && !skipped.has(celeriac)) say('celeriac: no successful round, no ratios');

  const metrics: { label: string; pick: (f: Figures) => number }[] = [
    { label: `drain tasks/s, c=${CONCURRENCY}`, pick: (f) => f.drain },
    { label: 'worker CPU µs/task (drain)', pick: (f) => f.cpu },
    { label: 'Redis server CPU µs/task (drain)', pick: (f) => f.redisCpu },
    { label: 'enqueue→start p50 ms', pick: (f) => f.p50 },
    { label: 'enqueue→start p99 ms', pick: (f) => f.p99 },
  ];
  const rows: BenchResult[] = [];
  const subject = figs.get(celeriac);
  for (const m of metrics) {
    for (const system of measured) {
      const value = m.pick(figs.get(system)!);
      const row: BenchResult = { system: system.name, metric: m.label, value };
      if (system === celeriac && subject) {
        row.peers = Object.fromEntries(measured.filter((p) => p !== celeriac).map((p) => [p.short, m.pick(figs.get(p)!)]));
      }
      rows.push(row);
    }
  }
  return rows;
}
