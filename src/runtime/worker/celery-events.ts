/**
 * Publishes a worker's activity as Celery events, so `celery events`, Flower
 * and Celeriac's own views see TS workers like Python ones: worker-online,
 * worker-heartbeat every 2 s and worker-offline always; task events when
 * enabled (`-E`, worker_send_task_events).
 */
import type { Disposable } from '../disposable';
import { EventDispatcher, workerEventFields } from '../events/event-dispatcher';
import { argsRepr, kwargsRepr, safeRepr } from '../protocol/pyrepr';
import { exceptionRepr } from '../protocol/result-meta';
import { VERSION } from '../version';
import { settledWithin } from '../deadline';
import type { Worker } from './worker';

const HEARTBEAT_MS = 2000;
/** How long a stop waits for the broker to take the last events (worker-offline). */
const LAST_EVENTS_MS = 1000;

export class WorkerEventPublisher {
  private readonly subscriptions: Disposable[] = [];
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly dispatcher: EventDispatcher,
    private readonly sendTaskEvents: boolean,
  ) {}

  private workerFields(): Record<string, unknown> {
    return workerEventFields(this.worker.activeTasks().length, this.worker.processed, VERSION);
  }

  async start(): Promise<void> {
    const w = this.worker.events;
    const d = this.dispatcher;
    if (this.sendTaskEvents) {
      this.subscriptions.push(
        w.on('task-received', (e) =>
          d.sendTaskEvent('task-received', {
            uuid: e.id,
            name: e.name,
            args: argsRepr(e.args),
            kwargs: kwargsRepr(e.kwargs),
            root_id: e.rootId,
            parent_id: e.parentId,
            retries: e.retries,
            eta: e.eta,
            expires: e.expires,
          }),
        ),
        w.on('task-started', (e) => d.sendTaskEvent('task-started', { uuid: e.id, pid: e.pid })),
        w.on('task-succeeded', (e) =>
          d.sendTaskEvent('task-succeeded', { uuid: e.id, result: safeRepr(e.result), runtime: e.runtimeMs / 1000 }),
        ),
        w.on('task-failed', (e) =>
          d.sendTaskEvent('task-failed', { uuid: e.id, exception: exceptionRepr(e.error), traceback: e.error.stack }),
        ),
        w.on('task-retried', (e) =>
          d.sendTaskEvent('task-retried', {
            uuid: e.id,
            exception: e.exc ? exceptionRepr(e.exc) : `Retry(${JSON.stringify(e.reason)})`,
            traceback: e.exc?.stack ?? null,
          }),
        ),
        w.on('task-revoked', (e) =>
          d.sendTaskEvent('task-revoked', { uuid: e.id, terminated: e.terminated ?? false, signum: e.signum ?? null, expired: e.expired }),
        ),
        w.on('task-rejected', (e) => {
          if (e.id) d.sendTaskEvent('task-rejected', { uuid: e.id, requeue: e.requeued });
        }),
      );
    }
    await d.send('worker-online', this.workerFields());
    this.heartbeat = setInterval(() => void d.send('worker-heartbeat', this.workerFields()), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const s of this.subscriptions.splice(0)) s.dispose();
    // Events are fire-and-forget (as in Celery): a broker that is down does not hold the stop up.
    const last = (async () => {
      await this.dispatcher.flush();
      await this.dispatcher.send('worker-offline', this.workerFields());
    })();
    await settledWithin(last, LAST_EVENTS_MS);
  }
}
