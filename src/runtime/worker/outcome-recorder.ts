/**
 * What happens after a task ran (or was not allowed to): the result-backend
 * record, the retry message, the log line, the worker event. Acks stay with
 * the worker; the recorder only requeues where the outcome demands it.
 */
import type { App } from '../app/app';
import type { Broker, Delivery } from '../brokers/broker';
import type { ResultBackend } from '../backends/backend';
import type { Emitter } from '../emitter';
import { NotRegistered, errorMessage } from '../errors';
import type { Logger } from '../log';
import type { DecodedTask } from '../protocol/decode-task';
import { safeRepr } from '../protocol/pyrepr';
import { exceptionRepr, serializeError, type SerializedError, type TaskMeta } from '../protocol/result-meta';
import { failureMeta, retryMeta, revokedMeta, startedMeta, successMeta } from './result-metas';
import { buildRetryMessage } from './retry-message';
import type { Request } from './request';
import type { Outcome } from './task-run';
import type { WorkerEvents } from './worker-events';
import { CanvasFollowups } from './canvas-followups';

export interface RecorderContext {
  app: App;
  backend: ResultBackend;
  broker: Broker;
  events: Emitter<WorkerEvents>;
  log: Logger;
  /** `gen<pid>@<host>`: the origin header of messages this worker publishes. */
  origin: string;
  hostname: string;
}

export function settle(req: Request, how: 'ack' | 'requeue'): void {
  if (req.settled) return;
  req.settled = true;
  if (how === 'ack') req.delivery.ack();
  else req.delivery.reject(true);
}

export class OutcomeRecorder {
  private readonly canvas: CanvasFollowups;

  constructor(private readonly c: RecorderContext) {
    this.canvas = new CanvasFollowups(c.app, c.backend, c.log);
  }

  private now(): number {
    return this.c.app.clock.now();
  }

  store(meta: TaskMeta, task: DecodedTask): Promise<void> {
    const backend = this.c.backend;
    return backend.storeResult(meta, task.replyTo ? { replyTo: task.replyTo } : undefined).catch((err) => {
      throw new Error(`result backend ${backend.url} refused the ${meta.status} of ${task.task}[${task.id}]: ${errorMessage(err)}`);
    });
  }

  /** Record an outcome; undefined when nothing had to be waited for (results ignored). */
  record(req: Request, outcome: Outcome): Promise<void> | undefined {
    switch (outcome.status) {
      case 'success':
        return this.success(req, outcome.value, outcome.runtimeMs);
      case 'retry':
        return this.retry(req, outcome);
      case 'failure':
        return this.failure(req, outcome.error, outcome.runtimeMs, outcome.cause);
      case 'revoked':
        return this.revoked(req, 'terminated', outcome.signum);
    }
  }

  /** STARTED is informational: a backend refusing it must not fail the task. */
  started(req: Request, pid: number, trackStarted: boolean): void {
    const { task } = req;
    req.pid = pid;
    this.c.events.emit('task-started', { id: task.id, name: task.task, pid, timestamp: this.now() });
    if (trackStarted) {
      req.pendingStore = this.store(startedMeta(task, this.c.hostname, pid), task).catch((err) =>
        this.c.log.error(`Task ${task.task}[${task.id}]: could not store its STARTED state: ${errorMessage(err)}`),
      );
    }
  }

  private success(req: Request, value: unknown, runtimeMs: number): Promise<void> | undefined {
    const followups = CanvasFollowups.needed(req.task);
    if (req.ignoreResult) {
      this.reportSuccess(req, value, runtimeMs);
      return followups ? this.canvas.afterSuccess(req.task, value) : undefined;
    }
    return this.store(successMeta(req.task, value, this.now()), req.task).then(
      async () => {
        this.reportSuccess(req, value, runtimeMs);
        if (followups) await this.canvas.afterSuccess(req.task, value);
      },
      // A result that cannot be stored (not JSON, backend down) is the task's failure.
      (err) => this.failure(req, serializeError(err), runtimeMs),
    );
  }

  private reportSuccess(req: Request, value: unknown, runtimeMs: number): void {
    const { task } = req;
    if (this.c.log.isEnabled('info')) {
      this.c.log.info(`Task ${task.task}[${task.id}] succeeded in ${(runtimeMs / 1000).toFixed(4)}s: ${safeRepr(value)}`);
    }
    if (this.c.events.has('task-succeeded')) {
      this.c.events.emit('task-succeeded', { id: task.id, name: task.task, result: value, runtimeMs, timestamp: this.now() });
    }
  }

  private async retry(req: Request, outcome: Extract<Outcome, { status: 'retry' }>): Promise<void> {
    const { task, delivery } = req;
    const message = buildRetryMessage(task, outcome, this.c.origin);
    // RETRY goes to the backend before the retry is published: once published,
    // the next attempt may finish (and store SUCCESS) before this store lands.
    if (!req.ignoreResult) {
      await this.store(retryMeta(task, outcome.exc, outcome.reason), task).catch((err) =>
        this.c.log.error(`Task ${task.task}[${task.id}]: could not store its RETRY state: ${errorMessage(err)}`),
      );
    }
    try {
      await this.c.broker.publish(message, { exchange: delivery.exchange, routingKey: delivery.routingKey || delivery.queue });
    } catch (err) {
      if (req.acksLate) {
        // Not lost: hand the original back so it runs again.
        settle(req, 'requeue');
        this.c.log.error(`Task ${task.task}[${task.id}] retry could not be published (${errorMessage(err)}); requeued`);
        return;
      }
      await this.failure(req, serializeError(new Error(`could not publish the retry: ${errorMessage(err)}`)), outcome.runtimeMs);
      return;
    }
    this.c.log.info(`Task ${task.task}[${task.id}] retry: ${outcome.reason}`);
    this.c.events.emit('task-retried', {
      id: task.id,
      name: task.task,
      reason: outcome.reason,
      exc: outcome.exc,
      etaMs: outcome.etaMs,
      timestamp: this.now(),
    });
  }

  private async failure(req: Request, error: SerializedError, runtimeMs: number, cause?: 'time-limit' | 'worker-lost'): Promise<void> {
    const { task } = req;
    const conf = this.c.app.conf;
    if (cause === 'worker-lost' && req.acksLate && (req.def.options.rejectOnWorkerLost ?? conf.taskRejectOnWorkerLost)) {
      settle(req, 'requeue');
      this.c.log.warn(`Task ${task.task}[${task.id}]: its process died (${error.message}); requeued (reject_on_worker_lost)`);
      return;
    }
    const now = this.now();
    if (!req.ignoreResult) await this.store(failureMeta(task, error, now), task);
    this.c.log.error(`Task ${task.task}[${task.id}] raised unexpected: ${exceptionRepr(error)}${error.stack ? '\n' + error.stack : ''}`);
    this.c.events.emit('task-failed', { id: task.id, name: task.task, error, runtimeMs, cause, timestamp: now });
    if (CanvasFollowups.needed(task)) await this.canvas.afterFailure(task, req.run, error);
  }

  /** Revoked (by control, or expired) before or while running: REVOKED, never run again. */
  async revoked(req: Request, reason: 'expired' | 'revoked' | 'terminated', signum: number | null = null): Promise<void> {
    const { task } = req;
    const now = this.now();
    try {
      if (!req.ignoreResult) await this.store(revokedMeta(task, reason, now), task);
    } catch (err) {
      this.c.log.error(`Task ${task.task}[${task.id}]: could not store its revoked state: ${errorMessage(err)}`);
    }
    settle(req, 'ack');
    this.c.log.info(
      reason === 'terminated' ? `Terminated task ${task.task}[${task.id}]` : `Discarding revoked task: ${task.task}[${task.id}] (${reason})`,
    );
    this.c.events.emit('task-revoked', {
      id: task.id,
      name: task.task,
      expired: reason === 'expired',
      terminated: reason === 'terminated',
      signum,
      timestamp: now,
    });
  }

  rejectMessage(d: Delivery, id: string | null, name: string | null, reason: string): void {
    d.reject(false);
    this.c.log.error(`Rejected message ${id ?? '(no id)'} from queue '${d.queue}': ${reason}`);
    this.c.events.emit('task-rejected', { id, name, queue: d.queue, reason, requeued: false, timestamp: this.now() });
  }

  unregistered(d: Delivery, task: DecodedTask): void {
    const known = [...this.c.app.tasks.keys()].slice(0, 10).join(', ');
    this.rejectMessage(d, task.id, task.task, `received unregistered task of type '${task.task}'; registered here: ${known || '(none)'}`);
    const error = serializeError(new NotRegistered(task.task));
    // Celery marks it failed too, so a client waiting on the result is not left hanging.
    if (!task.ignoreResult) {
      // Not awaited, so it must not reject unhandled: that would kill the worker process.
      this.store(failureMeta(task, error, this.now()), task).catch((err) =>
        this.c.log.error(`Task ${task.task}[${task.id}]: could not store its NotRegistered failure: ${errorMessage(err)}`),
      );
    }
    this.c.events.emit('task-failed', { id: task.id, name: task.task, error, runtimeMs: 0, cause: 'unregistered', timestamp: this.now() });
  }

  /** Warm shutdown let go of a task: give it back to the broker. */
  async giveBack(req: Request, why: string): Promise<void> {
    if (!req.settled) {
      settle(req, 'requeue');
    } else {
      // Acked early, so the broker no longer has it: publish it again.
      try {
        await this.c.broker.publish(req.delivery.message, {
          exchange: req.delivery.exchange,
          routingKey: req.delivery.routingKey || req.delivery.queue,
        });
        this.c.log.warn(`Task ${req.task.task}[${req.task.id}] ${why}: republished`);
      } catch (err) {
        this.c.log.error(`Task ${req.task.task}[${req.task.id}] could not be republished at shutdown: ${errorMessage(err)}`);
        return;
      }
    }
    this.c.events.emit('task-rejected', {
      id: req.task.id,
      name: req.task.task,
      queue: req.delivery.queue,
      reason: `requeued at shutdown: ${why}`,
      requeued: true,
      timestamp: this.now(),
    });
  }
}
