/**
 * The numbers of a simulation, read from its log: what was sent and how it
 * ended, what ran more than once, how long tasks waited and ran, and how deep
 * the queues got. Pure, so it is tested on hand-written logs.
 */
import type { SimEvent } from './sim-log';
import type { IdempotencyOutcome } from './sim-task-wrapper';
import type { Diagnosis } from './sim-diagnoses';

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface QueueDepthSample {
  /** ms since the start. */
  t: number;
  queue: string;
  ready: number;
  unacked: number;
}

export interface SimReport {
  seed: number;
  /** Virtual time simulated, ms. */
  simulatedMs: number;
  /** Real time the run took, ms. */
  wallMs: number;
  workers: number;
  concurrency: number;
  tasks: {
    sent: number;
    succeeded: number;
    failed: number;
    /** Retry events (a task retried three times counts three). */
    retried: number;
    revoked: number;
    /** Started at least once, never finished, and not waiting anywhere at the end. */
    lost: number;
    /** Still in a queue or held by a worker when the run ended. */
    unfinished: number;
  };
  lostTasks: string[];
  /** Tasks whose code ran more than once for one id (retries are not counted: they are meant). */
  executedMoreThanOnce: { name: string; tasks: number; extraRuns: number }[];
  idempotency: { name: string; checked: number; failed: number; example?: { task: string; afterOnce: string; afterTwice: string } }[];
  latency: { waitMs: Percentiles; runMs: Percentiles };
  queueDepth: QueueDepthSample[];
  /** Per queue, the moment the most messages were in it (ready + delivered, unacked). */
  maxQueueDepth: { queue: string; ready: number; unacked: number; t: number }[];
  faults: string[];
  diagnoses: Diagnosis[];
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] };
}


export interface ReportInputs {
  seed: number;
  simulatedMs: number;
  wallMs: number;
  workers: number;
  concurrency: number;
  /** Labels of tasks still in a queue or held by a worker at the end. */
  waiting: ReadonlySet<string>;
  idempotency: readonly IdempotencyOutcome[];
  labelOf(id: string): string;
  samples: QueueDepthSample[];
  diagnoses: Diagnosis[];
}

export function buildReport(events: readonly SimEvent[], i: ReportInputs): SimReport {
  const sentIds = new Set<string>();
  const ended = new Set<string>();
  const started = new Map<string, number>();
  const names = new Map<string, string>();
  const attemptStart = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const wait: number[] = [];
  const run: number[] = [];
  let succeeded = 0;
  let failed = 0;
  let retried = 0;
  let revoked = 0;
  const faults: string[] = [];
  // A send's event can land after the worker's (the broker delivered first): read them up front.
  const sentAt = new Map<string, number>();
  for (const e of events) if (e.type === 'task-sent' && e.task && !sentAt.has(e.task)) sentAt.set(e.task, e.t);

  for (const e of events) {
    if (e.type === 'fault') {
      faults.push(`${(e.t / 1000).toFixed(3)}s ${e.detail}`);
      continue;
    }
    const task = e.task;
    if (!task) continue;
    if (e.name) names.set(task, e.name);
    switch (e.type) {
      case 'task-sent':
        sentIds.add(task);
        break;
      case 'task-received':
        // Waiting starts when it was sent (or its ETA), not when a worker took it.
        if (!readyAt.has(task)) readyAt.set(task, Math.max(sentAt.get(task) ?? e.t, e.eta ?? 0));
        break;
      case 'task-started': {
        started.set(task, (started.get(task) ?? 0) + 1);
        attemptStart.set(task, e.t);
        const ready = readyAt.get(task);
        if (ready !== undefined) wait.push(Math.max(0, e.t - ready));
        readyAt.delete(task);
        break;
      }
      case 'task-retried':
        retried++;
        readyAt.set(task, e.eta ?? e.t);
        endRun(task, e.t);
        break;
      case 'task-succeeded':
      case 'task-failed':
      case 'task-revoked':
        if (!ended.has(task)) {
          if (e.type === 'task-succeeded') succeeded++;
          else if (e.type === 'task-failed') failed++;
          else revoked++;
        }
        ended.add(task);
        endRun(task, e.t);
        break;
    }
  }

  function endRun(task: string, t: number): void {
    const s = attemptStart.get(task);
    if (s !== undefined) run.push(t - s);
    attemptStart.delete(task);
  }

  // Runs of one id beyond the first, outside retries: duplicates and redeliveries.
  const extraByName = new Map<string, { tasks: number; extraRuns: number }>();
  const extraRuns = countExtraRuns(events);
  for (const [task, extra] of extraRuns) {
    const name = names.get(task) ?? '?';
    const entry = extraByName.get(name) ?? { tasks: 0, extraRuns: 0 };
    entry.tasks++;
    entry.extraRuns += extra;
    extraByName.set(name, entry);
  }

  const lostTasks = [...started.keys()].filter((t) => !ended.has(t) && !i.waiting.has(t)).sort(byLabel);
  const unfinished = [...i.waiting].filter((t) => !ended.has(t)).length;

  const idem = new Map<string, { checked: number; failed: number; example?: { task: string; afterOnce: string; afterTwice: string } }>();
  for (const o of i.idempotency) {
    const entry = idem.get(o.name) ?? { checked: 0, failed: 0 };
    entry.checked++;
    if (!o.same) {
      entry.failed++;
      entry.example ??= { task: i.labelOf(o.taskId), afterOnce: o.afterOnce, afterTwice: o.afterTwice };
    }
    idem.set(o.name, entry);
  }

  const maxDepth = new Map<string, { ready: number; unacked: number; t: number }>();
  for (const s of i.samples) {
    const m = maxDepth.get(s.queue);
    if (!m || s.ready + s.unacked > m.ready + m.unacked) maxDepth.set(s.queue, { ready: s.ready, unacked: s.unacked, t: s.t });
  }

  return {
    seed: i.seed,
    simulatedMs: i.simulatedMs,
    wallMs: i.wallMs,
    workers: i.workers,
    concurrency: i.concurrency,
    tasks: { sent: sentIds.size, succeeded, failed, retried, revoked, lost: lostTasks.length, unfinished },
    lostTasks,
    executedMoreThanOnce: [...extraByName].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.extraRuns - a.extraRuns || a.name.localeCompare(b.name)),
    idempotency: [...idem].map(([name, v]) => ({ name, ...v })).sort((a, b) => a.name.localeCompare(b.name)),
    latency: { waitMs: percentiles(wait), runMs: percentiles(run) },
    queueDepth: i.samples,
    maxQueueDepth: [...maxDepth].map(([queue, v]) => ({ queue, ...v })).sort((a, b) => a.queue.localeCompare(b.queue)),
    faults,
    diagnoses: i.diagnoses,
  };
}

/** Per task: starts beyond one per attempt (an attempt ends with a retry). */
export function countExtraRuns(events: readonly SimEvent[]): Map<string, number> {
  const perAttempt = new Map<string, number>();
  const extra = new Map<string, number>();
  for (const e of events) {
    if (!e.task) continue;
    if (e.type === 'task-retried') perAttempt.set(e.task, 0);
    if (e.type !== 'task-started') continue;
    const n = (perAttempt.get(e.task) ?? 0) + 1;
    perAttempt.set(e.task, n);
    if (n > 1) extra.set(e.task, (extra.get(e.task) ?? 0) + 1);
  }
  return extra;
}

function byLabel(a: string, b: string): number {
  return Number(a.slice(1)) - Number(b.slice(1));
}
