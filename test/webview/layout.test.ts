import { strict as assert } from 'node:assert';
import type { TimelineEvent, TimelineTaskEvent } from '../../src/shared/timeline-protocol';
import { attemptSegments, emptySegments } from '../../webview/src/layout/attempt-segments';
import { hitTest } from '../../webview/src/layout/hit-test';
import { LaneLayout } from '../../webview/src/layout/lane-layout';
import { TimeScale } from '../../webview/src/layout/time-scale';
import { formatDuration } from '../../src/shared/format-duration';
import { tickStep, timeTicks } from '../../webview/src/layout/time-ticks';
import { TaskStore } from '../../webview/src/model/task-store';

const W = 'celery@w1';

function run(id: string, received: number, started: number, finished: number | undefined, hostname = W, extra: Partial<TimelineTaskEvent> = {}): TimelineEvent[] {
  const events: TimelineEvent[] = [
    { type: 'task-received', id, time: received, hostname, name: 'job', ...extra },
    { type: 'task-started', id, time: started, hostname },
  ];
  if (finished !== undefined) events.push({ type: 'task-succeeded', id, time: finished, hostname });
  return events;
}

function setup(): { store: TaskStore; layout: LaneLayout } {
  const store = new TaskStore(10_000);
  const layout = new LaneLayout();
  store.observe(layout);
  return { store, layout };
}

describe('webview: layout', () => {
  it('assigns pool slots greedily by overlap of run intervals', () => {
    const { store } = setup();
    store.applyEvents([
      ...run('a', 0, 0, 100), // slot 0
      ...run('b', 0, 10, 50), // overlaps a → slot 1
      ...run('c', 0, 60, 200), // b ended at 50 → slot 1 again
      ...run('d', 0, 120, 150), // a ended at 100 → slot 0
      ...run('e', 0, 130, 140), // a free? no: d runs; c runs → slot 2
    ]);
    const slot = (id: string) => store.get(id)!.attempts[0].slot;
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map(slot), [0, 1, 1, 0, 2]);
  });

  it('gives late runs (out of start order) the same slots as if they had come in order', () => {
    const ordered = setup();
    const shuffled = setup();
    const events = [...run('a', 0, 0, 100), ...run('b', 0, 10, 50), ...run('c', 0, 60, 200), ...run('d', 0, 120, 150)];
    ordered.store.applyEvents(events);
    // Task by task, in reverse: each run arrives before the ones that started earlier.
    for (const id of ['d', 'c', 'b', 'a']) shuffled.store.applyEvents(events.filter((e) => 'id' in e && e.id === id));
    const lanesOf = (s: ReturnType<typeof setup>) => s.layout.lanes().filter((l) => l.kind === 'slot').length;
    assert.equal(lanesOf(ordered), 2);
    assert.equal(lanesOf(shuffled), 2);
    for (const id of ['a', 'b', 'c', 'd']) assert.equal(shuffled.store.get(id)!.attempts[0].slot, ordered.store.get(id)!.attempts[0].slot, id);
  });

  it('lays out a queued lane, a header and slot lanes per worker (sorted), and a stored-results lane', () => {
    const { store, layout } = setup();
    store.applyEvents([{ type: 'task-sent', id: 'q', time: 0, hostname: 'client' }, ...run('x', 0, 1, 5, 'celery@b'), ...run('y', 0, 1, 5, 'celery@a')]);
    store.applyStoredResults([{ id: 'old', state: 'SUCCESS', finished: 3 }]);
    const lanes = layout.lanes();
    assert.deepEqual(
      lanes.map((l) => `${l.kind}:${l.worker}:${l.slot}`),
      ['queued::-1', 'worker:celery@a:-1', 'slot:celery@a:0', 'worker:celery@b:-1', 'slot:celery@b:0', 'stored::-1'],
    );
    for (let i = 1; i < lanes.length; i++) assert.ok(lanes[i].top >= lanes[i - 1].top + lanes[i - 1].height, 'lanes do not overlap');
    assert.deepEqual(layout.lanes([], new Set(['celery@b'])).map((l) => l.kind), ['worker', 'slot'], 'the worker filter keeps only its lanes');
    // Once received, the task leaves the queue lane.
    store.applyEvents(run('q', 10, 11, 12));
    assert.equal(layout.lanes().filter((l) => l.kind === 'queued').length, 0);
  });

  it('splits an attempt into ETA wait, queue wait and run, and a retry waits from the retried run', () => {
    const { store } = setup();
    store.applyEvents([
      { type: 'task-sent', id: 't', time: 0, hostname: 'client', name: 'job', eta: 1000 },
      { type: 'task-received', id: 't', time: 10, hostname: W, eta: 1000 },
      { type: 'task-started', id: 't', time: 1500, hostname: W },
      { type: 'task-retried', id: 't', time: 1600, hostname: W },
      { type: 'task-received', id: 't', time: 1610, hostname: W, eta: 3600, retries: 1 },
      { type: 'task-started', id: 't', time: 3600, hostname: W },
    ]);
    const [first, second] = store.get('t')!.attempts;
    const s = attemptSegments(first, 9999, emptySegments());
    assert.deepEqual([s.etaFrom, s.etaTo, s.queueFrom, s.queueTo, s.runFrom, s.runTo], [0, 1000, 1000, 1500, 1500, 1600]);
    const r = attemptSegments(second, 4000, emptySegments());
    assert.deepEqual([r.etaFrom, r.etaTo, r.queueFrom, r.runFrom, r.runTo], [1600, 3600, NaN, 3600, 4000], 'running: the run grows to now');
  });

  it('finds the bar under the pointer, preferring a run to a wait', () => {
    const { store, layout } = setup();
    store.applyEvents([...run('a', 0, 0, 100), ...run('b', 0, 150, 300)]);
    store.setFilter({ names: [], states: [], queues: [], workers: [], search: '' });
    const lanes = layout.lanes();
    const slot = lanes.find((l) => l.kind === 'slot')!;
    const y = slot.top + 5;
    assert.equal(hitTest(lanes, y, 50, 2, 1000)?.task.id, 'a');
    assert.equal(hitTest(lanes, y, 200, 2, 1000)?.task.id, 'b');
    assert.equal(hitTest(lanes, y, 125, 2, 1000), undefined, 'nothing within the tolerance');
    assert.equal(hitTest(lanes, y, 103, 5, 1000)?.task.id, 'a', 'a short miss still hits');
  });

  it('maps time to x and zooms around the pointer', () => {
    const s = new TimeScale(1000, 10);
    assert.equal(s.x(1500), 50);
    assert.equal(s.time(50), 1500);
    s.zoomAt(50, 0.5);
    assert.equal(s.msPerPx, 5);
    assert.equal(s.time(50), 1500, 'the time under the pointer stays');
    s.panBy(10);
    assert.equal(s.time(40), 1500);
    s.fit(0, 1000, 100, 0);
    assert.equal(s.x(0), 0);
    assert.equal(s.x(1000), 100);
    s.zoomAt(0, 1e-12);
    assert.ok(s.msPerPx > 0, 'zoom is clamped');
  });

  it('picks tick steps that leave room for labels, and formats durations', () => {
    assert.equal(tickStep(10, 90), 1000);
    assert.equal(tickStep(1000, 90), 120_000);
    const ticks = timeTicks(Date.UTC(2025, 0, 1, 12, 0, 0, 500), 10, 400);
    assert.ok(ticks.length >= 3 && ticks.length <= 5);
    assert.ok(ticks.every((t) => /^\d\d:\d\d:\d\d$/.test(t.label)), ticks.map((t) => t.label).join());
    assert.ok(ticks.every((t, i) => i === 0 || t.x - ticks[i - 1].x >= 90));
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(1250), '1.25 s');
    assert.equal(formatDuration(200_000), '3 min 20 s');
  });
});
