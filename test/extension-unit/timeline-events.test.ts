/**
 * The host side of the timeline: Celery events, snapshots and stored results
 * become the protocol's messages (real Celery captures where they exist), and
 * the page's HTML carries a strict CSP.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { EventState } from '../../src/runtime/events/event-state';
import type { CeleryEvent } from '../../src/runtime/events/celery-event';
import { isoToMs, metaToStoredResult, snapshotToEvents, toTimelineEvent, workerToEvent } from '../../src/extension/timeline/timeline-events';
import { contentSecurityPolicy, makeNonce, timelineHtml } from '../../src/extension/timeline/timeline-html';
import { loadFixture } from '../helpers/fixtures';
import type { TimelineTaskEvent, TimelineWorkerEvent } from '../../src/shared/timeline-protocol';

function captured(file: string): CeleryEvent {
  const body = loadFixture(file).body_decoded;
  return (Array.isArray(body) ? body[0] : body) as CeleryEvent;
}

describe('timeline host: events → timeline messages', () => {
  it('reads a Python task-sent: id, ms time, name, reprs, queue, root', () => {
    const e = captured('amqp_event_task_sent.json');
    const t = toTimelineEvent(e) as TimelineTaskEvent;
    assert.equal(t.type, 'task-sent');
    assert.equal(t.id, e.uuid);
    assert.equal(t.time, Math.round(e.timestamp * 1000));
    assert.equal(t.name, 'interop_app.sleep_task');
    assert.equal(t.args, '(3,)');
    assert.equal(t.kwargs, '{}');
    assert.equal(t.queue, 'celery');
    assert.equal(t.rootId, e.uuid);
    assert.ok(!('parentId' in t), 'a null parent_id is left out, not sent as "null"');
    assert.ok(!('eta' in t));
  });

  it('keeps a failure’s exception and traceback, and a success’s result and runtime', () => {
    const failed = toTimelineEvent(captured('amqp_event_task_failed.json')) as TimelineTaskEvent;
    assert.equal(failed.type, 'task-failed');
    assert.equal(failed.exception, "ValueError('boom')");
    assert.match(failed.traceback!, /ValueError: boom/);
    const ok = toTimelineEvent(captured('amqp_event_task_succeeded.json')) as TimelineTaskEvent;
    assert.equal(ok.result, '5');
    assert.ok(ok.runtime! > 0);
  });

  it('reads a worker heartbeat with its software', () => {
    const w = toTimelineEvent(captured('amqp_event_worker_heartbeat.json')) as TimelineWorkerEvent;
    assert.deepEqual(
      { type: w.type, active: w.active, processed: w.processed, freq: w.freq, software: w.software },
      { type: 'worker-heartbeat', active: 1, processed: 16, freq: 2, software: 'py-celery 5.2.6' },
    );
  });

  it('turns ETAs into ms (naive Celery times are UTC) and drops what it cannot read', () => {
    assert.equal(isoToMs('2026-11-24T12:55:11.306360+00:00'), Date.UTC(2026, 10, 24, 12, 55, 11, 306));
    assert.equal(isoToMs('2026-11-24T12:48:40.234861'), Date.UTC(2026, 10, 24, 12, 48, 40, 234));
    assert.equal(isoToMs('2026-11-24T13:48:40+01:00'), Date.UTC(2026, 10, 24, 12, 48, 40));
    assert.equal(isoToMs('soon'), undefined);
    assert.equal(isoToMs(null), undefined);
    assert.equal(toTimelineEvent({ type: 'task-received', hostname: 'w', timestamp: 1 }), undefined, 'no uuid');
    assert.equal(toTimelineEvent({ type: 'something-else', hostname: 'w', timestamp: 1, uuid: 'x' }), undefined);
  });

  it('replays a snapshot as the events that made it, in order', () => {
    const state = new EventState();
    const base = { hostname: 'w1@h', uuid: 'T1' };
    state.apply({ type: 'task-sent', ...base, hostname: 'client', timestamp: 100, name: 'proj.add', args: '[2, 3]', kwargs: '{}', queue: 'math' });
    state.apply({ type: 'task-received', ...base, timestamp: 100.5, name: 'proj.add', args: '[2, 3]', kwargs: '{}' });
    state.apply({ type: 'task-started', ...base, timestamp: 101 });
    state.apply({ type: 'task-succeeded', ...base, timestamp: 101.25, result: '5', runtime: 0.25 });
    const events = snapshotToEvents(state.tasks.get('T1')!);
    assert.deepEqual(
      events.map((e) => [e.type, e.time]),
      [
        ['task-sent', 100_000],
        ['task-received', 100_500],
        ['task-started', 101_000],
        ['task-succeeded', 101_250],
      ],
    );
    assert.equal(events[0].queue, 'math');
    assert.equal(events[3].result, '5');
    assert.equal(events[3].hostname, 'w1@h');
  });

  it('replays a task waiting to retry as retried, and a task seen only late as received', () => {
    const state = new EventState();
    state.apply({ type: 'task-retried', hostname: 'w', uuid: 'R', timestamp: 5, exception: "RuntimeError('x')" });
    assert.deepEqual(
      snapshotToEvents(state.tasks.get('R')!).map((e) => e.type),
      ['task-retried'],
    );
    state.apply({ type: 'task-started', hostname: 'w', uuid: 'S', timestamp: 6 });
    assert.deepEqual(
      snapshotToEvents(state.tasks.get('S')!).map((e) => e.type),
      ['task-started'],
    );
  });

  it('replays a worker as a heartbeat, or offline', () => {
    const state = new EventState();
    state.apply({ type: 'worker-online', hostname: 'w', timestamp: 10, freq: 2, sw_ident: 'celeriac', sw_ver: '0.1.0' });
    assert.equal(workerToEvent(state.workers.get('w')!).software, 'celeriac 0.1.0');
    state.apply({ type: 'worker-offline', hostname: 'w', timestamp: 20 });
    assert.equal(workerToEvent(state.workers.get('w')!).type, 'worker-offline');
  });

  it('reads stored results: value, Celery exception dict, children, nothing for PENDING', () => {
    const ok = metaToStoredResult({ task_id: 'a', status: 'SUCCESS', result: { n: 1 }, traceback: null, children: [[['c1', null], null]], date_done: '2026-11-24T12:48:40.234861' });
    assert.deepEqual(ok, { id: 'a', state: 'SUCCESS', finished: Date.UTC(2026, 10, 24, 12, 48, 40, 234), result: '{"n":1}', children: ['c1'] });
    const bad = metaToStoredResult({
      task_id: 'b',
      status: 'FAILURE',
      result: { exc_type: 'ValueError', exc_message: ['boom'], exc_module: 'builtins' },
      traceback: 'Traceback…',
      children: [],
      date_done: null,
    });
    assert.equal(bad?.exception, 'ValueError("boom")');
    assert.equal(bad?.traceback, 'Traceback…');
    assert.equal(bad?.result, undefined);
    assert.equal(metaToStoredResult({ task_id: 'c', status: 'PENDING', result: null, traceback: null, children: [], date_done: null }), undefined);
  });
});

describe('timeline host: the page', () => {
  it('allows only the nonce’d bundle to run', () => {
    const nonce = makeNonce((n) => randomBytes(n));
    assert.match(nonce, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(nonce, makeNonce((n) => randomBytes(n)));
    const csp = contentSecurityPolicy({ cspSource: 'https://x.vscode-cdn.net', nonce });
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
    assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline|https?:\/\/(?!x\.vscode-cdn\.net)/);
    const html = timelineHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x.vscode-cdn.net/dist/webview/timeline.js', nonce, title: 'Timeline — <b>' });
    assert.match(html, new RegExp(`<script nonce="${nonce}" src="https://x.vscode-cdn.net/dist/webview/timeline.js"></script>`));
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'one script, no inline code');
    assert.match(html, /Timeline — &lt;b&gt;/, 'the title is escaped');
  });
});
