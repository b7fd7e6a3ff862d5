/** One delivered task on its way through a worker, and how it is described to inspect. */
import type { Delivery } from '../brokers/broker';
import type { TaskDefinition } from '../app/task';
import type { CeleriacConfig } from '../config';
import type { TimerHandle } from '../clock';
import type { DecodedTask } from '../protocol/decode-task';
import type { TaskRun } from './task-run';

export interface Request {
  delivery: Delivery;
  task: DecodedTask;
  def: TaskDefinition;
  run: TaskRun;
  acksLate: boolean;
  ignoreResult: boolean;
  settled: boolean;
  /** Set when the worker let go of it (warm shutdown gave it back, or it was terminated): a late outcome is ignored. */
  abandoned: boolean;
  receivedAt: number;
  startedAt: number;
  /** The process running it. */
  pid?: number;
  etaTimer?: TimerHandle;
  /** The STARTED write, which the final state must follow. */
  pendingStore?: Promise<void>;
}

/** Time limits set at run time by remote control (`time_limit`), per task name, in seconds. */
export type TimeLimitOverrides = Map<string, { soft: number | null; hard: number | null }>;

export function buildRequest(
  d: Delivery,
  task: DecodedTask,
  def: TaskDefinition,
  hostname: string,
  conf: Readonly<CeleriacConfig>,
  now: number,
  override?: { soft: number | null; hard: number | null },
): Request {
  const o = def.options;
  return {
    delivery: d,
    task,
    def,
    acksLate: o.acksLate ?? conf.taskAcksLate,
    ignoreResult: task.ignoreResult || (o.ignoreResult ?? conf.taskIgnoreResult),
    settled: false,
    abandoned: false,
    receivedAt: now,
    startedAt: 0,
    run: {
      id: task.id,
      name: task.task,
      args: task.args,
      kwargs: task.kwargs,
      retries: task.retries,
      eta: task.eta,
      expires: task.expires,
      parentId: task.parentId,
      rootId: task.rootId,
      groupId: task.group,
      hostname,
      deliveryInfo: {
        queue: d.queue,
        exchange: d.exchange,
        routingKey: d.routingKey,
        priority: task.priority,
        redelivered: d.redelivered,
      },
      headers: task.headers,
      // The message's own limits first; then remote control's time_limit, which
      // replaces the task's (null clears it, as Celery's does); then the config.
      timeLimit: [
        task.timeLimit[0] ?? (override ? override.hard : o.timeLimit) ?? conf.taskTimeLimit ?? null,
        task.timeLimit[1] ?? (override ? override.soft : o.softTimeLimit) ?? conf.taskSoftTimeLimit ?? null,
      ],
    },
  };
}

/** A request as Celery's `inspect active/reserved/scheduled` shows it. */
export interface RequestInfo {
  id: string;
  name: string;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
  type: string;
  hostname: string;
  time_start: number | null;
  acknowledged: boolean;
  delivery_info: { exchange: string; routing_key: string; priority: number | null; redelivered: boolean };
  worker_pid: number | null;
}

export function requestInfo(r: Request, hostname: string): RequestInfo {
  return {
    id: r.task.id,
    name: r.task.task,
    args: r.task.args,
    kwargs: r.task.kwargs,
    type: r.task.task,
    hostname,
    time_start: r.startedAt ? r.startedAt / 1000 : null,
    acknowledged: r.settled,
    delivery_info: {
      exchange: r.delivery.exchange,
      routing_key: r.delivery.routingKey,
      priority: r.task.priority,
      redelivered: r.delivery.redelivered,
    },
    worker_pid: r.pid ?? null,
  };
}
