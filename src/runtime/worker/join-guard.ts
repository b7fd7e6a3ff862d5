/**
 * Celery's rule, enforced as Celery does: in a worker process, waiting for a
 * task's result (`AsyncResult.get()`) raises, because a task that waits for
 * another can deadlock the worker (every slot waiting, nothing left to run
 * what they wait for). Chain the tasks instead. Worker processes (the CLI
 * worker, process-pool children) turn this on; a program that runs a Worker
 * next to its own client code does not.
 */
import { CeleriacError } from '../errors';

let joinWillBlock = false;

export class SyncSubtaskError extends CeleriacError {}

export function setTaskJoinWillBlock(value: boolean): void {
  joinWillBlock = value;
}

export function taskJoinWillBlock(): boolean {
  return joinWillBlock;
}

export function assertWillNotBlock(taskId: string): void {
  if (!joinWillBlock) return;
  throw new SyncSubtaskError(
    `Never call result.get() within a task (waiting for ${taskId}): it can deadlock the worker. ` +
      'Chain the tasks instead — chain(first.s(…), second.s()) — or, if you must, pass { disableSyncSubtasks: false }.',
  );
}
