/**
 * The worker: consumes task messages, holds ETA tasks, runs tasks in a pool
 * and acks them — early (when the task starts) or late (when it ends). What
 * happens after a run lives in OutcomeRecorder; remote control talks to the
 * public methods here (revoke, rate limits, queues, stats). Malformed input is
 * rejected with a log line and never stops consumption. Warm shutdown finishes
 * running tasks and gives the rest back.
 */
import * as os from 'node:os';
import type { App } from '../app/app';
import type { Broker, Delivery } from '../brokers/broker';
import type { ResultBackend } from '../backends/backend';
import type { Disposable } from '../disposable';
import { Emitter } from '../emitter';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { decodeTaskMessage, messageIdForLog } from '../protocol/decode-task';
import { serializeError } from '../protocol/result-meta';
import { EventDispatcher } from '../events/event-dispatcher';
import { LamportClock } from '../events/lamport-clock';
import { startMailbox } from '../control/worker-mailbox';
import type { Outcome } from './task-run';
import type { WorkerEvents } from './worker-events';
import { createPool } from './pools/create-pool';
import type { AroundTask } from './executor';
import type { Pool, PoolKind } from './pools/pool';
import { ProcessTitle } from './process-title';
import { WorkerEventPublisher } from './celery-events';
import { ConsumerSet } from './consumer-set';
import { OutcomeRecorder, settle } from './outcome-recorder';
import { buildRequest, requestInfo, type Request, type RequestInfo, type TimeLimitOverrides } from './request';
import { RevokedSet } from './revoked-set';
import { RateLimiter } from './rate-limiter';

export interface WorkerOptions {
  /** Queues to consume; default the app's task_default_queue. */
  queues?: string[];
  /** Tasks run at once. Default: CPU count for the process pool, 10 for the async pool. */
  concurrency?: number;
  pool?: PoolKind;
  prefetchMultiplier?: number;
  /** Node name, e.g. `worker1@host`; `%h` expands to the host name. */
  hostname?: string;
  /** Process pool: replace a child after it ran this many tasks. */
  maxTasksPerChild?: number;
  /** Process pool: the task module children load (a .ts or .js path). */
  module?: string;
  log?: Logger;
  /** Show state in `ps` (the CLI turns this on). */
  setProcessTitle?: boolean;
  /** Seconds a warm shutdown waits for running tasks (default: worker_shutdown_timeout). */
  shutdownTimeout?: number;
  /** Publish worker-online/heartbeat/offline events (default true, as Celery). */
  sendEvents?: boolean;
  /** Also publish task events (`-E`; default: worker_send_task_events). */
  sendTaskEvents?: boolean;
  /** Answer remote control (inspect, revoke, …) on the broker (default true). */
  enableRemoteControl?: boolean;
  /** Wrap each task function call (async pool only), e.g. to inject faults in a simulation. */
  aroundTask?: AroundTask;
}

export type WorkerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** A task the worker holds, for callers in this process (the CLI, tests, the extension). */
export interface ActiveTaskInfo {
  id: string;
  name: string;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
  startedAt: number;
  acknowledged: boolean;
  queue: string;
  redelivered: boolean;
}

function expandHostname(name: string): string {
  const host = os.hostname();
  return name.replace(/%h/g, host).replace(/%n/g, host.split('.')[0]).replace(/%d/g, host.split('.').slice(1).join('.'));
}

export class Worker {
  readonly events = new Emitter<WorkerEvents>();
  readonly hostname: string;
  readonly concurrency: number;
  readonly poolKind: PoolKind;
  /** This worker's Lamport clock (events and remote control share it). */
  readonly clock = new LamportClock();
  readonly prefetch: number;
  private readonly initialQueues: string[];
  private readonly log: Logger;
  private readonly origin: string;
  private stateValue: WorkerState = 'new';
  private startedAt = 0;
  private broker!: Broker;
  private backend!: ResultBackend;
  private consumers?: ConsumerSet;
  private pool!: Pool;
  private recorder!: OutcomeRecorder;
  private readonly ready: Request[] = [];
  private readHead = 0;
  private readonly active = new Map<string, Request>();
  private readonly scheduled = new Set<Request>();
  private readonly limiter: RateLimiter<Request>;
  /** Task names whose own limits were read (control changes win after that). */
  private readonly limitsKnown = new Set<string>();
  private readonly timeLimits: TimeLimitOverrides = new Map();
  private readonly revoked = new RevokedSet();
  private readonly totals = new Map<string, number>();
  private processedCount = 0;
  private pumping = false;
  private drainedWaiters: (() => void)[] = [];
  private stopPromise?: Promise<void>;
  private readonly title?: ProcessTitle;
  private eventPublisher?: WorkerEventPublisher;
  private mailbox?: Disposable;

  constructor(
    readonly app: App,
    private readonly options: WorkerOptions = {},
  ) {
    this.poolKind = options.pool ?? 'async';
    this.concurrency = Math.max(
      1,
      options.concurrency ?? app.conf.workerConcurrency ?? (this.poolKind === 'process' ? os.cpus().length : 10),
    );
    this.prefetch = this.concurrency * (options.prefetchMultiplier ?? app.conf.workerPrefetchMultiplier);
    this.initialQueues = options.queues?.length ? [...options.queues] : [app.conf.taskDefaultQueue];
    this.hostname = expandHostname(options.hostname ?? app.main);
    this.log = options.log ?? app.log;
    this.origin = `gen${process.pid}@${os.hostname()}`;
    if (options.setProcessTitle) this.title = new ProcessTitle(this.hostname, this.initialQueues, this.concurrency);
    this.limiter = new RateLimiter<Request>(
      (r) => r.task.task,
      () => app.clock.now(),
      (released) => {
        // Back to the front: they already waited their turn.
        this.ready.splice(this.readHead, 0, ...released);
        if (this.stateValue === 'running') this.pump();
      },
      () => app.coordination(),
      this.log,
    );

  }

  get state(): WorkerState {
    return this.stateValue;
  }

  /** Queues consumed now. */
  get queues(): readonly string[] {
    return this.consumers?.queues ?? this.initialQueues;
  }

  /** Tasks finished (succeeded, failed or retried) since start. */
  get processed(): number {
    return this.processedCount;
  }

  /** Tasks running now. */
  activeTasks(): ActiveTaskInfo[] {
    return [...this.active.values()].map((r) => this.info(r));
  }

  /** Tasks received and waiting for a free slot (or a rate-limit token). */
  reservedTasks(): ActiveTaskInfo[] {
    return this.reservedRequests().map((r) => this.info(r));
  }

  /** Tasks held until their ETA. */
  scheduledTasks(): (ActiveTaskInfo & { eta: string | null })[] {
    return [...this.scheduled].map((r) => ({ ...this.info(r), eta: r.task.eta }));
  }

  private reservedRequests(): Request[] {
    return [...this.ready.slice(this.readHead), ...this.limiter.pending];
  }

  private info(r: Request): ActiveTaskInfo {
    return {
      id: r.task.id,
      name: r.task.task,
      args: r.task.args,
      kwargs: r.task.kwargs,
      startedAt: r.startedAt,
      acknowledged: r.settled,
      queue: r.delivery.queue,
      redelivered: r.delivery.redelivered,
    };
  }

  // ---- what remote control reads --------------------------------------------------

  /** Celery's request dicts: `inspect active / reserved / scheduled`. */
  inspectRequests(which: 'active' | 'reserved' | 'scheduled'): RequestInfo[] | { eta: string | null; priority: number | null; request: RequestInfo }[] {
    if (which === 'active') return [...this.active.values()].map((r) => requestInfo(r, this.hostname));
    if (which === 'reserved') return this.reservedRequests().map((r) => requestInfo(r, this.hostname));
    return [...this.scheduled].map((r) => ({ eta: r.task.eta, priority: r.task.priority, request: requestInfo(r, this.hostname) }));
  }

  /** `inspect query_task`: where each id is in this worker, with its request. */
  queryTasks(ids: readonly string[]): Record<string, [string, RequestInfo]> {
    const out: Record<string, [string, RequestInfo]> = {};
    const where: [string, Request[]][] = [
      ['active', [...this.active.values()]],
      ['reserved', this.reservedRequests()],
      ['scheduled', [...this.scheduled]],
    ];
    for (const [state, requests] of where) {
      for (const r of requests) if (ids.includes(r.task.id)) out[r.task.id] = [state, requestInfo(r, this.hostname)];
    }
    return out;
  }

  revokedIds(): string[] {
    return this.revoked.ids();
  }

  /** Revoked ids in the form Celery workers exchange at start-up (mingle). */
  revokedForMingle(): Record<string, [number, string]> {
    return this.revoked.asCeleryData();
  }

  /** Celery's `inspect stats` reply. */
  stats(): Record<string, unknown> {
    const usage = process.resourceUsage();
    return {
      total: Object.fromEntries(this.totals),
      pid: process.pid,
      clock: String(this.clock.current),
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
      pool: {
        'max-concurrency': this.concurrency,
        processes: this.pool?.pids() ?? [],
        'max-tasks-per-child': this.options.maxTasksPerChild ?? this.app.conf.workerMaxTasksPerChild ?? 'N/A',
        implementation: `celeriac:${this.poolKind}`,
        timeouts: [this.app.conf.taskSoftTimeLimit ?? 0, this.app.conf.taskTimeLimit ?? 0],
      },
      broker: { transport: this.broker?.url.split(':')[0] ?? null, url: this.broker?.url ?? null },
      prefetch_count: this.prefetch,
      rusage: {
        utime: usage.userCPUTime / 1e6,
        stime: usage.systemCPUTime / 1e6,
        maxrss: usage.maxRSS,
        minflt: usage.minorPageFault,
        majflt: usage.majorPageFault,
        nvcsw: usage.voluntaryContextSwitches,
        nivcsw: usage.involuntaryContextSwitches,
      },
      sw_ident: 'celeriac',
    };
  }

  // ---- what remote control changes -------------------------------------------------

  /**
   * Never run these tasks: drop them when they arrive, or now if they wait
   * here; with `terminate`, also stop them if running. Returns the ids that were
   * running and got terminated.
   */
  revoke(ids: readonly string[], options: { terminate?: boolean; signal?: NodeJS.Signals } = {}): string[] {
    for (const id of ids) this.revoked.add(id);
    const terminated: string[] = [];
    // Waiting here: discard them now rather than when their turn comes.
    for (const req of [...this.scheduled]) {
      if (!ids.includes(req.task.id)) continue;
      this.scheduled.delete(req);
      if (req.etaTimer) this.app.clock.clearTimeout(req.etaTimer);
      this.consumers?.setPrefetch(this.prefetch + this.scheduled.size);
      void this.recorder.revoked(req, 'revoked');
    }
    if (options.terminate) {
      for (const id of ids) {
        if (this.active.has(id) && this.pool.terminateTask(id, options.signal ?? 'SIGTERM')) terminated.push(id);
      }
    }
    return terminated;
  }

  /** Per-worker rate limit for a task: '10/s', '100/m', '1000/h', a number per second, or 0/null for none. */
  setRateLimit(taskName: string, rate: string | number | null): void {
    this.limitsKnown.add(taskName);
    this.limiter.setLocal(taskName, rate);
  }

  /** A limit shared by every worker on this broker (through Redis or the embedded hub). */
  setGlobalRateLimit(taskName: string, rate: string | number | null): void {
    this.limitsKnown.add(taskName);
    this.limiter.setGlobal(taskName, rate);
  }

  setTimeLimit(taskName: string, soft: number | null, hard: number | null): void {
    this.timeLimits.set(taskName, { soft, hard });
  }

  async addConsumer(queue: string): Promise<boolean> {
    if (!this.consumers || this.consumers.has(queue)) return false;
    await this.consumers.add([queue]);
    this.log.info(`${this.hostname}: now consuming from '${queue}'`);
    return true;
  }

  async cancelConsumer(queue: string): Promise<boolean> {
    const cancelled = (await this.consumers?.cancel(queue)) ?? false;
    if (cancelled) this.log.info(`${this.hostname}: no longer consuming from '${queue}'`);
    return cancelled;
  }

  restartPool(): Promise<void> {
    return this.pool.restart();
  }

  // ---- starting -------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.stateValue !== 'new') throw new Error(`worker ${this.hostname} was already started`);
    this.stateValue = 'starting';
    try {
      [this.broker, this.backend] = await Promise.all([this.app.connectBroker(), this.app.connectBackend()]);
      this.recorder = new OutcomeRecorder({
        app: this.app,
        backend: this.backend,
        broker: this.broker,
        events: this.events,
        log: this.log,
        origin: this.origin,
        hostname: this.hostname,
      });
      this.pool = await createPool({
        kind: this.poolKind,
        concurrency: this.concurrency,
        app: this.app,
        log: this.log,
        module: this.options.module,
        maxTasksPerChild: this.options.maxTasksPerChild ?? this.app.conf.workerMaxTasksPerChild,
        aroundTask: this.options.aroundTask,
      });
      await this.pool.start();
      this.stateValue = 'running';
      this.startedAt = Date.now();
      this.consumers = new ConsumerSet(this.broker, this.prefetch, (d) => this.onDelivery(d));
      await this.consumers.add(this.initialQueues);
    } catch (err) {
      this.stateValue = 'stopped';
      await this.pool?.close().catch(() => undefined);
      throw err;
    }
    this.title?.update(0);
    if (this.options.enableRemoteControl ?? true) {
      this.mailbox = await startMailbox(this, this.broker, this.log).catch((err) => {
        this.log.warn(`remote control is off: cannot subscribe on ${this.broker.url}: ${errorMessage(err)}`);
        return undefined;
      });
    }
    if (this.options.sendEvents ?? true) await this.startEventPublisher();
    this.events.emit('worker-online', { hostname: this.hostname, timestamp: this.app.clock.now() });
    const results = this.backend.enabled ? `results in ${this.backend.url}` : 'results not stored (no result_backend)';
    this.log.info(
      `${this.hostname} ready: ${this.poolKind} pool, concurrency ${this.concurrency}, queues [${this.queues.join(', ')}] on ${this.broker.url}; ${results}`,
    );
  }

  private async startEventPublisher(): Promise<void> {
    const dispatcher = new EventDispatcher(this.broker, this.hostname, this.log, this.clock);
    this.eventPublisher = new WorkerEventPublisher(this, dispatcher, this.options.sendTaskEvents ?? this.app.conf.workerSendTaskEvents);
    await this.eventPublisher.start().catch((err) => this.log.warn(`cannot publish events on ${this.broker.url}: ${errorMessage(err)}`));
  }

  private async stopSideChannels(): Promise<void> {
    this.mailbox?.dispose();
    this.mailbox = undefined;
    const publisher = this.eventPublisher;
    this.eventPublisher = undefined;
    await publisher?.stop().catch(() => undefined);
  }

  // ---- receiving -------------------------------------------------------------

  private onDelivery(d: Delivery): void {
    if (this.stateValue !== 'running') {
      d.reject(true); // arrived while stopping: give it back untouched
      return;
    }
    if (d.malformed) {
      this.recorder.rejectMessage(d, messageIdForLog(d.message), null, d.malformed);
      return;
    }
    const decoded = decodeTaskMessage(d.message, { maxBodyBytes: this.app.conf.taskMessageMaxBytes });
    if (!decoded.ok) {
      this.recorder.rejectMessage(d, decoded.id, null, decoded.reason);
      return;
    }
    const task = decoded.task;
    const def = this.app.getTask(task.task);
    if (!def) {
      this.recorder.unregistered(d, task);
      return;
    }
    const now = this.app.clock.now();
    const req = buildRequest(d, task, def, this.hostname, this.app.conf, now, this.timeLimits.get(task.task));
    if (this.events.has('task-received')) {
      this.events.emit('task-received', {
        id: task.id,
        name: task.task,
        args: task.args,
        kwargs: task.kwargs,
        retries: task.retries,
        eta: task.eta,
        expires: task.expires,
        rootId: task.rootId,
        parentId: task.parentId,
        queue: d.queue,
        redelivered: d.redelivered,
        timestamp: now,
      });
    }
    if (this.log.isEnabled('info')) this.log.info(`Task ${task.task}[${task.id}] received`);
    if (this.revoked.has(task.id)) {
      void this.recorder.revoked(req, 'revoked');
    } else if (task.expiresMs !== null && task.expiresMs <= now) {
      void this.recorder.revoked(req, 'expired');
    } else if (task.etaMs !== null && task.etaMs > now) {
      this.schedule(req, task.etaMs - now);
    } else {
      this.ready.push(req);
      this.pump();
    }
  }

  /**
   * Hold a task until its ETA without blocking others: it stays unacked, and the
   * prefetch limit grows by one so it does not take a slot from ready work.
   */
  private schedule(req: Request, delayMs: number): void {
    this.scheduled.add(req);
    this.consumers?.setPrefetch(this.prefetch + this.scheduled.size);
    req.etaTimer = this.app.clock.setTimeout(() => {
      req.etaTimer = undefined;
      if (!this.scheduled.delete(req)) return;
      this.consumers?.setPrefetch(this.prefetch + this.scheduled.size);
      if (this.stateValue !== 'running') return;
      this.ready.push(req);
      this.pump();
    }, delayMs);
  }

  // ---- running ---------------------------------------------------------------------

  private pump(): void {
    // A task that finishes synchronously calls pump() again from inside begin();
    // the loop below already picks up the slot it freed, so do not recurse.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.active.size < this.concurrency && this.readHead < this.ready.length) {
        const req = this.ready[this.readHead];
        this.ready[this.readHead++] = undefined as unknown as Request;
        if (!this.limitsKnown.has(req.task.task)) this.learnLimits(req);
        if (this.limiter.limited && !this.limiter.admit(req)) continue;
        this.begin(req);
      }
    } finally {
      this.pumping = false;
    }
    if (this.readHead > 1024 && this.readHead * 2 > this.ready.length) {
      this.ready.splice(0, this.readHead);
      this.readHead = 0;
    }
  }

  /** A task's own rate limits, read the first time it runs here (remote control may change them later). */
  private learnLimits(req: Request): void {
    const { name, options } = req.def;
    this.limitsKnown.add(name);
    if (options.rateLimit) this.limiter.setLocal(name, options.rateLimit);
    if (options.globalRateLimit) this.limiter.setGlobal(name, options.globalRateLimit);
  }

  private begin(req: Request): void {
    const { task } = req;
    const now = this.app.clock.now();
    if (this.revoked.has(task.id)) {
      void this.recorder.revoked(req, 'revoked');
      return;
    }
    if (task.expiresMs !== null && task.expiresMs <= now) {
      void this.recorder.revoked(req, 'expired');
      return;
    }
    if (!req.acksLate) settle(req, 'ack');
    req.startedAt = now;
    this.active.set(task.id, req);
    this.title?.update(this.active.size);
    const trackStarted = !req.ignoreResult && (req.def.options.trackStarted ?? this.app.conf.taskTrackStarted);
    const onStart = (pid: number) => {
      req.pid = pid;
      if (trackStarted || this.events.has('task-started')) this.recorder.started(req, pid, trackStarted);
    };
    const outcome = this.pool.run(req.run, onStart);
    if (!(outcome instanceof Promise)) return this.finish(req, outcome);
    outcome.then(
      (o) => this.finish(req, o),
      (err) => this.finish(req, { status: 'failure', error: serializeError(err), runtimeMs: this.app.clock.now() - req.startedAt }),
    );
  }

  /**
   * Record the outcome, then settle. Synchronous when there is nothing to wait
   * for (results ignored): most no-op tasks then cost no promise at all here.
   */
  private finish(req: Request, outcome: Outcome): void {
    if (req.abandoned) return;
    let recording: Promise<void> | undefined;
    try {
      recording = req.pendingStore
        ? req.pendingStore.then(() => this.recorder.record(req, outcome))
        : this.recorder.record(req, outcome);
    } catch (err) {
      this.recordFailed(req, err);
    }
    if (!recording) return this.complete(req);
    recording.then(
      () => this.complete(req),
      (err) => {
        this.recordFailed(req, err);
        this.complete(req);
      },
    );
  }

  private recordFailed(req: Request, err: unknown): void {
    this.log.error(`Task ${req.task.task}[${req.task.id}]: could not record its outcome: ${errorMessage(err)}`);
  }

  private complete(req: Request): void {
    settle(req, 'ack');
    this.active.delete(req.task.id);
    this.processedCount++;
    this.totals.set(req.task.task, (this.totals.get(req.task.task) ?? 0) + 1);
    this.title?.update(this.active.size);
    if (this.stateValue === 'running') this.pump();
    if (this.active.size === 0 && this.drainedWaiters.length) {
      for (const w of this.drainedWaiters.splice(0)) w();
    }
  }

  // ---- stopping -----------------------------------------------------------------

  /**
   * Warm shutdown: stop consuming, give back what has not started, let running
   * tasks finish for up to `timeout` seconds, then give those back too (acks-late
   * ones are requeued; early-acked ones are republished), so nothing is lost.
   */
  stop(options: { timeout?: number } = {}): Promise<void> {
    this.stopPromise ??= this.doStop(options.timeout ?? this.options.shutdownTimeout ?? this.app.conf.workerShutdownTimeout);
    return this.stopPromise;
  }

  private async doStop(timeoutSeconds: number): Promise<void> {
    if (this.stateValue === 'new' || this.stateValue === 'stopped') {
      this.stateValue = 'stopped';
      return;
    }
    this.stateValue = 'stopping';
    this.log.info(`${this.hostname}: warm shutdown (${this.active.size} running, waiting up to ${timeoutSeconds}s)`);
    await this.consumers?.cancelAll();
    this.giveBackWaiting();
    if (this.active.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.drainedWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutSeconds * 1000))),
      ]);
      if (timer) clearTimeout(timer);
    }
    if (this.active.size > 0) await this.giveBackRunning();
    await this.pool.terminate().catch(() => undefined);
    await this.pool.close().catch(() => undefined);
    await this.consumers?.closeAll();
    await this.stopSideChannels();
    this.stateValue = 'stopped';
    this.title?.update(0, 'stopped');
    this.events.emit('worker-offline', { hostname: this.hostname, timestamp: this.app.clock.now() });
    this.log.info(`${this.hostname}: stopped after ${this.processedCount} tasks`);
  }

  /** Cold shutdown: stop now; unacked tasks go back to the queue, running ones are abandoned. */
  async terminate(): Promise<void> {
    this.stateValue = 'stopping';
    for (const req of this.active.values()) req.abandoned = true;
    // Closing the consumers below requeues every unacked message, these included:
    // forget them here, and stop their timers (which would keep the process alive).
    this.clearWaiting();
    await this.pool?.terminate().catch(() => undefined);
    await this.consumers?.closeAll();
    await this.pool?.close().catch(() => undefined);
    await this.stopSideChannels();
    this.active.clear();
    for (const w of this.drainedWaiters.splice(0)) w(); // a warm stop() in progress stops waiting
    this.stateValue = 'stopped';
    this.events.emit('worker-offline', { hostname: this.hostname, timestamp: this.app.clock.now() });
  }

  /** Forget everything waiting here (ready, rate-limited, ETA) and its timers; returns it. */
  private clearWaiting(): Request[] {
    const waiting = [...this.reservedRequests(), ...this.scheduled];
    this.ready.length = 0;
    this.readHead = 0;
    this.limiter.clear();
    for (const req of this.scheduled) if (req.etaTimer) this.app.clock.clearTimeout(req.etaTimer);
    this.scheduled.clear();
    return waiting;
  }

  private giveBackWaiting(): void {
    for (const req of this.clearWaiting()) void this.recorder.giveBack(req, 'not started');
  }

  private async giveBackRunning(): Promise<void> {
    const running = [...this.active.values()];
    this.active.clear();
    for (const req of running) {
      req.abandoned = true;
      await this.recorder.giveBack(req, 'still running at the shutdown timeout');
    }
  }
}
