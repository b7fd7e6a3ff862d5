/** No result backend configured: storing is a no-op, reading explains how to enable one. */
import { ConfigError } from '../errors';
import type { TaskMeta } from '../protocol/result-meta';
import type { ChordPart, ResultBackend } from './backend';

function noBackend(what: string): ConfigError {
  return new ConfigError(
    `cannot ${what}: no result backend is configured (set result_backend, e.g. 'redis://localhost:6379/0', or CELERIAC_RESULT_BACKEND)`,
  );
}

export class DisabledBackend implements ResultBackend {
  readonly url = 'disabled://';
  readonly enabled = false;

  async storeResult(): Promise<void> {}

  async getTaskMeta(taskId: string): Promise<TaskMeta> {
    throw noBackend(`read the state of task ${taskId}`);
  }

  async waitFor(taskId: string): Promise<TaskMeta> {
    throw noBackend(`wait for task ${taskId}`);
  }

  async getTaskMetas(taskIds: readonly string[]): Promise<TaskMeta[]> {
    throw noBackend(`read the state of ${taskIds.length} tasks`);
  }

  async forget(): Promise<void> {}

  async saveGroup(groupId: string): Promise<void> {
    throw noBackend(`save group ${groupId}`);
  }

  async restoreGroup(groupId: string): Promise<string[] | undefined> {
    throw noBackend(`restore group ${groupId}`);
  }

  async forgetGroup(): Promise<void> {}

  async setChordSize(groupId: string): Promise<void> {
    throw noBackend(`join chord ${groupId}`);
  }

  async onChordPart(groupId: string): Promise<ChordPart[] | undefined> {
    throw noBackend(`join chord ${groupId}`);
  }

  async close(): Promise<void> {}
}
