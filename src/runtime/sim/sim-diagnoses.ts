/**
 * The classic Celery surprises, recognised in a simulation's log and said in
 * plain words with what to do about them. Each check is pure and must stay
 * quiet on a run where the surprise did not happen.
 */
import type { LoopStalls } from './sim-event-loop';
import type { SimEvent } from './sim-log';
import { countExtraRuns } from './sim-report';

export interface Diagnosis {
  id: 'eta-beyond-visibility-timeout' | 'prefetch-held-tasks' | 'unconsumed-queue' | 'chord-never-completed' | 'blocked-event-loop';
  title: string;
  detail: string;
  /** Labels of the tasks concerned (a few). */
  tasks: string[];
}

export interface DiagnosisContext {
  events: readonly SimEvent[];
  /** Redis-like visibility timeout of the run, ms. */
  visibilityTimeoutMs?: number;
  /** Queues each worker consumed. */
  consumedQueues: ReadonlySet<string>;
  concurrency: number;
  /** Chords sent: body label → header member labels. */
  chords: ReadonlyMap<string, { body: string; bodyName: string; header: string[] }>;
  /** What blocking code did to async-pool workers (absent for the process pool). */
  loopStalls?: LoopStalls;
}

const EXAMPLES = 5;

function seconds(ms: number): string {
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 1000).toFixed(1)} s`;
}

export function diagnose(c: DiagnosisContext): Diagnosis[] {
  return [etaBeyondVisibility(c), prefetchHeldTasks(c), unconsumedQueue(c), chordNeverCompleted(c), blockedEventLoop(c)].filter((d): d is Diagnosis => d !== undefined);
}

/** A task waiting for its ETA longer than the visibility timeout is delivered again every timeout (kombu#337). */
export function etaBeyondVisibility(c: DiagnosisContext): Diagnosis | undefined {
  const vt = c.visibilityTimeoutMs;
  if (!vt) return undefined;
  const late = new Map<string, { name: string; wait: number }>();
  for (const e of c.events) {
    if (!e.task || e.eta === undefined) continue;
    if (e.type !== 'task-sent' && e.type !== 'task-retried') continue;
    const wait = e.eta - e.t;
    if (wait > vt) late.set(e.task, { name: e.name ?? '?', wait });
  }
  if (late.size === 0) return undefined;
  const extra = countExtraRuns(c.events);
  const ranAgain = [...late.keys()].filter((t) => (extra.get(t) ?? 0) > 0);
  const longest = Math.max(...[...late.values()].map((v) => v.wait));
  const names = [...new Set([...late.values()].map((v) => v.name))].join(', ');
  return {
    id: 'eta-beyond-visibility-timeout',
    title: 'An ETA or countdown is longer than the visibility timeout',
    detail:
      `${late.size} task(s) of ${names} waited up to ${seconds(longest)} for their ETA, but the visibility timeout is ${seconds(vt)}: ` +
      `on Redis the broker gives a held message to another worker each time it expires, so ${ranAgain.length} of them ran more than once. ` +
      `Set broker_transport_options.visibility_timeout above your longest ETA (or countdown, or retry delay), keep ETAs short, or use a Celeriac worker on Redis, which keeps held messages' timeouts fresh.`,
    tasks: [...late.keys()].slice(0, EXAMPLES),
  };
}

/**
 * Prefetch: a worker takes more tasks than it has free slots, and they wait
 * there while another worker sits idle. Measured as the time a task that was
 * ready waited in a busy worker's buffer while another worker had a free slot
 * and nothing to start.
 */
export function prefetchHeldTasks(c: DiagnosisContext): Diagnosis | undefined {
  interface WorkerState {
    running: number;
    /** Received, not started: task → when it may start (its ETA, or receipt). */
    reserved: Map<string, number>;
    online: boolean;
  }
  const workers = new Map<string, WorkerState>();
  const stateOf = (w: string) => {
    let s = workers.get(w);
    if (!s) workers.set(w, (s = { running: 0, reserved: new Map(), online: true }));
    return s;
  };
  const where = new Map<string, string>();
  const startedAt = new Map<string, number>();
  const held = new Set<string>();
  let heldMs = 0;
  let runMs = 0;
  let last = 0;

  const account = (until: number) => {
    const dt = until - last;
    if (dt <= 0) return;
    let idleSlots = 0;
    const waiting: string[] = [];
    for (const s of workers.values()) {
      if (!s.online) continue;
      const ready = [...s.reserved].filter(([, at]) => at <= last).map(([task]) => task);
      if (ready.length === 0) idleSlots += Math.max(0, c.concurrency - s.running);
      else if (s.running >= c.concurrency) waiting.push(...ready);
    }
    const stuck = Math.min(idleSlots, waiting.length);
    if (stuck > 0) {
      heldMs += dt * stuck;
      for (const t of waiting.slice(0, stuck)) held.add(t);
    }
  };

  for (const e of c.events) {
    account(e.t);
    last = e.t;
    if (!e.worker) continue;
    const s = stateOf(e.worker);
    if (e.type === 'worker-offline') {
      s.online = false;
      s.running = 0;
      s.reserved.clear();
      continue;
    }
    if (e.type === 'worker-online') {
      s.online = true;
      continue;
    }
    if (!e.task) continue;
    switch (e.type) {
      case 'task-received':
        s.reserved.set(e.task, Math.max(e.t, e.eta ?? 0));
        break;
      case 'task-started':
        s.reserved.delete(e.task);
        s.running++;
        where.set(e.task, e.worker);
        startedAt.set(e.task, e.t);
        break;
      case 'task-succeeded':
      case 'task-failed':
      case 'task-retried':
      case 'task-revoked': {
        s.reserved.delete(e.task);
        const w = where.get(e.task);
        const at = startedAt.get(e.task);
        if (w !== undefined && at !== undefined) {
          const ws = stateOf(w);
          ws.running = Math.max(0, ws.running - 1);
          runMs += e.t - at;
        }
        where.delete(e.task);
        startedAt.delete(e.task);
        break;
      }
    }
  }
  // Worth saying only when the waiting was a real share of the work.
  if (heldMs < 1000 || heldMs < 0.1 * runMs) return undefined;
  return {
    id: 'prefetch-held-tasks',
    title: 'Prefetched tasks waited on busy workers while another worker was idle',
    detail:
      `Tasks ready to run waited ${seconds(heldMs)} in total in a busy worker's prefetch buffer while another worker had a free slot and nothing to do ` +
      `(${held.size} task${held.size === 1 ? '' : 's'}). Each worker reserves concurrency × worker_prefetch_multiplier messages; with long tasks, ` +
      `set worker_prefetch_multiplier = 1 and task_acks_late = true so a worker only takes what it can start.`,
    tasks: [...held].slice(0, EXAMPLES),
  };
}

/** Tasks sent to a queue that no worker consumes wait forever. */
export function unconsumedQueue(c: DiagnosisContext): Diagnosis | undefined {
  const stranded = new Map<string, string[]>();
  for (const e of c.events) {
    if (e.type !== 'task-sent' || !e.queue || !e.task || c.consumedQueues.has(e.queue)) continue;
    const list = stranded.get(e.queue) ?? [];
    list.push(e.task);
    stranded.set(e.queue, list);
  }
  if (stranded.size === 0) return undefined;
  const parts = [...stranded].map(([q, tasks]) => `${tasks.length} to '${q}'`);
  return {
    id: 'unconsumed-queue',
    title: 'Tasks were sent to a queue no worker consumes',
    detail:
      `${parts.join(', ')}: no worker reads ${stranded.size === 1 ? 'that queue' : 'those queues'} (workers consume ${[...c.consumedQueues].map((q) => `'${q}'`).join(', ') || 'nothing'}), so these tasks never run. ` +
      `Check task_routes and the queue options of your calls, or start a worker with -Q ${[...stranded.keys()].join(',')}.`,
    tasks: [...stranded.values()].flat().slice(0, EXAMPLES),
  };
}

/** A chord's body runs only when every header task succeeds; one that never finishes holds it forever. */
export function chordNeverCompleted(c: DiagnosisContext): Diagnosis | undefined {
  if (c.chords.size === 0) return undefined;
  const final = new Map<string, string>();
  const seen = new Set<string>();
  for (const e of c.events) {
    if (!e.task) continue;
    seen.add(e.task);
    if (e.type === 'task-succeeded') final.set(e.task, 'succeeded');
    else if (e.type === 'task-failed') final.set(e.task, 'failed');
    else if (e.type === 'task-revoked') final.set(e.task, 'revoked');
    else if (e.type === 'task-retried') final.set(e.task, 'retrying');
    else if (!final.has(e.task) || final.get(e.task) === 'retrying') final.set(e.task, 'unfinished');
  }
  const stuck: string[] = [];
  const why: string[] = [];
  for (const chord of c.chords.values()) {
    if (seen.has(chord.body) && c.events.some((e) => e.task === chord.body && e.type === 'task-sent')) continue;
    const problems = chord.header.filter((t) => final.get(t) !== 'succeeded');
    if (problems.length === 0) continue;
    stuck.push(chord.body);
    if (why.length < EXAMPLES) why.push(`${chord.bodyName} (${chord.body}) waits on ${problems.map((t) => `${t} ${final.get(t) ?? 'never ran'}`).join(', ')}`);
  }
  if (stuck.length === 0) return undefined;
  return {
    id: 'chord-never-completed',
    title: 'A chord never ran its body',
    detail:
      `${stuck.length} chord(s) never completed: ${why.join('; ')}. A chord's body runs only after every header task succeeds; a header task that is lost, ` +
      `keeps retrying or fails leaves it waiting (a failure calls the chord's errback). Give header tasks acks_late, bounded retries and a link_error.`,
    tasks: stuck.slice(0, EXAMPLES),
  };
}

/** Synchronous work in an async-pool worker stalls every other task of that worker. */
export function blockedEventLoop(c: DiagnosisContext): Diagnosis | undefined {
  const stalls = c.loopStalls;
  if (!stalls || stalls.delayedRuns === 0 || stalls.blockingRuns.size === 0) return undefined;
  const culprits = [...stalls.blockingRuns].sort((a, b) => b[1] - a[1]);
  return {
    id: 'blocked-event-loop',
    title: 'Synchronous work blocked the event loop of async-pool workers',
    detail:
      `${culprits.map(([name, n]) => `${name} (${n} run${n === 1 ? '' : 's'})`).join(', ')} ran blocking code on workers with the async pool, ` +
      `where all of a worker's ${c.concurrency} slots share one thread: ${stalls.delayedRuns} task run${stalls.delayedRuns === 1 ? '' : 's'} waited ` +
      `${seconds(stalls.delayedMs)} in all for it to let go. Run CPU-bound tasks on the process pool (pool: 'process', celeriac worker -P process) ` +
      `or on a queue of their own, or make them yield (await) while they work.`,
    tasks: stalls.delayed.slice(0, EXAMPLES),
  };
}
