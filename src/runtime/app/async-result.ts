/** A handle on a task's outcome in the result backend (Celery's AsyncResult). */
import { TaskFailedError, TaskRevokedError } from '../errors';
import { exceptionMessageText, isExceptionInfo, type TaskMeta } from '../protocol/result-meta';
import { FAILURE, isReady, REVOKED, SUCCESS } from '../states';
import type { ResultBackend } from '../backends/backend';
import { assertWillNotBlock } from '../worker/join-guard';

export interface GetOptions {
  /** Seconds to wait; undefined waits forever. */
  timeout?: number;
  /** Throw if the task failed (default true); false returns the stored error info instead. */
  propagate?: boolean;
  signal?: AbortSignal;
  /**
   * In a worker process, waiting for a result raises (it can deadlock the
   * worker: chain tasks instead). false allows it anyway (Celery's `disable_sync_subtasks`).
   */
  disableSyncSubtasks?: boolean;
  /**
   * While waiting, also watch the earlier steps of a chain (`parent`, and its
   * parent…) and end the wait with the first of them that fails or is
   * revoked: the later steps of a failed chain never run, so their results
   * would stay PENDING forever (Celery's `follow_parents`, default true).
   */
  followParents?: boolean;
}

export function errorFromMeta(meta: TaskMeta): Error {
  if (meta.status === REVOKED) {
    const reason = isExceptionInfo(meta.result) ? exceptionMessageText(meta.result) : 'revoked';
    return new TaskRevokedError(`task ${meta.task_id} was revoked (${reason})`);
  }
  const info = isExceptionInfo(meta.result) ? meta.result : null;
  return new TaskFailedError(
    meta.task_id,
    info?.exc_type ?? 'Error',
    info ? exceptionMessageText(info) : String(meta.result),
    info?.exc_module ?? null,
    meta.traceback,
  );
}

/** A promise that never settles: a parent that succeeded does not end the wait. */
const NEVER = new Promise<never>(() => undefined);

export class AsyncResult<R = unknown> {
  constructor(
    readonly id: string,
    private readonly backend: () => Promise<ResultBackend>,
    /** The result of the step before this one in a chain (Celery's `parent`). */
    readonly parent?: AsyncResult,
  ) {}

  /** The earlier steps of the chain, nearest first. */
  parents(): AsyncResult[] {
    const out: AsyncResult[] = [];
    for (let p = this.parent; p; p = p.parent) out.push(p);
    return out;
  }

  /** The stored meta (PENDING when nothing is stored yet). */
  async meta(): Promise<TaskMeta> {
    return (await this.backend()).getTaskMeta(this.id);
  }

  async state(): Promise<string> {
    return (await this.meta()).status;
  }

  async ready(): Promise<boolean> {
    return isReady(await this.state());
  }

  async successful(): Promise<boolean> {
    return (await this.state()) === SUCCESS;
  }

  async failed(): Promise<boolean> {
    return (await this.state()) === FAILURE;
  }

  /** Wait for the task to finish and return its value; throws TaskFailedError if it failed. */
  async get(options: GetOptions = {}): Promise<R> {
    if (options.disableSyncSubtasks !== false) assertWillNotBlock(this.id);
    const backend = await this.backend();
    const ancestors = options.followParents === false ? [] : this.parents();
    const meta = ancestors.length
      ? await this.waitWithParents(backend, ancestors, options)
      : await backend.waitFor(this.id, { timeout: options.timeout, signal: options.signal });
    if (meta.status === SUCCESS) return meta.result as R;
    if (options.propagate === false) return meta.result as R;
    throw errorFromMeta(meta);
  }

  /** This result's meta, or the meta of the first parent that failed or was revoked, whichever comes first. */
  private async waitWithParents(backend: ResultBackend, ancestors: AsyncResult[], options: GetOptions): Promise<TaskMeta> {
    const stop = new AbortController();
    const forward = () => stop.abort(options.signal?.reason);
    if (options.signal?.aborted) forward();
    options.signal?.addEventListener('abort', forward, { once: true });
    const parentFailure = (p: AsyncResult) =>
      backend.waitFor(p.id, { signal: stop.signal }).then(
        (m) => (m.status === FAILURE || m.status === REVOKED ? m : NEVER),
        () => NEVER, // stopped, or unreadable: this result's own wait decides
      );
    try {
      return await Promise.race([backend.waitFor(this.id, { timeout: options.timeout, signal: stop.signal }), ...ancestors.map(parentFailure)]);
    } finally {
      options.signal?.removeEventListener('abort', forward);
      stop.abort();
    }
  }

  async forget(): Promise<void> {
    await (await this.backend()).forget(this.id);
  }

  toString(): string {
    return this.id;
  }

  toJSON(): string {
    return this.id;
  }
}
