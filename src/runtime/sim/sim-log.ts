/**
 * What happened in a simulation, in order, in virtual time: every task event
 * of every worker, every send, every injected fault. Task ids are replaced by
 * T1, T2, … in order of first appearance, so two runs of one scenario with one
 * seed produce the same log, byte for byte.
 */
import type { App, SentTask } from '../app/app';
import type { Worker } from '../worker/worker';

export type SimEventType =
  | 'task-sent'
  | 'task-received'
  | 'task-started'
  | 'task-succeeded'
  | 'task-failed'
  | 'task-retried'
  | 'task-revoked'
  | 'task-rejected'
  | 'worker-online'
  | 'worker-offline'
  | 'fault';

export interface SimEvent {
  /** Milliseconds since the start of the run (virtual). */
  t: number;
  type: SimEventType;
  /** T1, T2, …: the task, numbered in order of first appearance. */
  task?: string;
  name?: string;
  worker?: string;
  queue?: string;
  retries?: number;
  /** ETA, ms since the start of the run. */
  eta?: number;
  parent?: string;
  /** The exception (failed, retried), the reason (rejected), or what a fault did. */
  detail?: string;
  /** Arguments as JSON (sent only). */
  args?: string;
  /** A redelivery (the broker gave it again). */
  redelivered?: boolean;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export class SimLog {
  readonly events: SimEvent[] = [];
  private readonly ids = new Map<string, string>();

  constructor(private readonly startMs: number) {}

  /** Virtual ms since the start. */
  now(): number {
    return Date.now() - this.startMs;
  }

  private t(timestampMs: number): number {
    return Math.round(timestampMs - this.startMs);
  }

  /** The stable name of a task id (assigned on first sight). */
  label(id: string): string {
    let label = this.ids.get(id);
    if (!label) {
      label = `T${this.ids.size + 1}`;
      this.ids.set(id, label);
    }
    return label;
  }

  /** The real id of a label (for the timeline and for reading results). */
  idOf(label: string): string | undefined {
    for (const [id, l] of this.ids) if (l === label) return id;
    return undefined;
  }

  add(e: SimEvent): void {
    // Messages quote task ids (e.g. "time limit exceeded for x[<id>]"): labels keep the log repeatable.
    if (e.detail) e.detail = e.detail.replace(UUID, (id) => this.label(id));
    this.events.push(e);
  }

  /** Put events recorded late (a send seen after its delivery) in time order; ties keep their order. */
  sortByTime(): void {
    const sorted = this.events.map((e, i) => [e, i] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]);
    this.events.splice(0, this.events.length, ...sorted.map(([e]) => e));
  }

  fault(detail: string, extra: Partial<SimEvent> = {}): void {
    this.add({ t: this.now(), type: 'fault', detail, ...extra });
  }

  /**
   * Record the app's sends (clients, canvas follow-ups, beat). `sentAt` gives
   * when the publish began (the event fires once the broker has it).
   */
  watchApp(app: App, sentAt: (id: string) => number | undefined = () => undefined): () => void {
    const onSent = (s: SentTask) => {
      const parent = s.message.headers.parent_id;
      const at = sentAt(s.id);
      this.add({
        t: at === undefined ? this.now() : this.t(at),
        type: 'task-sent',
        task: this.label(s.id),
        name: s.name,
        queue: s.queue,
        ...(s.eta ? { eta: this.t(Date.parse(s.eta)) } : {}),
        ...(typeof parent === 'string' && parent ? { parent: this.label(parent) } : {}),
        args: JSON.stringify(s.args),
      });
    };
    const subscription = app.events.on('task-sent', onSent);
    return () => subscription.dispose();
  }

  /** Record one worker's task and lifecycle events. */
  watchWorker(w: Worker): void {
    const worker = w.hostname;
    w.events.on('task-received', (e) =>
      this.add({
        t: this.t(e.timestamp),
        type: 'task-received',
        task: this.label(e.id),
        name: e.name,
        worker,
        queue: e.queue,
        retries: e.retries,
        ...(e.eta ? { eta: this.t(Date.parse(e.eta)) } : {}),
        ...(e.redelivered ? { redelivered: true } : {}),
      }),
    );
    w.events.on('task-started', (e) => this.add({ t: this.t(e.timestamp), type: 'task-started', task: this.label(e.id), name: e.name, worker }));
    w.events.on('task-succeeded', (e) => this.add({ t: this.t(e.timestamp), type: 'task-succeeded', task: this.label(e.id), name: e.name, worker }));
    w.events.on('task-failed', (e) =>
      this.add({ t: this.t(e.timestamp), type: 'task-failed', task: this.label(e.id), name: e.name, worker, detail: `${e.error.type}: ${e.error.message}` }),
    );
    w.events.on('task-retried', (e) =>
      this.add({
        t: this.t(e.timestamp),
        type: 'task-retried',
        task: this.label(e.id),
        name: e.name,
        worker,
        eta: this.t(e.etaMs),
        detail: e.exc ? `${e.exc.type}: ${e.exc.message}` : e.reason,
      }),
    );
    w.events.on('task-revoked', (e) =>
      this.add({ t: this.t(e.timestamp), type: 'task-revoked', task: this.label(e.id), name: e.name, worker, detail: e.expired ? 'expired' : e.terminated ? 'terminated' : 'revoked' }),
    );
    w.events.on('task-rejected', (e) =>
      this.add({
        t: this.t(e.timestamp),
        type: 'task-rejected',
        ...(e.id ? { task: this.label(e.id) } : {}),
        ...(e.name ? { name: e.name } : {}),
        worker,
        queue: e.queue,
        detail: `${e.reason}${e.requeued ? ' (requeued)' : ''}`,
      }),
    );
    w.events.on('worker-online', (e) => this.add({ t: this.t(e.timestamp), type: 'worker-online', worker }));
    w.events.on('worker-offline', (e) => this.add({ t: this.t(e.timestamp), type: 'worker-offline', worker }));
  }
}
