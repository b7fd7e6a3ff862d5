/**
 * Which bar is under the pointer: the lane by y, then the matching item in
 * that lane nearest to the pointer's time (within a few pixels, so thin bars
 * of short tasks can still be clicked).
 */
import type { Attempt, TaskRecord } from '../model/types';
import { attemptSegments, emptySegments } from './attempt-segments';
import { LaneLayout, type Lane } from './lane-layout';

export interface Hit {
  task: TaskRecord;
  attempt?: Attempt;
  lane: Lane;
}

const scratch = emptySegments();

export function hitTest(lanes: readonly Lane[], y: number, t: number, toleranceMs: number, now: number): Hit | undefined {
  const lane = LaneLayout.laneAt(lanes, y);
  if (!lane) return undefined;
  let best: Hit | undefined;
  let bestDistance = Infinity;
  const consider = (task: TaskRecord, from: number, to: number, attempt?: Attempt, bonus = 0) => {
    if (!task.matches) return;
    const d = (t < from ? from - t : t > to ? t - to : 0) - bonus;
    if (d <= toleranceMs && d < bestDistance) {
      bestDistance = d;
      best = { task, attempt, lane };
    }
  };
  const t0 = t - toleranceMs;
  const t1 = t + toleranceMs;
  lane.tasks?.forEachIn(t0, t1, (task) => consider(task, task.sent ?? 0, task.dequeued ?? now));
  lane.attempts?.forEachIn(t0, t1, (a) => {
    const s = attemptSegments(a, now, scratch);
    if (!Number.isNaN(s.runFrom)) {
      // The run is what a click means; the wait before it only if no run is near.
      consider(a.task, s.runFrom, s.runTo, a, toleranceMs / 2);
      return;
    }
    const from = Number.isNaN(s.etaFrom) ? s.queueFrom : s.etaFrom;
    const to = Number.isNaN(s.queueTo) ? s.etaTo : s.queueTo;
    if (!Number.isNaN(from)) consider(a.task, from, to, a);
  });
  return best;
}
