/**
 * The parts of one attempt as drawn: ETA wait (held back until its ETA or a
 * retry's countdown), queue wait (sent or received, until a pool slot took
 * it) and the run. Written into a reused object because the renderer asks
 * for every visible attempt on every frame.
 */
import type { Attempt } from '../model/types';

export interface Segments {
  /** NaN when the part does not exist. */
  etaFrom: number;
  etaTo: number;
  queueFrom: number;
  queueTo: number;
  runFrom: number;
  runTo: number;
}

export function emptySegments(): Segments {
  return { etaFrom: NaN, etaTo: NaN, queueFrom: NaN, queueTo: NaN, runFrom: NaN, runTo: NaN };
}

/**
 * When the attempt started waiting: the first attempt when it was sent (or
 * received, if no task-sent was seen); a retry when the attempt it retries
 * ended, since its countdown starts there.
 */
export function waitStartOf(a: Attempt): number {
  const received = a.received ?? a.started ?? 0;
  if (a.index === 0) return a.task.sent !== undefined ? Math.min(a.task.sent, received) : received;
  const previous = a.task.attempts[a.index - 1];
  if (previous?.outcome === 'RETRY' && previous.finished !== undefined) return Math.min(previous.finished, received);
  return received;
}

/** The ETA this delivery waited for, if any. */
export function etaOf(a: Attempt): number | undefined {
  if (a.eta !== undefined) return a.eta;
  return a.index === a.task.attempts.length - 1 ? a.task.eta : undefined;
}

export function attemptSegments(a: Attempt, now: number, out: Segments): Segments {
  const waitFrom = waitStartOf(a);
  const waitTo = a.started ?? a.finished ?? Math.max(now, waitFrom);
  out.etaFrom = out.etaTo = out.queueFrom = out.queueTo = out.runFrom = out.runTo = NaN;
  const eta = etaOf(a);
  if (eta !== undefined && eta > waitFrom) {
    out.etaFrom = waitFrom;
    out.etaTo = Math.min(eta, waitTo);
    if (waitTo > eta) {
      out.queueFrom = eta;
      out.queueTo = waitTo;
    }
  } else if (waitTo > waitFrom) {
    out.queueFrom = waitFrom;
    out.queueTo = waitTo;
  }
  if (a.started !== undefined) {
    out.runFrom = a.started;
    out.runTo = a.finished ?? Math.max(now, a.started);
  }
  return out;
}
