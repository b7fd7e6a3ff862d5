/**
 * One broker the extension talks to (the embedded `memory://`, or one the user
 * added): its queues' counts, polled while a view shows them; the workers and
 * tasks its Celery events describe; and the client actions the commands need
 * (send, purge, inspect, revoke). Python Celery workers on the same broker
 * show up like Celeriac ones.
 */
import * as vscode from 'vscode';
import { createApp, type App } from '../../runtime/app/app';
import type { QueueStats } from '../../runtime/brokers/broker';
import type { ApplyOptions } from '../../runtime/app/task-options';
import { broadcastControl, type Replies } from '../../runtime/control/control-client';
import { receiveEvents } from '../../runtime/events/event-receiver';
import { EventState } from '../../runtime/events/event-state';
import type { CeleryEvent } from '../../runtime/events/celery-event';
import type { Logger } from '../../runtime/log';
import type { TaskMeta } from '../../runtime/protocol/result-meta';
import { redactUrl } from '../../runtime/url';
import { Disposable } from '../util/disposable';

export type ConnectionKind = 'embedded' | 'remote';
export type ChangeKind = 'queues' | 'workers' | 'tasks';

export interface ConnectionOptions {
  id: string;
  label: string;
  kind: ConnectionKind;
  brokerUrl: string;
  backendUrl?: string;
  maxTasks: number;
  log: Logger;
}

/** Coalesce bursts (a busy worker sends hundreds of events a second) into one refresh. */
const CHANGE_DEBOUNCE_MS = 250;

export class LiveConnection extends Disposable {
  readonly id: string;
  readonly label: string;
  readonly kind: ConnectionKind;
  /** The broker URL without password. */
  readonly url: string;
  readonly state: EventState;
  private readonly changed = this._register(new vscode.EventEmitter<ChangeKind>());
  readonly onDidChange = this.changed.event;
  private readonly received = this._register(new vscode.EventEmitter<CeleryEvent>());
  /** Every Celery event as it arrives (the timeline draws each one, not only the latest state). */
  readonly onDidReceiveEvent = this.received.event;
  private stats: QueueStats[] = [];
  private readonly extraQueues = new Set<string>(['celery']);
  private pending = new Set<ChangeKind>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private lastError: string | undefined;
  /** Pool and concurrency per worker, from `inspect stats` (heartbeats do not carry them). */
  private readonly pools = new Map<string, { pool: string; concurrency: number | null }>();
  private readonly asked = new Set<string>();

  private constructor(
    private readonly app: App,
    o: ConnectionOptions,
  ) {
    super();
    this.id = o.id;
    this.label = o.label;
    this.kind = o.kind;
    this.url = redactUrl(o.brokerUrl);
    this.state = new EventState(o.maxTasks);
    this._register({ dispose: () => void this.app.close() });
    this._register({ dispose: () => this.stopPolling() });
    this._register({ dispose: () => this.flushTimer && clearTimeout(this.flushTimer) });
  }

  static async open(o: ConnectionOptions): Promise<LiveConnection> {
    const app = createApp(
      { broker: o.brokerUrl, backend: o.backendUrl ?? (/^(memory|redis|rediss):/.test(o.brokerUrl) ? o.brokerUrl : undefined) },
      { log: o.log, env: {} },
    );
    const conn = new LiveConnection(app, o);
    try {
      const broker = await app.connectBroker();
      conn._register(await receiveEvents(broker, (e) => conn.onEvent(e)));
    } catch (err) {
      conn.dispose();
      throw err;
    }
    return conn;
  }

  /** The latest error talking to the broker, for the views to show. */
  get error(): string | undefined {
    return this.lastError;
  }

  private onEvent(e: CeleryEvent): void {
    this.received.fire(e);
    const change = this.state.apply(e);
    if (!change) return;
    if (change.kind === 'worker' && !this.asked.has(change.worker.hostname) && !change.worker.offline) {
      this.asked.add(change.worker.hostname);
      void this.fetchPool(change.worker.hostname);
    }
    if (change.kind === 'task' && change.task.queue) this.extraQueues.add(change.task.queue);
    this.notify(change.kind === 'task' ? 'tasks' : 'workers');
    if (change.kind === 'task') this.notify('workers'); // active counts move with tasks
  }

  private notify(kind: ChangeKind): void {
    this.pending.add(kind);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const kinds = this.pending;
      this.pending = new Set();
      for (const k of kinds) this.changed.fire(k);
    }, CHANGE_DEBOUNCE_MS);
  }

  private async fetchPool(hostname: string): Promise<void> {
    const replies = await this.inspect('stats', {}, [hostname], 2).catch(() => ({}) as Replies);
    const stats = replies[hostname] as { pool?: { implementation?: string; 'max-concurrency'?: number } } | undefined;
    if (!stats?.pool) {
      this.asked.delete(hostname); // ask again when it next says something
      return;
    }
    const impl = String(stats.pool.implementation ?? '?');
    // 'celery.concurrency.prefork:TaskPool' → 'prefork'; 'celeriac:async' → 'async'.
    const pool = impl.includes(':') ? (impl.startsWith('celeriac') ? impl.split(':')[1] : impl.split(':')[0].split('.').pop()!) : impl;
    this.pools.set(hostname, { pool, concurrency: stats.pool['max-concurrency'] ?? null });
    this.notify('workers');
  }

  /** What `inspect stats` said about a worker's pool, once it answered. */
  poolOf(hostname: string): { pool: string; concurrency: number | null } | undefined {
    return this.pools.get(hostname);
  }

  /** Queues to show beyond what the broker lists (e.g. the embedded workers' queues). */
  addKnownQueues(queues: Iterable<string>): void {
    for (const q of queues) this.extraQueues.add(q);
  }

  get queueStats(): readonly QueueStats[] {
    return this.stats;
  }

  async refreshQueues(): Promise<void> {
    try {
      const broker = await this.app.connectBroker();
      const names = new Set([...(await broker.queues()), ...this.extraQueues]);
      // Reply queues of remote control and event receivers are plumbing, not work.
      const shown = [...names].filter((q) => !q.endsWith('.pidbox') && !q.startsWith('celeryev.')).sort();
      const stats = await broker.stats(shown);
      const changed = JSON.stringify(stats) !== JSON.stringify(this.stats) || this.lastError !== undefined;
      this.stats = stats;
      this.lastError = undefined;
      if (changed) this.changed.fire('queues');
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) {
        this.lastError = message;
        this.changed.fire('queues');
      }
    }
  }

  /** Poll queue counts every `intervalMs` while something shows them. */
  startPolling(intervalMs: number): void {
    if (this.pollTimer) return;
    void this.refreshQueues();
    this.pollTimer = setInterval(() => void this.refreshQueues(), intervalMs);
  }

  stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  async send(name: string, args: unknown[], kwargs: Record<string, unknown>, options: ApplyOptions): Promise<string> {
    const result = await this.app.sendTask(name, args, kwargs, options);
    if (options.queue) this.extraQueues.add(options.queue);
    void this.refreshQueues();
    return result.id;
  }

  async purge(queue: string): Promise<number> {
    const n = await (await this.app.connectBroker()).purge(queue);
    void this.refreshQueues();
    return n;
  }

  async inspect(method: string, args: Record<string, unknown> = {}, destination?: string[], timeout = 1): Promise<Replies> {
    return broadcastControl(await this.app.connectBroker(), method, args, { destination, timeout });
  }

  async revoke(taskId: string, terminate: boolean): Promise<Replies> {
    return this.inspect('revoke', { task_id: [taskId], terminate, signal: 'SIGTERM' }, undefined, 1);
  }

  /** Stored outcomes of many tasks in one round trip; empty when there is no result backend. */
  async taskMetas(taskIds: readonly string[]): Promise<TaskMeta[]> {
    const backend = await this.app.connectBackend();
    return backend.enabled ? backend.getTaskMetas(taskIds) : [];
  }

  async taskMeta(taskId: string): Promise<TaskMeta | undefined> {
    const backend = await this.app.connectBackend();
    return backend.enabled ? backend.getTaskMeta(taskId) : undefined;
  }
}
