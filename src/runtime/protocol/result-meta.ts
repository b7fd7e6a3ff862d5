/**
 * Task results as Celery's key/value backends store them
 * (`celery-task-meta-<id>`), and exceptions in Celery's portable form
 * `{exc_type, exc_message, exc_module}` so Python and TS read each other's failures.
 */
import { pyRepr } from './pyrepr';

export interface ExceptionInfo {
  exc_type: string;
  exc_message: unknown[] | string;
  exc_module: string | null;
}

export interface TaskMeta {
  status: string;
  result: unknown;
  traceback: string | null;
  children: unknown[];
  date_done: string | null;
  parent_id?: string | null;
  group_id?: string | null;
  task_id: string;
  [key: string]: unknown;
}

// Exception names that exist in Python's builtins module, so a Python client
// rebuilds the real class (a JS TypeError becomes a Python TypeError).
const PYTHON_BUILTIN_EXCEPTIONS = new Set([
  'Exception', 'ArithmeticError', 'AssertionError', 'AttributeError', 'BufferError', 'EOFError',
  'FloatingPointError', 'ImportError', 'IndexError', 'KeyError', 'LookupError', 'MemoryError',
  'NameError', 'NotImplementedError', 'OSError', 'OverflowError', 'RecursionError', 'ReferenceError',
  'RuntimeError', 'StopIteration', 'SyntaxError', 'SystemError', 'TypeError', 'ValueError',
  'ZeroDivisionError', 'UnicodeError', 'PermissionError', 'FileNotFoundError', 'ConnectionError',
  'TimeoutError', 'ProcessLookupError', 'IsADirectoryError', 'FileExistsError',
]);

// Runtime errors that mirror Celery's own, stored under Celery's module names.
const CELERY_EXCEPTION_MODULES: Record<string, string> = {
  TaskRevokedError: 'celery.exceptions',
  MaxRetriesExceededError: 'celery.exceptions',
  NotRegistered: 'celery.exceptions',
  Retry: 'celery.exceptions',
  SoftTimeLimitExceeded: 'billiard.exceptions',
  TimeLimitExceeded: 'billiard.exceptions',
  WorkerLostError: 'billiard.exceptions',
};

/** What a failed task leaves behind, in a form that crosses process boundaries. */
export interface SerializedError {
  type: string;
  message: string;
  module: string | null;
  stack: string | null;
}

export function errorTypeName(err: unknown): string {
  if (err instanceof Error) {
    if (err.name && err.name !== 'Error') return err.name;
    const ctor = err.constructor?.name;
    return ctor && ctor !== 'Object' ? ctor : 'Error';
  }
  return 'Error';
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const type = errorTypeName(err);
    return {
      type,
      message: err.message,
      module: CELERY_EXCEPTION_MODULES[type] ?? (PYTHON_BUILTIN_EXCEPTIONS.has(type) ? 'builtins' : null),
      stack: err.stack ?? null,
    };
  }
  return { type: 'Error', message: typeof err === 'string' ? err : safeString(err), module: null, stack: null };
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  } catch {
    return String(v);
  }
}

export function toExceptionInfo(err: SerializedError): ExceptionInfo {
  return { exc_type: err.type, exc_message: [err.message], exc_module: err.module };
}

/** The message of a stored exception the way Python's str(exc) prints it. */
export function exceptionMessageText(info: ExceptionInfo): string {
  const m = info.exc_message;
  if (Array.isArray(m)) {
    if (m.length === 0) return '';
    if (m.length === 1) return typeof m[0] === 'string' ? m[0] : pyRepr(m[0]);
    return '(' + m.map(pyRepr).join(', ') + ')';
  }
  return typeof m === 'string' ? m : pyRepr(m);
}

export function isExceptionInfo(v: unknown): v is ExceptionInfo {
  return typeof v === 'object' && v !== null && typeof (v as ExceptionInfo).exc_type === 'string';
}

/** Python's repr of an exception, as Celery events show it: `ValueError('boom')`. */
export function exceptionRepr(err: SerializedError): string {
  return `${err.type}(${pyRepr(err.message)})`;
}

export function encodeTaskMeta(meta: TaskMeta): string {
  // Key order as Celery writes it (backends/base.py _get_result_meta); optional keys
  // between date_done and task_id, group_id before parent_id.
  const ordered: Record<string, unknown> = {
    status: meta.status,
    result: meta.result === undefined ? null : meta.result,
    traceback: meta.traceback,
    children: meta.children,
    date_done: meta.date_done,
  };
  if (meta.group_id !== undefined) ordered.group_id = meta.group_id;
  if (meta.parent_id !== undefined) ordered.parent_id = meta.parent_id;
  for (const [k, v] of Object.entries(meta)) {
    if (!(k in ordered) && k !== 'task_id') ordered[k] = v;
  }
  ordered.task_id = meta.task_id;
  return JSON.stringify(ordered);
}

export function decodeTaskMeta(text: string): TaskMeta | undefined {
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || typeof v.status !== 'string') return undefined;
    return {
      children: [],
      traceback: null,
      date_done: null,
      result: null,
      ...v,
    } as TaskMeta;
  } catch {
    return undefined;
  }
}

/**
 * A saved group (`celery-taskset-meta-<id>`), as Celery's GroupResult.save()
 * writes it: `{"result": [["<group id>", null], [[["<child>", null], null], …]]}`.
 */
export function encodeGroupMeta(groupId: string, taskIds: readonly string[]): string {
  return JSON.stringify({ result: [[groupId, null], taskIds.map((id) => [[id, null], null])] });
}

/** The member ids of a saved group; undefined when the value is not one. */
export function decodeGroupMeta(text: string): string[] | undefined {
  try {
    const v = JSON.parse(text);
    const members = v?.result?.[1];
    if (!Array.isArray(members)) return undefined;
    const ids = members.map((m: unknown) => (Array.isArray(m) && Array.isArray(m[0]) ? m[0][0] : undefined));
    return ids.every((id: unknown) => typeof id === 'string') ? (ids as string[]) : undefined;
  } catch {
    return undefined;
  }
}
