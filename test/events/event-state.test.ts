import { strict as assert } from 'node:assert';
import { EventState } from '../../src/runtime/events/event-state';
import { decodeEvents, type CeleryEvent } from '../../src/runtime/events/celery-event';
import { decodeKombuEnvelope } from '../../src/runtime/protocol/kombu-envelope';
import { loadFixture } from '../helpers/fixtures';

/** Every event Python Celery published in one captured run, in order. */
function capturedEvents(): CeleryEvent[] {
  const fixture = loadFixture('redis_events_all_phaseB');
  const out: CeleryEvent[] = [];
  for (const m of fixture.pubsub_messages as { channel?: string; data?: string; payload?: string }[]) {
    const raw = m.data ?? m.payload;
    if (typeof raw !== 'string' || !(m.channel ?? '').includes('celeryev')) continue;
    const env = decodeKombuEnvelope(raw);
    if (env.ok) out.push(...decodeEvents(env.message));
  }
  return out;
}

function ev(type: string, fields: Record<string, unknown>, timestamp: number): CeleryEvent {
  return { type, hostname: 'w1@host', timestamp, ...fields };
}

describe('EventState', () => {
  it('follows a real Python worker through a captured run', () => {
    const events = capturedEvents();
    assert.ok(events.length > 10, `only ${events.length} events found in the capture`);
    const state = new EventState();
    for (const e of events) state.apply(e);
    const tasks = [...state.tasks.values()];
    assert.ok(tasks.some((t) => t.state === 'SUCCESS' && t.result !== null && t.name !== null));
    assert.ok(tasks.some((t) => t.state === 'FAILURE' && /boom/.test(t.exception ?? '')));
    const [worker] = [...state.workers.values()];
    assert.equal(worker.swIdent, 'py-celery');
    assert.ok(worker.processed > 0);
  });

  it('does not let a late started event undo a success', () => {
    const s = new EventState();
    s.apply(ev('task-received', { uuid: 'a', name: 'x', args: '()', kwargs: '{}' }, 1));
    s.apply(ev('task-succeeded', { uuid: 'a', result: '1', runtime: 0.1 }, 3));
    s.apply(ev('task-started', { uuid: 'a' }, 2));
    assert.equal(s.tasks.get('a')!.state, 'SUCCESS');
    assert.equal(s.tasks.get('a')!.name, 'x');
  });

  it('keeps at most maxTasks, forgetting the least recently updated', () => {
    const s = new EventState(3);
    for (const id of ['a', 'b', 'c']) s.apply(ev('task-received', { uuid: id }, 1));
    s.apply(ev('task-started', { uuid: 'a' }, 2));
    s.apply(ev('task-received', { uuid: 'd' }, 3));
    assert.deepEqual([...s.tasks.keys()].sort(), ['a', 'c', 'd']);
  });

  it('treats a worker as gone after worker-offline or two missed heartbeats', () => {
    const s = new EventState();
    s.apply(ev('worker-heartbeat', { freq: 2, active: 1, processed: 5 }, 100));
    const w = s.workers.get('w1@host')!;
    assert.equal(s.alive(w, 103), true);
    assert.equal(s.alive(w, 105), false);
    s.apply(ev('worker-offline', {}, 104));
    assert.equal(s.alive(s.workers.get('w1@host')!, 104), false);
  });
});
