/**
 * The shape of window.__timeline (see debug-hook.ts), apart so Node-side
 * tests can name it without pulling in the page's DOM code.
 */
export interface TimelineDebug {
  taskCount(): number;
  matchingTaskCount(): number;
  /** Bars drawn in the last frame (tasks in view that pass the filters). */
  visibleBarCount(): number;
  paintCount(): number;
  lastDrawMs(): number;
  selectedTaskId(): string | undefined;
  detailsTaskId(): string | undefined;
  /** Client coordinates of a task's bar, when it is in view. */
  barCenter(id: string): { x: number; y: number } | undefined;
  /** Resolves after the next paint. */
  nextPaint(): Promise<number>;
  viewport(): { start: number; msPerPx: number; follow: boolean; width: number };
  laneCount(): number;
}
