/**
 * A small read-only window.__timeline for tests and the bench, which drive
 * the real bundle in Chromium and need to see what the canvas shows.
 */
import type { TimelineDebug } from './debug-api';
import type { TimelineApp } from './timeline-app';


export function installDebugHook(app: TimelineApp): void {
  const waiting: ((t: number) => void)[] = [];
  app.view.onPaint(() => {
    const now = performance.now();
    for (const resolve of waiting.splice(0)) resolve(now);
  });
  const hook: TimelineDebug = {
    taskCount: () => app.store.size,
    matchingTaskCount: () => app.store.matchingCount,
    visibleBarCount: () => app.view.lastStats.bars,
    paintCount: () => app.view.paints,
    lastDrawMs: () => app.view.lastStats.ms,
    selectedTaskId: () => app.view.selected?.id,
    detailsTaskId: () => app.details.shownId,
    barCenter: (id) => {
      const t = app.store.get(id);
      return t ? app.view.barCenter(t) : undefined;
    },
    nextPaint: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        app.view.requestDraw();
      }),
    viewport: () => ({ start: app.view.scale.start, msPerPx: app.view.scale.msPerPx, follow: app.view.follow, width: app.view.plotWidth }),
    laneCount: () => app.layout.lanes().length,
  };
  Object.defineProperty(window, '__timeline', { value: Object.freeze(hook), configurable: false });
}
