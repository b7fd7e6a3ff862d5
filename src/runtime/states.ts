/** Task states, spelled as Celery stores them. */
export const PENDING = 'PENDING';
export const RECEIVED = 'RECEIVED';
export const STARTED = 'STARTED';
export const RETRY = 'RETRY';
export const SUCCESS = 'SUCCESS';
export const FAILURE = 'FAILURE';
export const REVOKED = 'REVOKED';

export type TaskState =
  | typeof PENDING
  | typeof RECEIVED
  | typeof STARTED
  | typeof RETRY
  | typeof SUCCESS
  | typeof FAILURE
  | typeof REVOKED;

/** States after which a task's result will not change. */
export const READY_STATES: ReadonlySet<string> = new Set([SUCCESS, FAILURE, REVOKED]);
/** Ready states that mean the task did not succeed. */
export const EXCEPTION_STATES: ReadonlySet<string> = new Set([RETRY, FAILURE, REVOKED]);

export function isReady(state: string): boolean {
  return READY_STATES.has(state);
}
