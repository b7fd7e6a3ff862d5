/** Messages between a process-pool parent and its children (Node IPC). */
import type { Outcome, TaskRun } from '../task-run';

export type ParentToChild = { type: 'run'; run: TaskRun } | { type: 'exit' };

export type ChildToParent =
  | { type: 'ready'; pid: number; tasks: string[] }
  | { type: 'load-error'; message: string }
  | { type: 'done'; id: string; outcome: Outcome };

/** Environment handed to children: which module to load. */
export const POOL_ENTRY_ENV = 'CELERIAC_POOL_ENTRY';
export const POOL_BUILT_ENV = 'CELERIAC_POOL_BUILT';
export const POOL_INDEX_ENV = 'CELERIAC_POOL_INDEX';
export const POOL_LOG_LEVEL_ENV = 'CELERIAC_POOL_LOG_LEVEL';
