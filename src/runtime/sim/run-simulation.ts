/**
 * Runs a scenario: the workspace's real task code, on the embedded broker, in
 * virtual time. Timers, Date and performance.now are faked
 * (@sinonjs/fake-timers), so countdowns, ETAs, retry back-offs, time limits
 * and beat schedules pass as fast as the code runs; Math.random is seeded.
 * The driver lets all pending work settle, then jumps to the next timer, until
 * nothing is left to do or the scenario's duration is reached.
 *
 * One simulation per process: it fakes the process's clocks and uses the
 * process's embedded hub (the CLI and the extension run it in a child process).
 */
import FakeTimers, { type Clock } from '@sinonjs/fake-timers';
import type { App } from '../app/app';
import { Beat } from '../beat/beat';
import type { Broker } from '../brokers/broker';
import { MemoryBroker } from '../brokers/memory/memory-broker';
import { getLocalHub, MEMORY_SOCKET_ENV } from '../brokers/memory/memory-hub';
import { ConfigError } from '../errors';
import { createLogger, type Logger } from '../log';
import { loadTaskModule } from '../loader/load-task-module';
import { Worker } from '../worker/worker';
import type { TaskRun } from '../worker/task-run';
import type { AroundTask } from '../worker/executor';
import { checkScenario, ms, spreadOf, type FaultSpec, type Scenario, type Spread } from './scenario';
import { seededRandom } from './seeded-random';
import { SimBroker } from './sim-broker';
import { diagnose } from './sim-diagnoses';
import { SimLog, type SimEvent } from './sim-log';
import { buildReport, type QueueDepthSample, type SimReport } from './sim-report';
import { EventLoopModel } from './sim-event-loop';
import { simTaskWrapper, type IdempotencyOutcome } from './sim-task-wrapper';

const DEFAULT_START = Date.UTC(2026, 0, 5); // a Monday, so weekday crontabs fire on day one
const DEFAULT_LIMIT_MS = 86_400_000;
const SAMPLES = 200;
/** Rounds of the real event loop without progress before the simulated system counts as settled. */
const QUIET_ROUNDS = 3;

export interface SimulationOptions {
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Log of the simulated workers (default: errors only; task failures are expected in a simulation). */
  log?: Logger;
  /** Called now and then with virtual progress. */
  onProgress?(p: { simulatedMs: number; limitMs: number; events: number }): void;
}

export interface SimulationResult {
  scenario: string;
  report: SimReport;
  events: SimEvent[];
  /** Label → real task id (to read results or draw the run). */
  ids: Record<string, string>;
  /** Virtual start, ms since the epoch. */
  startMs: number;
}

/** The scenario a module exports (`default` or `scenario`). */
function scenarioOf(exports: Record<string, unknown>, file: string): Scenario {
  const s = (exports.default ?? exports.scenario) as Scenario | undefined;
  if (!s) throw new ConfigError(`${file} exports no scenario: add \`export default defineScenario({ ... })\``);
  checkScenario(s);
  return s;
}

export async function runSimulation(file: string, options: SimulationOptions = {}): Promise<SimulationResult> {
  // The embedded broker of this process, whatever the app's own URL says.
  process.env.CELERIAC_BROKER_URL = 'memory://';
  process.env.CELERIAC_RESULT_BACKEND = 'memory://';
  delete process.env[MEMORY_SOCKET_ENV];

  const loaded = await loadTaskModule(file);
  const scenario = scenarioOf(loaded.exports, file);
  const app = scenario.app ?? loaded.app;
  if (!app) throw new ConfigError(`${file}: no app — import your tasks module (which creates the app) or set the scenario's app`);

  const seed = options.seed ?? scenario.seed ?? 1;
  const startMs = scenario.start === undefined ? DEFAULT_START : typeof scenario.start === 'number' ? scenario.start : Date.parse(scenario.start);
  const limitMs = scenario.duration === undefined ? DEFAULT_LIMIT_MS : ms(scenario.duration, 'duration');
  // Captured before the clocks are faked: how long the run really took.
  const realNow = performance.now.bind(performance);
  const wallStart = realNow();
  const realSetImmediate = setImmediate;
  const realRandom = Math.random;
  const clock = FakeTimers.install({
    now: startMs,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  });
  Math.random = seededRandom(seed ^ 0x5bd1e995);
  try {
    const sim = new Simulation(app, scenario, seed, startMs, limitMs, options, () => new Promise<void>((r) => realSetImmediate(r)), clock);
    const result = await sim.run();
    return { scenario: file, ...result, startMs, report: { ...result.report, wallMs: Math.round(realNow() - wallStart) } };
  } finally {
    clock.uninstall();
    Math.random = realRandom;
  }
}

class Simulation {
  private readonly random;
  private readonly log: SimLog;
  private readonly workerLog: Logger;
  private readonly workers: Worker[] = [];
  private readonly broker: SimBroker;
  private readonly idempotency: IdempotencyOutcome[] = [];
  private readonly samples: QueueDepthSample[] = [];
  private readonly chords = new Map<string, { body: string; bodyName: string; header: string[] }>();
  private readonly queues: Set<string>;
  private readonly concurrency: number;
  private pendingSends = 0;
  private pendingRestarts = 0;
  private beat?: Beat;
  private readonly aroundTask: AroundTask;
  /** Async-pool workers share one thread per worker; process-pool ones do not. */
  private readonly loop: EventLoopModel | undefined;

  constructor(
    private readonly app: App,
    private readonly s: Scenario,
    private readonly seed: number,
    private readonly startMs: number,
    private readonly limitMs: number,
    private readonly options: SimulationOptions,
    private readonly yieldToLoop: () => Promise<void>,
    private readonly clock: Clock,
  ) {
    this.random = seededRandom(seed);
    this.log = new SimLog(startMs);
    this.workerLog = options.log ?? createLogger({ level: 'error' });
    this.concurrency = s.workers?.concurrency ?? 4;
    this.queues = new Set(s.workers?.queues?.length ? s.workers.queues : [app.conf.taskDefaultQueue]);
    this.broker = new SimBroker(new MemoryBroker(getLocalHub().core) as Broker, {
      random: this.random,
      latency: s.broker?.latency !== undefined ? spreadOf(s.broker.latency, 'broker.latency') : undefined,
      duplicates: (s.faults ?? []).filter((f): f is Extract<FaultSpec, { kind: 'duplicate' }> => f.kind === 'duplicate'),
      visibilityTimeoutMs: s.broker?.visibilityTimeout !== undefined ? ms(s.broker.visibilityTimeout, 'broker.visibilityTimeout') : undefined,
      onDuplicate: (id, name) => id && this.log.fault(`delivered ${name ?? 'a task'} ${this.log.label(id)} twice`, { task: this.log.label(id), name }),
      onRestored: (id, name, queue) =>
        id && this.log.fault(`visibility timeout: ${name ?? 'a task'} ${this.log.label(id)} held too long, delivered again on '${queue}'`, { task: this.log.label(id), name }),
    });
    app.useBroker(this.broker);
    this.loop = (s.workers?.pool ?? 'async') === 'async' ? new EventLoopModel((id) => this.log.label(id)) : undefined;
    this.aroundTask = this.makeAroundTask();
  }

  async run(): Promise<Omit<SimulationResult, 'scenario' | 'startMs'>> {
    const stopWatching = this.log.watchApp(this.app, (id) => this.broker.firstPublishedAt.get(id));
    const stopChords = this.watchChords();
    const end = this.startMs + this.limitMs;
    // A timer at the end, so jumping to "the next timer" never jumps past it.
    setTimeout(() => undefined, this.limitMs);
    for (let i = 1; i <= (this.s.workers?.count ?? 1); i++) this.workers.push(this.newWorker(i));
    await Promise.all(this.workers.map((w) => w.start()));
    this.scheduleSends();
    this.scheduleFaults();
    if (this.s.beat) {
      this.beat = new Beat(this.app, { schedule: typeof this.s.beat === 'object' ? this.s.beat : undefined, log: this.workerLog });
      await this.beat.start();
    }

    for (;;) {
      await this.settle();
      await this.sample();
      this.options.onProgress?.({ simulatedMs: Date.now() - this.startMs, limitMs: this.limitMs, events: this.log.events.length });
      if (Date.now() >= end) break;
      if (!this.beat && (await this.idle())) break;
      this.clock.next();
    }
    const simulatedMs = Date.now() - this.startMs;
    await this.sample();

    // Whatever is left is given back to the queues, then read: it is unfinished, not lost.
    await this.beat?.stop();
    for (const w of this.workers) await w.terminate();
    await this.settle();
    const waiting = await this.drainWaiting();
    stopWatching();
    stopChords();
    this.log.sortByTime();

    const consumedQueues = this.queues;
    const diagnoses = diagnose({
      events: this.log.events,
      visibilityTimeoutMs: this.s.broker?.visibilityTimeout !== undefined ? ms(this.s.broker.visibilityTimeout, 'broker.visibilityTimeout') : undefined,
      consumedQueues,
      concurrency: this.concurrency,
      chords: this.chords,
      loopStalls: this.loop?.stalls,
    });
    const report = buildReport(this.log.events, {
      seed: this.seed,
      simulatedMs,
      wallMs: 0,
      workers: this.s.workers?.count ?? 1,
      concurrency: this.concurrency,
      waiting,
      idempotency: this.idempotency,
      labelOf: (id) => this.log.label(id),
      samples: thinSamples(this.samples, SAMPLES),
      diagnoses,
    });
    const ids: Record<string, string> = {};
    for (const e of this.log.events) if (e.task && !ids[e.task]) ids[e.task] = this.log.idOf(e.task) ?? '';
    return { report, events: this.log.events, ids };
  }

  /** One for all workers: "the nth run of a task" counts across them. */
  private makeAroundTask(): AroundTask {
    const durations = new Map<string, Spread>(Object.entries(this.s.durations ?? {}).map(([name, d]) => [name, spreadOf(d, `durations['${name}']`)]));
    const faults = this.s.faults ?? [];
    return simTaskWrapper({
      random: this.random,
      durations,
      flaky: faults.filter((f): f is Extract<FaultSpec, { kind: 'flaky' }> => f.kind === 'flaky'),
      crashes: faults.filter((f): f is Extract<FaultSpec, { kind: 'crash' }> => f.kind === 'crash' && f.duringTask !== undefined),
      idempotency: this.s.idempotency ?? {},
      loop: this.loop,
      crash: (run, fault) => void this.crashWorkerRunning(run, fault),
      onIdempotency: (o) => this.idempotency.push(o),
    });
  }

  private newWorker(i: number): Worker {
    const w = new Worker(this.app, {
      hostname: `sim-${i}@sim`,
      concurrency: this.concurrency,
      prefetchMultiplier: this.s.workers?.prefetchMultiplier,
      queues: [...this.queues],
      sendEvents: false,
      enableRemoteControl: false,
      log: this.workerLog,
      shutdownTimeout: 60,
      aroundTask: this.aroundTask,
    });
    this.log.watchWorker(w);
    return w;
  }

  private scheduleSends(): void {
    for (const send of this.s.send ?? []) {
      const first = send.at === undefined ? 0 : ms(send.at, 'send.at', true);
      const every = send.every === undefined ? 0 : ms(send.every, 'send.every');
      for (let i = 0; i < (send.count ?? 1); i++) {
        this.pendingSends++;
        setTimeout(() => {
          this.pendingSends--;
          const what = send.task ?? 'the scenario’s run function';
          const fail = (err: unknown) => this.log.fault(`could not send ${what}: ${err instanceof Error ? err.message : String(err)}`);
          if (send.run) {
            try {
              void Promise.resolve(send.run(i)).catch(fail);
            } catch (err) {
              fail(err);
            }
            return;
          }
          const args = typeof send.args === 'function' ? send.args(i) : (send.args ?? []);
          const kwargs = typeof send.kwargs === 'function' ? send.kwargs(i) : (send.kwargs ?? {});
          if (send.options?.queue) this.queuesSentTo.add(send.options.queue);
          this.app.sendTask(send.task!, args, kwargs, send.options ?? {}).catch(fail);
        }, first + i * every);
      }
    }
  }

  private readonly queuesSentTo = new Set<string>();

  private scheduleFaults(): void {
    for (const f of this.s.faults ?? []) {
      if (f.kind === 'crash' && f.at !== undefined) {
        setTimeout(() => void this.crashWorker(f.worker ?? 1, f), ms(f.at, 'crash.at', true));
      } else if (f.kind === 'restart') {
        this.pendingRestarts++;
        setTimeout(() => void this.restartAll().finally(() => this.pendingRestarts--), ms(f.at, 'restart.at', true));
      }
    }
  }

  private async crashWorkerRunning(run: TaskRun, fault: Extract<FaultSpec, { kind: 'crash' }>): Promise<void> {
    const index = this.workers.findIndex((w) => w.hostname === run.hostname);
    if (index >= 0) await this.crashWorker(index + 1, fault, ` during ${run.name} ${this.log.label(run.id)}`);
  }

  /** Kill worker `n` (1-based) like SIGKILL: nothing acked, nothing finished; restart it after a while. */
  private async crashWorker(n: number, fault: Extract<FaultSpec, { kind: 'crash' }>, during = ''): Promise<void> {
    const w = this.workers[n - 1];
    if (!w || w.state !== 'running') return;
    const running = w.activeTasks().length;
    this.log.fault(`crashed ${w.hostname}${during} (${running} running task${running === 1 ? '' : 's'} cut off)`, { worker: w.hostname });
    await w.terminate();
    this.loop?.reset(w.hostname);
    if (fault.restartAfter === null) return;
    this.pendingRestarts++;
    setTimeout(
      () =>
        void (async () => {
          const fresh = this.newWorker(n);
          this.workers[n - 1] = fresh;
          await fresh.start();
          this.log.fault(`restarted ${fresh.hostname}`, { worker: fresh.hostname });
        })().finally(() => this.pendingRestarts--),
      fault.restartAfter === undefined ? 1000 : ms(fault.restartAfter, 'crash.restartAfter', true),
    );
  }

  /** Warm restart of every worker, as a deploy does. */
  private async restartAll(): Promise<void> {
    this.log.fault(`restarting all ${this.workers.length} workers (warm)`);
    await Promise.all(
      this.workers.map(async (w, i) => {
        await w.stop();
        const fresh = this.newWorker(i + 1);
        this.workers[i] = fresh;
        await fresh.start();
      }),
    );
  }

  /** Remember chords as their header tasks are sent, to tell later whether each body ran. */
  private watchChords(): () => void {
    const sub = this.app.events.on('task-sent', (sent) => {
      const body = typeof sent.message.body === 'string' ? sent.message.body : Buffer.from(sent.message.body).toString('utf8');
      let embed: { chord?: { task?: string; options?: { task_id?: string } } } | undefined;
      try {
        embed = (JSON.parse(body) as unknown[])[2] as typeof embed;
      } catch {
        return;
      }
      const chord = embed?.chord;
      const bodyId = chord?.options?.task_id;
      if (!bodyId) return;
      const label = this.log.label(bodyId);
      const entry = this.chords.get(label) ?? { body: label, bodyName: chord.task ?? '?', header: [] };
      entry.header.push(this.log.label(sent.id));
      this.chords.set(label, entry);
    });
    return () => sub.dispose();
  }

  /** Let everything the last timer started run to where it waits on a timer again. */
  private async settle(): Promise<void> {
    let quiet = 0;
    let last = this.progress();
    for (let i = 0; i < 100_000 && quiet < QUIET_ROUNDS; i++) {
      await this.yieldToLoop();
      const now = this.progress();
      if (now === last) quiet++;
      else {
        quiet = 0;
        last = now;
      }
    }
  }

  private progress(): string {
    return `${this.log.events.length}/${this.broker.operations}/${this.clock.countTimers()}/${this.idempotency.length}`;
  }

  /**
   * Nothing more can happen: no sends or restarts due, nothing travelling,
   * held or running, and nothing queued where a running worker would take it
   * (a queue nobody reads, or workers all dead, is a finding, not work).
   */
  private async idle(): Promise<boolean> {
    if (this.pendingSends > 0 || this.pendingRestarts > 0 || this.broker.inFlight > 0) return false;
    const running = this.workers.filter((w) => w.state === 'running');
    if (running.some((w) => w.activeTasks().length || w.reservedTasks().length || w.scheduledTasks().length)) return false;
    const consumed = [...new Set(running.flatMap((w) => [...w.queues]))];
    if (consumed.length === 0) return true;
    const stats = await this.broker.stats(consumed);
    return stats.every((s) => s.ready === 0 && (s.unacked ?? 0) === 0);
  }

  /** Queue depths, kept when they change (thinned to SAMPLES points per queue for the report). */
  private async sample(): Promise<void> {
    const queues = [...new Set([...this.queues, ...this.queuesSentTo])].sort();
    const t = Date.now() - this.startMs;
    for (const s of await this.broker.stats(queues)) {
      const last = this.lastDepth.get(s.queue);
      const unacked = s.unacked ?? 0;
      if (last && last.ready === s.ready && last.unacked === unacked) continue;
      const sample = { t, queue: s.queue, ready: s.ready, unacked };
      this.lastDepth.set(s.queue, sample);
      this.samples.push(sample);
    }
  }

  private readonly lastDepth = new Map<string, QueueDepthSample>();

  /** Labels of the tasks still in the queues (workers are stopped, so everything held came back). */
  private async drainWaiting(): Promise<Set<string>> {
    const waiting = new Set<string>();
    const queues = [...new Set([...this.queues, ...this.queuesSentTo, ...this.log.events.filter((e) => e.type === 'task-sent' && e.queue).map((e) => e.queue!)])];
    const consumer = await this.broker.consume(queues, { prefetch: 0 }, (d) => {
      const id = d.message.headers.id;
      if (typeof id === 'string') waiting.add(this.log.label(id));
      d.ack();
    });
    await this.settle();
    await consumer.close();
    return waiting;
  }
}

/** At most `n` samples per queue: the deepest of each time slice, so peaks survive. */
export function thinSamples(samples: readonly QueueDepthSample[], n: number): QueueDepthSample[] {
  const byQueue = new Map<string, QueueDepthSample[]>();
  for (const s of samples) byQueue.set(s.queue, [...(byQueue.get(s.queue) ?? []), s]);
  const out: QueueDepthSample[] = [];
  for (const list of byQueue.values()) {
    if (list.length <= n) {
      out.push(...list);
      continue;
    }
    const first = list[0].t;
    const span = list[list.length - 1].t - first || 1;
    const slices = new Map<number, QueueDepthSample>();
    for (const s of list) {
      const k = Math.min(n - 1, Math.floor(((s.t - first) / span) * n));
      const best = slices.get(k);
      if (!best || s.ready + s.unacked > best.ready + best.unacked) slices.set(k, s);
    }
    out.push(...slices.values());
  }
  return out.sort((a, b) => a.t - b.t || a.queue.localeCompare(b.queue));
}
