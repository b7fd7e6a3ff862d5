import { strict as assert } from 'node:assert';
import { Worker, type App } from '../../src/runtime';
import { receiveEvents } from '../../src/runtime/events/event-receiver';
import { decodeEvents, type CeleryEvent } from '../../src/runtime/events/celery-event';
import type { Disposable } from '../../src/runtime/disposable';
import { decodeKombuEnvelope } from '../../src/runtime/protocol/kombu-envelope';
import { loadFixture } from '../helpers/fixtures';
import { Harness, uniqueName } from '../helpers/runtime-harness';
import { waitFor } from '../helpers/wait';

/** Field names (in order) of a captured Python Celery event of this type. */
function celeryFields(fixture: string): string[] {
  const raw = loadFixture(fixture).raw_pubsub_payload as string;
  const env = decodeKombuEnvelope(raw);
  assert.ok(env.ok);
  const [event] = decodeEvents(env.message);
  return Object.keys(event);
}

describe('worker events (Celery events on the celeryev exchange)', () => {
  const h = new Harness();
  const subs: Disposable[] = [];
  afterEach(async () => {
    for (const s of subs.splice(0)) s.dispose();
    await h.cleanup();
  });

  async function collect(app: App, pattern = '#'): Promise<CeleryEvent[]> {
    const events: CeleryEvent[] = [];
    subs.push(await receiveEvents(await app.connectBroker(), (e) => events.push(e), { pattern }));
    return events;
  }

  it('sends worker-online, heartbeats and worker-offline with Celery fields, even without task events', async () => {
    const app = h.app();
    const events = await collect(app, 'worker.#');
    const worker = h.track(new Worker(app, { hostname: uniqueName('ev') + '@host' }));
    await worker.start();
    await waitFor(() => events.some((e) => e.type === 'worker-heartbeat'), { timeoutMs: 5000, what: 'a heartbeat' });
    await worker.stop();
    await waitFor(() => events.some((e) => e.type === 'worker-offline'));
    const ours = events.filter((e) => e.hostname === worker.hostname);
    assert.deepEqual(
      [...new Set(ours.map((e) => e.type))],
      ['worker-online', 'worker-heartbeat', 'worker-offline'],
    );
    const heartbeat = ours.find((e) => e.type === 'worker-heartbeat')!;
    assert.deepEqual(Object.keys(heartbeat), celeryFields('redis_event_worker_heartbeat'));
    assert.equal(heartbeat.freq, 2.0);
    assert.equal(heartbeat.sw_ident, 'celeriac');
    assert.equal(heartbeat.pid, process.pid);
  });

  it('sends no task events unless they are enabled', async () => {
    const app = h.app();
    const events = await collect(app, 'task.#');
    const add = app.task(uniqueName('ev.add'), (a: number, b: number) => a + b);
    await h.track(new Worker(app)).start();
    await (await add.delay(1, 2)).get({ timeout: 5 });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(events, []);
  });

  it('sends task-received, task-started and task-succeeded in task.multi batches, with Celery fields', async () => {
    const app = h.app();
    const events = await collect(app, 'task.#');
    const add = app.task(uniqueName('ev.add'), (a: number, b: number) => a + b);
    await h.track(new Worker(app, { sendTaskEvents: true })).start();
    const r = await add.delay(2, 3);
    await r.get({ timeout: 5 });
    await waitFor(() => events.some((e) => e.type === 'task-succeeded'), { what: 'task-succeeded' });
    const mine = events.filter((e) => e.uuid === r.id);
    assert.deepEqual(
      mine.map((e) => e.type),
      ['task-received', 'task-started', 'task-succeeded'],
    );
    const [received, , succeeded] = mine;
    assert.deepEqual(Object.keys(received), celeryFields('redis_event_task_received'));
    assert.equal(received.args, '(2, 3)');
    assert.equal(received.kwargs, '{}');
    assert.deepEqual(Object.keys(succeeded), celeryFields('redis_event_task_succeeded'));
    assert.equal(succeeded.result, '5');
    assert.ok(typeof succeeded.runtime === 'number');
    // Lamport clock: strictly increasing per sender.
    assert.ok((received.clock as number) < (succeeded.clock as number));
  });

  it('reports a failure with the exception repr and the stack', async () => {
    const app = h.app();
    const events = await collect(app, 'task.#');
    const boom = app.task(uniqueName('ev.boom'), () => {
      throw new TypeError('bad input');
    });
    await h.track(new Worker(app, { sendTaskEvents: true })).start();
    const r = await boom.delay();
    await r.get({ timeout: 5 }).catch(() => undefined);
    await waitFor(() => events.some((e) => e.uuid === r.id && e.type === 'task-failed'));
    const failed = events.find((e) => e.uuid === r.id && e.type === 'task-failed')!;
    assert.deepEqual(Object.keys(failed), celeryFields('redis_event_task_failed'));
    assert.equal(failed.exception, "TypeError('bad input')");
    assert.match(String(failed.traceback), /TypeError: bad input/);
  });

  it('sends task-sent from a client with task_send_sent_event', async () => {
    const app = h.app({ task_send_sent_event: true });
    const events = await collect(app, 'task.sent');
    await app.sendTask(uniqueName('ev.nobody'), [1], { x: 2 }, { countdown: 60 });
    await waitFor(() => events.length === 1);
    assert.deepEqual(Object.keys(events[0]), celeryFields('redis_event_task_sent'));
    assert.equal(events[0].args, '(1,)');
    assert.equal(events[0].kwargs, "{'x': 2}");
    assert.match(String(events[0].eta), /\+00:00$/);
  });
});
