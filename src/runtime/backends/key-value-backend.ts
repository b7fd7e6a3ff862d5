/**
 * Celery's key/value result backend layout on any KeyValueStore:
 * `celery-task-meta-<id>` holds the task's JSON meta with `result_expires`,
 * and the same JSON is published on a channel of that name so waiters need
 * not poll.
 */
import { TimeoutError } from '../errors';
import { decodeGroupMeta, decodeTaskMeta, encodeGroupMeta, encodeTaskMeta, type TaskMeta } from '../protocol/result-meta';
import { isReady } from '../states';
import type { Disposable } from '../disposable';
import { pendingMeta, type ChordPart, type ResultBackend, type StoreOptions, type WaitOptions } from './backend';
import type { KeyValueStore } from './key-value-store';

export const TASK_META_PREFIX = 'celery-task-meta-';
export const GROUP_META_PREFIX = 'celery-taskset-meta-';
export const DEFAULT_RESULT_EXPIRES = 86_400;

export class KeyValueBackend implements ResultBackend {
  readonly enabled = true;

  constructor(
    readonly store: KeyValueStore,
    readonly url: string,
    private readonly resultExpires = DEFAULT_RESULT_EXPIRES,
  ) {}

  key(taskId: string): string {
    return TASK_META_PREFIX + taskId;
  }

  async storeResult(meta: TaskMeta, options?: StoreOptions): Promise<void> {
    // As Celery 5.2: a SUCCESS is never overwritten, so a duplicate run of the
    // same task id (redelivery, ETA past the visibility timeout) keeps the first result.
    await this.store.storeResult(this.key(meta.task_id), encodeTaskMeta(meta), options?.expires ?? this.resultExpires);
  }

  async getTaskMeta(taskId: string): Promise<TaskMeta> {
    const raw = await this.store.get(this.key(taskId));
    return (raw && decodeTaskMeta(raw)) || pendingMeta(taskId);
  }

  waitFor(taskId: string, options: WaitOptions = {}): Promise<TaskMeta> {
    const key = this.key(taskId);
    return new Promise<TaskMeta>((resolve, reject) => {
      let done = false;
      let sub: Disposable | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let last: TaskMeta = pendingMeta(taskId);
      const onAbort = () => finish(undefined, options.signal?.reason ?? new Error('aborted'));
      const finish = (meta?: TaskMeta, err?: unknown) => {
        if (done) return;
        done = true;
        sub?.dispose();
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (meta) resolve(meta);
        else reject(err);
      };
      const consider = (meta: TaskMeta | undefined) => {
        if (!meta) return;
        last = meta;
        if (isReady(meta.status)) finish(meta);
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeout !== undefined) {
        timer = setTimeout(
          () =>
            finish(
              undefined,
              new TimeoutError(`timed out after ${options.timeout}s waiting for task ${taskId} (state ${last.status})`),
            ),
          options.timeout * 1000,
        );
      }
      // Subscribe before reading, so a result stored in between is not missed.
      this.store
        .subscribe(key, (message) => consider(decodeTaskMeta(message)))
        .then(async (s) => {
          if (done) return s.dispose();
          sub = s;
          consider(await this.getTaskMeta(taskId));
        })
        .catch((err) => finish(undefined, err));
    });
  }

  async getTaskMetas(taskIds: readonly string[]): Promise<TaskMeta[]> {
    const raws = await this.store.mget(taskIds.map((id) => this.key(id)));
    return raws.map((raw, i) => (raw && decodeTaskMeta(raw)) || pendingMeta(taskIds[i]));
  }

  async forget(taskId: string): Promise<void> {
    await this.store.delete(this.key(taskId));
  }

  async saveGroup(groupId: string, taskIds: readonly string[], options?: StoreOptions): Promise<void> {
    await this.store.set(GROUP_META_PREFIX + groupId, encodeGroupMeta(groupId, taskIds), {
      ttl: options?.expires ?? this.resultExpires,
      publish: true,
    });
  }

  async restoreGroup(groupId: string): Promise<string[] | undefined> {
    const raw = await this.store.get(GROUP_META_PREFIX + groupId);
    return raw ? decodeGroupMeta(raw) : undefined;
  }

  async forgetGroup(groupId: string): Promise<void> {
    await this.store.delete(GROUP_META_PREFIX + groupId);
  }

  async setChordSize(groupId: string, size: number): Promise<void> {
    await this.store.set(`${GROUP_META_PREFIX}${groupId}.s`, String(size), { ttl: this.resultExpires, publish: true });
  }

  async onChordPart(groupId: string, groupIndex: number, part: ChordPart): Promise<ChordPart[] | undefined> {
    const encoded = JSON.stringify([1, part.taskId, part.state, part.result ?? null]);
    const parts = await this.store.chordPart(GROUP_META_PREFIX + groupId, groupIndex, encoded, this.resultExpires);
    return parts?.map(decodeChordPart);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** `[1, task_id, state, result]`, as Celery 5.2 writes it (the first field is not used). */
function decodeChordPart(raw: string): ChordPart {
  try {
    const [, taskId, state, result] = JSON.parse(raw) as [unknown, string, string, unknown];
    return { taskId: String(taskId), state: String(state), result };
  } catch {
    return { taskId: '?', state: 'FAILURE', result: { exc_type: 'ChordError', exc_message: ['unreadable chord part'], exc_module: null } };
  }
}
