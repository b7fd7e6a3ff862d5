/**
 * The one thread of each async-pool worker, in virtual time. A task whose
 * duration is `blocking` (synchronous, CPU-bound code) holds its worker's
 * event loop for all of it: no other task of that worker starts, resumes or
 * finishes until it lets go, whatever the concurrency. A process-pool worker
 * runs each task in a child of its own, so it has no such model.
 */
import { virtualSleep } from './virtual-sleep';

export interface LoopStalls {
  /** Runs of blocking code, by task name. */
  blockingRuns: Map<string, number>;
  /** Task runs that had to wait for a worker's loop, and the virtual ms they waited in all. */
  delayedRuns: number;
  delayedMs: number;
  /** Labels of the first few tasks that waited. */
  delayed: string[];
}

const KEEP = 5;

export class EventLoopModel {
  /** Per worker: the virtual time its loop is blocked until. */
  private readonly busyUntil = new Map<string, number>();
  readonly stalls: LoopStalls = { blockingRuns: new Map(), delayedRuns: 0, delayedMs: 0, delayed: [] };

  constructor(private readonly labelOf: (taskId: string) => string) {}

  /** Wait until the worker's loop is free (another task's sync code holds it), counting the wait of `taskId`. */
  async free(worker: string, taskId: string): Promise<void> {
    const startedAt = Date.now();
    for (let until = this.busyUntil.get(worker) ?? 0; Date.now() < until; until = this.busyUntil.get(worker) ?? 0) await virtualSleep(until - Date.now());
    const waited = Date.now() - startedAt;
    if (waited > 0) {
      this.stalls.delayedRuns++;
      this.stalls.delayedMs += waited;
      const label = this.labelOf(taskId);
      if (this.stalls.delayed.length < KEEP && !this.stalls.delayed.includes(label)) this.stalls.delayed.push(label);
    }
  }

  /** Run `ms` of synchronous code of `task` on the worker: after whatever holds the loop now, and holding it meanwhile. */
  async block(worker: string, taskId: string, task: string, ms: number): Promise<void> {
    await this.free(worker, taskId);
    this.stalls.blockingRuns.set(task, (this.stalls.blockingRuns.get(task) ?? 0) + 1);
    const until = Date.now() + ms;
    this.busyUntil.set(worker, until);
    await virtualSleep(ms);
  }

  /** A crashed worker's loop goes with it (the restarted one starts free). */
  reset(worker: string): void {
    this.busyUntil.delete(worker);
  }
}
