/**
 * Celery events → tasks and attempts. Events of one worker arrive in order,
 * but events of different hosts (the client's task-sent, a retry received by
 * another worker) may not, and the panel may open mid-run; so every step
 * tolerates a missing or late predecessor instead of assuming the happy path.
 */
import type { TimelineTaskEvent, TimelineTaskState, TimelineWorkerEvent } from '../../../src/shared/timeline-protocol';
import type { TaskStore } from './task-store';
import type { Attempt, AttemptOutcome, TaskRecord } from './types';

export function applyTaskEvent(store: TaskStore, e: TimelineTaskEvent): void {
  const t = store.ensureTask(e.id, e.time);
  store.noteTime(e.time);
  fillFields(store, t, e);
  store.touch(t);
  switch (e.type) {
    case 'task-sent':
      // Later sends of the same id are retries: their wait starts where the retried attempt ended.
      if (t.sent === undefined || (!t.attempts.length && e.time < t.sent)) t.sent = e.time;
      store.setState(t, 'PENDING', e.time);
      store.enqueue(t);
      return;
    case 'task-received': {
      store.noteWorker(e.hostname, e.time);
      const existing = findOpenAttempt(t, e.hostname);
      if (existing && existing.received !== undefined && existing.started === undefined && Math.abs(existing.received - e.time) < 1) return; // duplicate
      // A delivery still open elsewhere was lost: its worker died and the broker redelivered it.
      for (const a of t.attempts) if (a.finished === undefined) store.finishAttempt(a, 'LOST', e.time, true);
      store.addAttempt(t, e.hostname, e.retries ?? t.retries, e.time, e.eta);
      store.setState(t, 'RECEIVED', e.time);
      return;
    }
    case 'task-started': {
      store.noteWorker(e.hostname, e.time);
      const a = attemptFor(store, t, e.hostname, e.time);
      store.startAttempt(a, e.time);
      store.setState(t, 'STARTED', e.time);
      return;
    }
    case 'task-succeeded':
    case 'task-failed':
    case 'task-retried':
    case 'task-rejected': {
      store.noteWorker(e.hostname, e.time);
      const outcome = OUTCOME[e.type];
      const a = attemptFor(store, t, e.hostname, e.time);
      // Rejected means it never ran; the others ran, so a missing start is
      // placed from the runtime the worker measured, or at the receipt.
      if (outcome !== 'REJECTED' && a.started === undefined) {
        const ran = e.runtime !== undefined ? e.time - e.runtime * 1000 : (a.received ?? e.time);
        store.startAttempt(a, Math.min(ran, e.time));
      }
      store.finishAttempt(a, outcome, e.time, false);
      store.setState(t, outcome, e.time);
      return;
    }
    case 'task-revoked': {
      // Every worker broadcasts the revoke, so the hostname says nothing
      // about where it ran: end whatever is open, or its wait in the queue.
      for (const a of t.attempts) if (a.finished === undefined) store.finishAttempt(a, 'REVOKED', e.time, false);
      if (!t.attempts.length) store.dequeue(t, e.time);
      store.setState(t, 'REVOKED', e.time);
      return;
    }
  }
}

const OUTCOME: Record<'task-succeeded' | 'task-failed' | 'task-retried' | 'task-rejected', AttemptOutcome & TimelineTaskState> = {
  'task-succeeded': 'SUCCESS',
  'task-failed': 'FAILURE',
  'task-retried': 'RETRY',
  'task-rejected': 'REJECTED',
};

function fillFields(store: TaskStore, t: TaskRecord, e: TimelineTaskEvent): void {
  if (e.name) store.setName(t, e.name);
  if (e.queue) store.setQueue(t, e.queue);
  if (e.args !== undefined && e.args !== '') t.args = e.args;
  if (e.kwargs !== undefined && e.kwargs !== '') t.kwargs = e.kwargs;
  if (e.result !== undefined) t.result = e.result;
  if (e.exception !== undefined && e.type !== 'task-retried') t.exception = e.exception;
  if (e.traceback !== undefined && e.type !== 'task-retried') t.traceback = e.traceback;
  if (e.type === 'task-retried' && e.exception !== undefined) {
    // The reason for a retry belongs to that attempt; keep it until a final exception replaces it.
    if (t.exception === undefined) t.exception = e.exception;
    if (t.traceback === undefined && e.traceback !== undefined) t.traceback = e.traceback;
  }
  if (e.retries !== undefined && e.retries > t.retries) t.retries = e.retries;
  if (e.eta !== undefined) t.eta = e.eta;
  if (e.expires !== undefined) t.expires = e.expires;
  if (e.runtime !== undefined) t.runtime = e.runtime;
  if (e.terminated) t.terminated = true;
  if (e.expired) t.expired = true;
  if (e.rootId) store.setRoot(t, e.rootId);
  if (e.parentId && e.parentId !== t.parentId) {
    t.parentId = e.parentId;
    store.linkChild(e.parentId, t.id);
  }
}

/** The attempt this worker is running for the task, newest first; one whose end was only inferred still counts. */
function findOpenAttempt(t: TaskRecord, worker: string): Attempt | undefined {
  for (let i = t.attempts.length - 1; i >= 0; i--) {
    const a = t.attempts[i];
    if (a.worker === worker && (a.finished === undefined || a.endInferred)) return a;
  }
  return undefined;
}

/** The worker's open attempt, or a new one when its task-received was never seen (panel opened late). */
function attemptFor(store: TaskStore, t: TaskRecord, worker: string, time: number): Attempt {
  const open = findOpenAttempt(t, worker);
  if (open) return open;
  return store.addAttempt(t, worker, t.retries, time);
}

export function applyWorkerEvent(store: TaskStore, e: TimelineWorkerEvent): void {
  const w = store.noteWorker(e.hostname, e.time);
  store.noteTime(e.time);
  if (e.software) w.software = e.software;
  if (e.active !== undefined) w.active = e.active;
  if (e.processed !== undefined) w.processed = e.processed;
  if (e.freq !== undefined) w.freq = e.freq;
  if (e.type === 'worker-offline') {
    w.online = false;
    // Whatever it was running will not report an end; it may come back through redelivery.
    for (const a of store.openAttemptsOf(e.hostname)) {
      store.finishAttempt(a, 'LOST', e.time, true);
      store.touch(a.task);
    }
  } else if (e.time >= w.lastSeen) w.online = true;
}
