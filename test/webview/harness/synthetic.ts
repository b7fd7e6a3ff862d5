/**
 * A deterministic synthetic session for the timeline: N tasks over 8 workers
 * of 4 slots, in time order, as Celery events would report them. Python-style
 * reprs on half the workers and JSON on the other half; about 5% retried once
 * (with a countdown), 2% failed with a traceback, 0.5% revoked while queued,
 * 1% with an ETA, and every 400th task the root of a small chain or group.
 * Runs in Node (unit tests) and in the page (the harness bundles it).
 */
import type { TimelineEvent, TimelineTaskEvent } from '../../../src/shared/timeline-protocol';

export const WORKERS = Array.from({ length: 8 }, (_, i) => `celery@worker-${i + 1}`);
export const CONCURRENCY = 4;
const NAMES = ['app.tasks.send_email', 'app.tasks.generate_report', 'app.tasks.sync_account', 'app.tasks.cleanup', 'billing.charge_card', 'media.render_thumbnail'];
const QUEUES: Record<string, string> = { 'app.tasks.generate_report': 'reports', 'billing.charge_card': 'billing', 'media.render_thumbnail': 'media' };

export interface SyntheticSession {
  events: TimelineEvent[];
  /** Host clock at the end, for init. */
  now: number;
  ids: string[];
  failed: number;
  retried: number;
  revoked: number;
}

/** The id of task i, stable across runs (so tests can name one). */
export function taskId(i: number): string {
  const hex = (n: number, w: number) => (n >>> 0).toString(16).padStart(w, '0').slice(-w);
  return `${hex(i * 2654435761, 8)}-${hex(i, 4)}-4${hex(i * 7, 3)}-a${hex(i * 13, 3)}-${hex(i, 12)}`;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argsOf(i: number): { args: string; kwargs: string } {
  const python = (i % 8) % 2 === 0;
  return python
    ? { args: `(${i}, 'user-${i}@example.com')`, kwargs: `{'priority': ${i % 3}, 'dry_run': False, 'tags': ('a', 'b')}` }
    : { args: JSON.stringify([i, `user-${i}@example.com`]), kwargs: JSON.stringify({ priority: i % 3, dry_run: false }) };
}

export function syntheticSession(count: number, start = Date.UTC(2025, 0, 15, 9, 0, 0), spanMs = 3_600_000): SyntheticSession {
  const rnd = random(42);
  const events: TimelineEvent[] = [];
  const slotFree = WORKERS.map(() => new Array<number>(CONCURRENCY).fill(start));
  const ids: string[] = [];
  let failed = 0;
  let retried = 0;
  let revoked = 0;
  const gap = spanMs / count;
  for (const hostname of WORKERS) events.push({ type: 'worker-online', hostname, time: start - 1000, software: 'py-celery 5.2.7', freq: 2 });

  /** Runs a delivery on a worker's earliest free slot; returns when it ends. */
  const run = (w: number, received: number, runtime: number): { started: number; finished: number } => {
    const slots = slotFree[w];
    let s = 0;
    for (let k = 1; k < slots.length; k++) if (slots[k] < slots[s]) s = k;
    const started = Math.max(received + 1 + rnd() * 3, slots[s]);
    const finished = started + runtime;
    slots[s] = finished;
    return { started, finished };
  };

  let chainParent: string | undefined;
  let chainRoot: string | undefined;
  for (let i = 0; i < count; i++) {
    const id = taskId(i);
    ids.push(id);
    const name = NAMES[i % NAMES.length];
    const w = i % WORKERS.length;
    const hostname = WORKERS[w];
    const sent = start + i * gap + rnd() * gap;
    const { args, kwargs } = argsOf(i);
    const base = { id, name, args, kwargs, queue: QUEUES[name] ?? 'celery' };
    // Workflows: every 400th task roots a chain of 3 (even blocks) or a group of 4 (odd blocks).
    let links: Partial<TimelineTaskEvent> = {};
    const k = i % 400;
    const block = Math.floor(i / 400);
    if (k === 0) chainRoot = chainParent = id;
    else if (block % 2 === 0 && k <= 2) {
      links = { rootId: chainRoot, parentId: chainParent };
      chainParent = id;
    } else if (block % 2 === 1 && k <= 4) links = { rootId: chainRoot, parentId: chainRoot };
    const eta = i % 100 === 50 ? sent + 2000 + rnd() * 3000 : undefined;
    events.push({ type: 'task-sent', hostname: 'client@app', time: sent, ...base, ...links, ...(eta ? { eta } : {}), retries: 0 });
    if (i % 200 === 77) {
      revoked++;
      events.push({ type: 'task-revoked', hostname, time: sent + 50 + rnd() * 200, id, terminated: false });
      continue;
    }
    let received = sent + 3 + rnd() * 20;
    const runtime = () => 60 + Math.min(6000, -Math.log(1 - rnd()) * 550);
    let attempt = run(w, eta ?? received, runtime());
    events.push({ type: 'task-received', hostname, time: received, ...base, ...links, ...(eta ? { eta } : {}), retries: 0 });
    events.push({ type: 'task-started', hostname, time: attempt.started, id });
    if (i % 20 === 3) {
      retried++;
      events.push({ type: 'task-retried', hostname, time: attempt.finished, id, exception: "ConnectionError('upstream timed out')", traceback: 'Traceback (most recent call last):\n  File "app/tasks.py", line 42, in sync_account\n    client.pull()\nConnectionError: upstream timed out' });
      const countdown = 2000 + rnd() * 3000;
      const w2 = (w + 3) % WORKERS.length;
      received = attempt.finished + 5;
      attempt = run(w2, attempt.finished + countdown, runtime());
      events.push({ type: 'task-received', hostname: WORKERS[w2], time: received, ...base, eta: attempt.started - 1, retries: 1 });
      events.push({ type: 'task-started', hostname: WORKERS[w2], time: attempt.started, id });
      events.push({ type: 'task-succeeded', hostname: WORKERS[w2], time: attempt.finished, id, result: `{'synced': ${i}}`, runtime: (attempt.finished - attempt.started) / 1000 });
      continue;
    }
    if (i % 50 === 11) {
      failed++;
      events.push({ type: 'task-failed', hostname, time: attempt.finished, id, exception: `ValueError('bad input for user-${i}')`, traceback: `Traceback (most recent call last):\n  File "app/tasks.py", line 17, in ${name.split('.').pop()}\n    validate(payload)\nValueError: bad input for user-${i}` });
      continue;
    }
    events.push({ type: 'task-succeeded', hostname, time: attempt.finished, id, result: i % 2 ? `'sent to user-${i}@example.com'` : JSON.stringify({ ok: true, n: i }), runtime: (attempt.finished - attempt.started) / 1000 });
  }
  events.sort((a, b) => a.time - b.time);
  const now = Math.max(...slotFree.flat(), start + spanMs) + 1000;
  return { events, now, ids, failed, retried, revoked };
}
