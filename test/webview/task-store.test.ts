import { strict as assert } from 'node:assert';
import type { TimelineEvent, TimelineTaskEvent } from '../../src/shared/timeline-protocol';
import { LaneLayout } from '../../webview/src/layout/lane-layout';
import { TaskStore } from '../../webview/src/model/task-store';
import { EMPTY_FILTER } from '../../webview/src/model/task-filter';
import { CONCURRENCY, WORKERS, syntheticSession } from './harness/synthetic';

const W1 = 'celery@w1';
const W2 = 'celery@w2';

function ev(type: TimelineTaskEvent['type'], id: string, time: number, hostname = W1, extra: Partial<TimelineTaskEvent> = {}): TimelineEvent {
  return { type, id, time, hostname, ...extra };
}

function storeWith(events: TimelineEvent[], max = 1000): TaskStore {
  const s = new TaskStore(max);
  s.applyEvents(events);
  return s;
}

describe('webview: task store', () => {
  it('builds one attempt from received → started → succeeded, with the sent wait before it', () => {
    const s = storeWith([
      ev('task-sent', 'a', 100, 'client', { name: 'add', args: '(2, 3)', queue: 'celery' }),
      ev('task-received', 'a', 110),
      ev('task-started', 'a', 150),
      ev('task-succeeded', 'a', 400, W1, { result: '5', runtime: 0.25 }),
    ]);
    const t = s.get('a')!;
    assert.equal(t.state, 'SUCCESS');
    assert.equal(t.name, 'add');
    assert.equal(t.result, '5');
    assert.equal(t.sent, 100);
    assert.equal(t.attempts.length, 1);
    assert.deepEqual([t.attempts[0].received, t.attempts[0].started, t.attempts[0].finished, t.attempts[0].outcome], [110, 150, 400, 'SUCCESS']);
  });

  it('keeps a retried task as one task with an attempt per run, retries linked in order', () => {
    const s = storeWith([
      ev('task-received', 'r', 0, W1, { name: 'sync' }),
      ev('task-started', 'r', 10),
      ev('task-retried', 'r', 50, W1, { exception: "ConnectionError('x')" }),
      ev('task-received', 'r', 60, W2, { retries: 1, eta: 2000 }),
      ev('task-started', 'r', 2000, W2),
      ev('task-succeeded', 'r', 2100, W2),
    ]);
    const t = s.get('r')!;
    assert.equal(s.size, 1);
    assert.equal(t.attempts.length, 2);
    assert.deepEqual(
      t.attempts.map((a) => [a.index, a.worker, a.outcome, a.retries]),
      [
        [0, W1, 'RETRY', 0],
        [1, W2, 'SUCCESS', 1],
      ],
    );
    assert.equal(t.attempts[1].eta, 2000);
    assert.equal(t.state, 'SUCCESS');
    assert.equal(t.exception, "ConnectionError('x')", 'the retry reason is kept');
  });

  it('tolerates out-of-order events: a late retried event closes the attempt it belongs to', () => {
    const s = storeWith([
      ev('task-received', 'o', 0, W1, { name: 'n' }),
      ev('task-started', 'o', 10, W1),
      ev('task-received', 'o', 60, W2, { retries: 1 }),
      ev('task-retried', 'o', 50, W1),
    ]);
    const [first, second] = s.get('o')!.attempts;
    assert.equal(first.outcome, 'RETRY');
    assert.equal(first.finished, 50);
    assert.equal(first.endInferred, false);
    assert.equal(second.finished, undefined);
    assert.equal(s.get('o')!.state, 'RECEIVED', 'an older event does not undo a newer state');
  });

  it('starts an attempt from task-succeeded alone when the panel opened mid-run (from the runtime)', () => {
    const s = storeWith([ev('task-succeeded', 'late', 5000, W1, { runtime: 2 })]);
    const a = s.get('late')!.attempts[0];
    assert.equal(a.started, 3000);
    assert.equal(a.finished, 5000);
  });

  it('closes running attempts as lost when their worker goes offline', () => {
    const s = storeWith([ev('task-received', 'x', 0), ev('task-started', 'x', 5), { type: 'worker-offline', hostname: W1, time: 100 }]);
    const a = s.get('x')!.attempts[0];
    assert.equal(a.outcome, 'LOST');
    assert.equal(a.endInferred, true);
    assert.equal(s.workers.get(W1)!.online, false);
  });

  it('revokes a queued task (its queue wait ends) and a running one (its attempt ends)', () => {
    const s = storeWith([ev('task-sent', 'q', 0, 'client'), ev('task-revoked', 'q', 10, W2), ev('task-received', 'run', 0), ev('task-started', 'run', 1), ev('task-revoked', 'run', 20, W2, { terminated: true })]);
    assert.equal(s.get('q')!.dequeued, 10);
    assert.equal(s.get('q')!.state, 'REVOKED');
    assert.equal(s.get('run')!.attempts[0].outcome, 'REVOKED');
    assert.equal(s.get('run')!.terminated, true);
  });

  it('evicts the oldest tasks beyond maxTasks, and the layout drops their bars', () => {
    const s = new TaskStore(3);
    const layout = new LaneLayout();
    s.observe(layout);
    for (let i = 0; i < 5; i++) s.applyEvents([ev('task-received', `t${i}`, i * 10, W1, { name: 'n' }), ev('task-started', `t${i}`, i * 10 + 1), ev('task-succeeded', `t${i}`, i * 10 + 5)]);
    assert.equal(s.size, 3);
    assert.deepEqual([...s.values()].map((t) => t.id), ['t2', 't3', 't4']);
    assert.equal(s.byName.count('n'), 3);
    assert.equal(s.byWorker.count(W1), 3);
    const drawn: string[] = [];
    for (const lane of layout.lanes()) lane.attempts?.forEachIn(-Infinity, Infinity, (a) => drawn.push(a.task.id));
    assert.deepEqual(drawn.sort(), ['t2', 't3', 't4']);
    s.maxTasks = 1;
    assert.deepEqual([...s.values()].map((t) => t.id), ['t4']);
  });

  it('fills in state and result from stored results without contradicting events', () => {
    const s = storeWith([ev('task-received', 'a', 0), ev('task-started', 'a', 5), ev('task-received', 'b', 0), ev('task-started', 'b', 1), ev('task-succeeded', 'b', 9, W1, { result: '1' })]);
    s.applyStoredResults([
      { id: 'a', state: 'FAILURE', finished: 50, exception: "KeyError('k')", traceback: 'Traceback…' },
      { id: 'b', state: 'FAILURE', finished: 60 },
      { id: 'old', state: 'SUCCESS', finished: 5, result: '42', children: ['kid'] },
    ]);
    const a = s.get('a')!;
    assert.equal(a.state, 'FAILURE');
    assert.equal(a.exception, "KeyError('k')");
    assert.deepEqual([a.attempts[0].finished, a.attempts[0].outcome, a.attempts[0].endInferred], [50, 'FAILURE', true]);
    assert.equal(s.get('b')!.state, 'SUCCESS', 'the event said SUCCESS');
    const old = s.get('old')!;
    assert.equal(old.state, 'SUCCESS');
    assert.equal(old.result, '42');
    assert.equal(old.attempts[0].worker, '', 'drawn on the stored-results lane');
    assert.deepEqual(s.childrenOf('old'), ['kid']);
  });

  it('filters by name, state, queue and worker, and searches id, args, kwargs, result and exception', () => {
    const s = storeWith([
      ev('task-received', 'id-1', 0, W1, { name: 'mail', args: "('ann@example.com',)", kwargs: "{'cc': 'bob'}", queue: 'q1' }),
      ev('task-succeeded', 'id-1', 5, W1, { result: "'delivered'" }),
      ev('task-received', 'id-2', 0, W2, { name: 'report', args: '[7]', queue: 'q2' }),
      ev('task-failed', 'id-2', 9, W2, { exception: "ValueError('no data')" }),
    ]);
    const ids = () => [...s.values()].filter((t) => t.matches).map((t) => t.id);
    assert.equal(s.matchingCount, 2);
    const cases: [Partial<typeof EMPTY_FILTER>, string[]][] = [
      [{ names: ['mail'] }, ['id-1']],
      [{ states: ['FAILURE'] }, ['id-2']],
      [{ queues: ['q2'] }, ['id-2']],
      [{ workers: [W1] }, ['id-1']],
      [{ search: 'ANN@' }, ['id-1']],
      [{ search: 'bob' }, ['id-1']],
      [{ search: 'delivered' }, ['id-1']],
      [{ search: 'no data' }, ['id-2']],
      [{ search: 'id-2' }, ['id-2']],
      [{ names: ['mail'], states: ['FAILURE'] }, []],
    ];
    for (const [f, want] of cases) {
      s.setFilter({ ...EMPTY_FILTER, ...f });
      assert.deepEqual(ids(), want, JSON.stringify(f));
      assert.equal(s.matchingCount, want.length);
    }
    // A live event re-checks only that task against the filter in force.
    s.setFilter({ ...EMPTY_FILTER, states: ['SUCCESS'] });
    s.applyEvents([ev('task-received', 'id-3', 20, W1, { name: 'mail' }), ev('task-succeeded', 'id-3', 25)]);
    assert.deepEqual(ids(), ['id-1', 'id-3']);
  });

  it('takes a synthetic session of 20k tasks, never giving a worker more slots than its pool', function () {
    const session = syntheticSession(20_000);
    const s = new TaskStore(100_000);
    const layout = new LaneLayout();
    s.observe(layout);
    const started = performance.now();
    for (let i = 0; i < session.events.length; i += 40_000) s.applyEvents(session.events.slice(i, i + 40_000));
    const ms = performance.now() - started;
    assert.equal(s.size, 20_000);
    assert.equal(s.byState.count('FAILURE'), session.failed);
    assert.equal(s.byState.count('REVOKED'), session.revoked);
    assert.ok(ms < 5000, `ingest took ${ms.toFixed(0)} ms`); // a sanity bound; the bench measures
    // Runs never overlap in a slot, so no worker gets more slots than its pool (4) ran at once.
    const slots = layout.lanes().filter((l) => l.kind === 'slot');
    for (const w of WORKERS) {
      const n = slots.filter((l) => l.worker === w).length;
      assert.ok(n >= 1 && n <= CONCURRENCY, `${w}: ${n} slots`);
    }
  });
});
