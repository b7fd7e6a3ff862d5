/**
 * Outcomes read from the result backend: history from before the panel saw
 * any event, or the end of a task whose final event was missed. They fill in
 * what events did not say and never contradict an event that did.
 */
import type { TimelineStoredResult } from '../../../src/shared/timeline-protocol';
import type { TaskStore } from './task-store';
import { READY_STATES, type AttemptOutcome } from './types';

export function applyStoredResult(store: TaskStore, r: TimelineStoredResult): void {
  const known = store.get(r.id);
  const t = known ?? store.ensureTask(r.id, r.finished ?? 0);
  store.touch(t);
  if (r.finished !== undefined) store.noteTime(r.finished);
  if (r.result !== undefined && t.result === undefined) t.result = r.result;
  if (r.exception !== undefined && (t.exception === undefined || t.state === 'RETRY')) t.exception = r.exception;
  if (r.traceback !== undefined && (t.traceback === undefined || t.state === 'RETRY')) t.traceback = r.traceback;
  if (r.parentId && !t.parentId) {
    t.parentId = r.parentId;
    store.linkChild(r.parentId, t.id);
  }
  if (r.children?.length) {
    t.storedChildren = r.children;
    for (const c of r.children) store.linkChild(t.id, c);
  }
  if (!READY_STATES.has(r.state) || READY_STATES.has(t.state)) {
    if (!known) store.setState(t, r.state, t.stateTime);
    return;
  }
  const at = r.finished ?? lastTimeOf(t);
  const outcome = r.state as AttemptOutcome;
  const open = t.attempts.filter((a) => a.finished === undefined);
  for (const a of open) store.finishAttempt(a, outcome, Math.max(at, a.started ?? a.received ?? at), true);
  if (!t.attempts.length) {
    if (t.queued) store.dequeue(t, at);
    else if (r.finished !== undefined) {
      // Known only to the backend: a point at its finish time on the "stored results" lane.
      const a = store.addAttempt(t, '', t.retries, r.finished);
      store.startAttempt(a, r.finished);
      store.finishAttempt(a, outcome, r.finished, true);
    }
  }
  store.setState(t, r.state, Math.max(at, t.stateTime));
}

function lastTimeOf(t: { attempts: { received?: number; started?: number }[]; sent?: number; stateTime: number }): number {
  let last = t.sent ?? t.stateTime;
  for (const a of t.attempts) last = Math.max(last, a.started ?? a.received ?? last);
  return last;
}
