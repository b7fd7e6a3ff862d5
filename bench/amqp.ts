/**
 * AMQP: Celeriac's `amqp://` broker (publisher confirms and manual acks on)
 * against bare amqplib, celery-node and a real Python Celery worker, on the
 * same RabbitMQ, in the same run, in rotating order; each system in each
 * round on a queue of its own, deleted afterwards.
 *
 * Per system and round: enqueue 20,000 ~300 B no-op tasks with the system's
 * own client (tasks/s), drain them with a fresh worker at concurrency 100
 * (tasks/s, worker and RabbitMQ CPU µs/task), then 500 sequential
 * enqueue→start samples with that worker still running.
 */
import { percentile } from '../src/runtime/cli/stats';
import type { BenchResult } from './report';
import { AMQP_URL, benchQueue, CONCURRENCY, connect, DRAIN_TASKS, ENQUEUE_WINDOW, LATENCY_SAMPLES, RAW_PREFETCH, Skip, withQueue, type BenchSystem, type SystemSample } from './amqp/common';
import { celeriac } from './amqp/celeriac';
import { rawAmqplib } from './amqp/raw-amqplib';
import { celeryNode, CN_ENQUEUE_TASKS, CN_EXCHANGE } from './amqp/celery-node';
import { pythonCelery } from './amqp/python-celery';

const SYSTEMS: BenchSystem[] = [celeriac, rawAmqplib, celeryNode, pythonCelery];
const SHORT_NAMES = new Map<BenchSystem, string>([
  [celeriac, 'celeriac'],
  [rawAmqplib, 'raw'],
  [celeryNode, 'celery-node'],
  [pythonCelery, 'python'],
]);

/** Goals of issue 4, on the drain rate: ≥ 60 % of raw amqplib, ahead of celery-node, ≥ 5× Python Celery. */
const GOALS: { peer: BenchSystem; atLeast: number }[] = [
  { peer: rawAmqplib, atLeast: 0.6 },
  { peer: celeryNode, atLeast: 1 },
  { peer: pythonCelery, atLeast: 5 },
];

const say = (line: string) => process.stdout.write(`${line}\n`);

function median(xs: number[]): number {
  return xs.length ? percentile(xs, 50) : NaN;
}

function n(v: number | undefined, digits = 0): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

interface Figures {
  enqueue: number;
  drain: number;
  cpu: number;
  brokerCpu: number;
  p50: number;
  p95: number;
}

function figures(samples: SystemSample[]): Figures {
  const lat = samples.flatMap((s) => s.latenciesMs);
  const defined = (pick: (s: SystemSample) => number | undefined) => samples.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return {
    enqueue: median(defined((s) => s.enqueuePerSec)),
    drain: median(samples.map((s) => s.drainPerSec)),
    cpu: median(defined((s) => s.cpuUsPerTask)),
    brokerCpu: median(defined((s) => s.brokerCpuUsPerTask)),
    p50: lat.length ? percentile(lat, 50) : NaN,
    p95: lat.length ? percentile(lat, 95) : NaN,
  };
}

export async function runAmqpBench(rounds: number): Promise<BenchResult[]> {
  // Fail at once, with a clear message, when there is no RabbitMQ.
  await (await connect()).close();
  say(
    `amqp: ${AMQP_URL.replace(/\/\/[^@]*@/, '//')}, a queue per system and round (deleted after); ${DRAIN_TASKS.toLocaleString('en-US')} tasks ` +
      `enqueued by each system's client (Celeriac and raw: ${ENQUEUE_WINDOW} confirms outstanding; celery-node: ${CN_ENQUEUE_TASKS} tasks; Python: no confirms, Celery's default), ` +
      `drained at c=${CONCURRENCY} (raw: prefetch ${RAW_PREFETCH}; Celeriac: prefetch ${CONCURRENCY * 4}), ${LATENCY_SAMPLES} sequential enqueue→start samples; ` +
      `${rounds} round(s), systems in rotating order`,
  );
  say('CPU per task: worker = this process (Node workers) or the worker\'s process group (Python); RabbitMQ = its beam.smp over the drain (whole server: other clients count too)');

  const samples = new Map<BenchSystem, SystemSample[]>(SYSTEMS.map((s) => [s, []]));
  const skipped = new Set<BenchSystem>();
  for (let r = 0; r < rounds; r++) {
    const order = SYSTEMS.map((_, i) => SYSTEMS[(i + r) % SYSTEMS.length]);
    for (const system of order) {
      if (skipped.has(system)) continue;
      const queue = benchQueue(SHORT_NAMES.get(system)!, r + 1);
      try {
        const sample = await withQueue(queue, () => system.run(queue), system === celeryNode ? [CN_EXCHANGE] : []);
        samples.get(system)!.push(sample);
        const lat = sample.latenciesMs;
        say(
          `  round ${r + 1}/${rounds} ${system.name}: enqueue ${n(sample.enqueuePerSec)}/s, drain ${n(sample.drainPerSec)} tasks/s, ` +
            `${n(sample.cpuUsPerTask, 1)} µs worker CPU/task, ${n(sample.brokerCpuUsPerTask, 1)} µs RabbitMQ CPU/task, ` +
            `p50 ${n(percentile(lat, 50), 3)} ms, p95 ${n(percentile(lat, 95), 3)} ms`,
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
    say(`python celery: worker start-up (spawn → first task done) median ${n(median(startup))} ms, not in its drain figure`);
  }
  const subject = figs.get(celeriac);
  if (!subject) say('celeriac: no successful round, no ratios');
  else {
    for (const goal of GOALS) {
      const peer = figs.get(goal.peer);
      if (!peer) continue;
      const ratio = subject.drain / peer.drain;
      say(
        `goal: celeriac drain ≥ ${goal.atLeast}× ${goal.peer.short}: ${ratio.toFixed(2)}× (${n(subject.drain)} vs ${n(peer.drain)} tasks/s) — ` +
          (ratio >= goal.atLeast ? 'met' : 'NOT met'),
      );
    }
  }

  const metrics: { label: string; pick: (f: Figures) => number }[] = [
    { label: 'enqueue tasks/s', pick: (f) => f.enqueue },
    { label: `drain tasks/s, c=${CONCURRENCY}`, pick: (f) => f.drain },
    { label: 'worker CPU µs/task (drain)', pick: (f) => f.cpu },
    { label: 'RabbitMQ CPU µs/task (drain)', pick: (f) => f.brokerCpu },
    { label: 'enqueue→start p50 ms', pick: (f) => f.p50 },
    { label: 'enqueue→start p95 ms', pick: (f) => f.p95 },
  ];
  const rows: BenchResult[] = [];
  for (const m of metrics) {
    for (const system of measured) {
      const value = m.pick(figs.get(system)!);
      const row: BenchResult = { system: system.name, metric: m.label, value };
      if (system === celeriac) {
        row.peers = Object.fromEntries(measured.filter((p) => p !== celeriac).map((p) => [p.short, m.pick(figs.get(p)!)]));
      }
      rows.push(row);
    }
  }
  return rows;
}
