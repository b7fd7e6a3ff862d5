/**
 * Loading a long history into the timeline page in Chromium, message by
 * message as the extension host posts it: bars show while the rest is still
 * arriving, and every task is there at the end.
 */
import { strict as assert } from 'node:assert';
import type { TimelineDebug } from '../../webview/src/debug-api';
import type { FakeHost } from './harness/fake-host';
import { buildHarness, openTimeline, type OpenTimeline } from './harness/page';

declare const window: { __timeline: TimelineDebug; __host: FakeHost };

describe('webview: timeline page while a long history arrives', function () {
  this.timeout(90_000);
  let t: OpenTimeline;

  before(async () => {
    await buildHarness();
    t = await openTimeline();
  });
  after(async () => {
    await t?.close();
  });

  it('paints bars after the first batches, long before the last one is in; ends with every task', async () => {
    const TASKS = 50_000;
    const seen = await t.page.evaluate(async (n) => {
      const tl = window.__timeline;
      const host = window.__host;
      host.load(n, 1250, true); // 5,000 events a message, each once the one before arrived
      for (let frames = 0; frames < 2000; frames++) {
        await tl.nextPaint();
        if (tl.visibleBarCount() > 0) return { tasks: tl.taskCount(), stillArriving: host.inFlight() };
      }
      return { tasks: tl.taskCount(), stillArriving: -1 };
    }, TASKS);
    assert.ok(seen.stillArriving > 10, `bars were painted with ${seen.stillArriving} of ${TASKS * 4 / 5000 + 2} messages still to come`);
    assert.ok(seen.tasks > 0 && seen.tasks < TASKS, `${seen.tasks} tasks in at the first bars`);
    await t.page.waitForFunction(() => window.__host.inFlight() === 0, undefined, { timeout: 60_000 });
    assert.equal(await t.page.evaluate(() => window.__timeline.taskCount()), TASKS);
    assert.deepEqual(t.errors, []);
  });
});
