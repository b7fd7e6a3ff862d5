/**
 * Tasks defined without an app (Celery's @shared_task): every app created in
 * the process registers them, and calling one goes through the current app
 * (the last one created, or the one made current with `app.setAsCurrent()`).
 */
import { ConfigError } from '../errors';
import { Task, type BoundTaskFn, type PlainTaskFn, type TaskFunction, type TaskSender } from './task';
import type { TaskOptions } from './task-options';

const sharedTasks = new Map<string, Task<any, any>>();
const listeners = new Set<(task: Task<any, any>) => void>();
let currentSender: TaskSender | undefined;

export function setCurrentSender(sender: TaskSender): void {
  currentSender = sender;
}

/** `sender` is going away (its app closed): if it is current, make `fallback` current instead. */
export function retireCurrentSender(sender: TaskSender, fallback: TaskSender | undefined): void {
  if (currentSender === sender) currentSender = fallback;
}

/** The app that shared tasks and unbound signatures send through. */
export function currentApp(): TaskSender {
  return current();
}

function current(): TaskSender {
  if (!currentSender) {
    throw new ConfigError('a shared task was called with no open app (none created yet, or all closed): call createApp(...) first');
  }
  return currentSender;
}

export function sharedTask<A extends unknown[], R>(
  name: string,
  fn: BoundTaskFn<A, R>,
  options: TaskOptions & { bind: true },
): Task<A, Awaited<R>>;
export function sharedTask<A extends unknown[], R>(name: string, fn: PlainTaskFn<A, R>, options?: TaskOptions): Task<A, Awaited<R>>;
export function sharedTask(name: string, fn: TaskFunction, options: TaskOptions = {}): Task<unknown[], unknown> {
  const task = new Task(name, fn, Object.freeze({ ...options }), current);
  sharedTasks.set(name, task);
  for (const l of listeners) l(task);
  return task;
}

/** Register every shared task now and later in an app's registry; returns an unsubscribe. */
export function onSharedTask(listener: (task: Task<any, any>) => void): () => void {
  for (const t of sharedTasks.values()) listener(t);
  listeners.add(listener);
  return () => listeners.delete(listener);
}
