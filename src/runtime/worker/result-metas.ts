/** The result-backend records a worker writes, in Celery's shape. */
import { toNaiveIso } from '../protocol/iso-time';
import { toExceptionInfo, type SerializedError, type TaskMeta } from '../protocol/result-meta';
import { FAILURE, RETRY, REVOKED, STARTED, SUCCESS } from '../states';
import type { DecodedTask } from '../protocol/decode-task';

function base(task: DecodedTask, status: string, result: unknown, traceback: string | null, dateDone: string | null): TaskMeta {
  const meta: TaskMeta = { status, result, traceback, children: [], date_done: dateDone, task_id: task.id };
  if (task.parentId) meta.parent_id = task.parentId;
  if (task.group) meta.group_id = task.group;
  return meta;
}

export function successMeta(task: DecodedTask, value: unknown, now: number): TaskMeta {
  return base(task, SUCCESS, value === undefined ? null : value, null, toNaiveIso(now));
}

export function failureMeta(task: DecodedTask, error: SerializedError, now: number): TaskMeta {
  return base(task, FAILURE, toExceptionInfo(error), error.stack ?? `${error.type}: ${error.message}`, toNaiveIso(now));
}

export function retryMeta(task: DecodedTask, exc: SerializedError | null, reason: string): TaskMeta {
  const info = exc ? toExceptionInfo(exc) : { exc_type: 'Retry', exc_message: [reason], exc_module: 'celery.exceptions' };
  const meta = base(task, RETRY, info, `Retry: ${reason}`, null);
  // Celery lists the retried copy (same id) as the child of the attempt.
  meta.children = [[[task.id, null], null]];
  return meta;
}

export function revokedMeta(task: DecodedTask, reason: string, now: number): TaskMeta {
  return base(
    task,
    REVOKED,
    { exc_type: 'TaskRevokedError', exc_message: [reason], exc_module: 'celery.exceptions' },
    null,
    toNaiveIso(now),
  );
}

export function startedMeta(task: DecodedTask, hostname: string, pid: number): TaskMeta {
  return base(task, STARTED, { pid, hostname }, null, null);
}
