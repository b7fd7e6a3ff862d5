/**
 * Several task results handled as one (Celery's GroupResult). `save()` stores
 * the member ids under `celery-taskset-meta-<id>` so any client — Python too —
 * can `restore` the group later by its id.
 */
import { randomUUID } from 'node:crypto';
import type { ResultBackend } from '../backends/backend';
import { FAILURE, isReady, SUCCESS } from '../states';
import { AsyncResult, errorFromMeta, type GetOptions } from './async-result';
import { assertWillNotBlock } from '../worker/join-guard';

export class GroupResult<R = unknown> {
  constructor(
    readonly id: string,
    readonly results: AsyncResult<R>[],
    private readonly backend: () => Promise<ResultBackend>,
  ) {}

  static of<R>(results: AsyncResult<R>[], backend: () => Promise<ResultBackend>, id: string = randomUUID()): GroupResult<R> {
    return new GroupResult(id, results, backend);
  }

  /** The saved group, or undefined when no group of that id is stored. */
  static async restore<R = unknown>(id: string, backend: () => Promise<ResultBackend>): Promise<GroupResult<R> | undefined> {
    const ids = await (await backend()).restoreGroup(id);
    return ids && new GroupResult<R>(id, ids.map((tid) => new AsyncResult<R>(tid, backend)), backend);
  }

  get ids(): string[] {
    return this.results.map((r) => r.id);
  }

  async save(): Promise<this> {
    await (await this.backend()).saveGroup(this.id, this.ids);
    return this;
  }

  async forget(): Promise<void> {
    const backend = await this.backend();
    await backend.forgetGroup(this.id);
    await Promise.all(this.ids.map((id) => backend.forget(id)));
  }

  private async states(): Promise<string[]> {
    return (await (await this.backend()).getTaskMetas(this.ids)).map((m) => m.status);
  }

  /** How many members finished successfully. */
  async completedCount(): Promise<number> {
    return (await this.states()).filter((s) => s === SUCCESS).length;
  }

  async ready(): Promise<boolean> {
    return (await this.states()).every(isReady);
  }

  async successful(): Promise<boolean> {
    return (await this.states()).every((s) => s === SUCCESS);
  }

  async failed(): Promise<boolean> {
    return (await this.states()).some((s) => s === FAILURE);
  }

  /**
   * Every member's value, in member order. The timeout (seconds) covers the
   * whole wait; the first failure is raised unless `propagate` is false.
   */
  async get(options: GetOptions = {}): Promise<R[]> {
    if (options.disableSyncSubtasks !== false) assertWillNotBlock(this.id);
    const backend = await this.backend();
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout * 1000;
    const values: R[] = [];
    for (const id of this.ids) {
      const timeout = deadline === undefined ? undefined : Math.max(0, (deadline - Date.now()) / 1000);
      const meta = await backend.waitFor(id, { timeout, signal: options.signal });
      if (meta.status !== SUCCESS && options.propagate !== false) throw errorFromMeta(meta);
      values.push(meta.result as R);
    }
    return values;
  }
}
