import { strict as assert } from 'node:assert';
import { ConfigError, createApp, protocol, type App, type Clock } from '../../src/runtime';
import { quietLog } from '../helpers/runtime-harness';

const NOW = Date.UTC(2030, 5, 15, 12, 0, 0, 250);
const fixedClock: Clock = {
  now: () => NOW,
  setTimeout: (cb, ms) => setTimeout(cb, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

describe('app: building task messages (buildTaskMessage)', () => {
  let app: App;
  beforeEach(() => {
    app = createApp({ broker: 'memory://', task_default_queue: 'build-q' }, { env: {}, log: quietLog, clock: fixedClock });
  });
  afterEach(() => app.close());

  it('builds a protocol v2 JSON message: headers task and id, body [args, kwargs, embed]', () => {
    const sent = app.buildTaskMessage('proj.add', [1, 2], { z: 3 }, { taskId: 'fixed-id' });
    assert.equal(sent.id, 'fixed-id');
    assert.equal(sent.message.contentType, 'application/json');
    assert.equal(sent.message.contentEncoding, 'utf-8');
    assert.equal(sent.message.headers.task, 'proj.add');
    assert.equal(sent.message.headers.id, 'fixed-id');
    assert.equal(sent.message.headers.root_id, 'fixed-id');
    assert.equal(sent.message.headers.parent_id, null);
    assert.equal(sent.message.headers.retries, 0);
    assert.equal(sent.message.properties.correlation_id, 'fixed-id');
    assert.equal(sent.message.properties.reply_to, app.oid);
    assert.deepEqual(JSON.parse(String(sent.message.body)), [
      [1, 2],
      { z: 3 },
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ]);
  });

  it('gives every call a fresh task id when none is given', () => {
    const a = app.buildTaskMessage('proj.add', [], {}, {});
    const b = app.buildTaskMessage('proj.add', [], {}, {});
    assert.notEqual(a.id, b.id);
    assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('turns countdown into an ISO-8601 eta header', () => {
    const sent = app.buildTaskMessage('proj.add', [], {}, { countdown: 10 });
    assert.equal(sent.message.headers.eta, '2030-06-15T12:00:10.250000+00:00');
    assert.equal(sent.eta, sent.message.headers.eta);
    assert.equal(protocol.parseIso(sent.message.headers.eta as string), NOW + 10_000);
  });

  it('writes an absolute eta (Date, ms or ISO string) as an ISO-8601 header', () => {
    const when = NOW + 3_600_000;
    for (const eta of [new Date(when), when, new Date(when).toISOString()]) {
      const sent = app.buildTaskMessage('proj.add', [], {}, { eta });
      assert.equal(protocol.parseIso(sent.message.headers.eta as string), when, `eta given as ${typeof eta}`);
      assert.match(sent.message.headers.eta as string, /\+00:00$/);
    }
  });

  it('refuses an eta string that is not a time, naming the task', () => {
    assert.throws(
      () => app.buildTaskMessage('proj.add', [], {}, { eta: 'next tuesday' }),
      (err: unknown) => err instanceof ConfigError && /proj\.add/.test(err.message) && /eta/.test(err.message),
    );
  });

  it('has no eta when neither countdown nor eta is given', () => {
    const sent = app.buildTaskMessage('proj.add', [], {}, {});
    assert.equal(sent.message.headers.eta, null);
    assert.equal(sent.message.headers.expires, null);
    assert.equal(sent.message.properties.expiration, undefined);
  });

  it('turns expires (seconds) into an expires header and an expiration property in ms', () => {
    const sent = app.buildTaskMessage('proj.add', [], {}, { expires: 60 });
    assert.equal(sent.message.headers.expires, '2030-06-15T12:01:00.250000+00:00');
    assert.equal(sent.message.properties.expiration, '60000');
  });

  it('accepts an absolute expires', () => {
    const sent = app.buildTaskMessage('proj.add', [], {}, { expires: new Date(NOW + 5_000) });
    assert.equal(protocol.parseIso(sent.message.headers.expires as string), NOW + 5_000);
    assert.equal(sent.message.properties.expiration, '5000');
  });

  it("uses the task's default expires when the call gives none", () => {
    const sent = app.buildTaskMessage('proj.add', [], {}, {}, { expires: 30 });
    assert.equal(sent.message.properties.expiration, '30000');
  });

  it('sets the priority property', () => {
    assert.equal(app.buildTaskMessage('proj.add', [], {}, { priority: 7 }).message.properties.priority, 7);
    assert.equal(app.buildTaskMessage('proj.add', [], {}, {}, { priority: 3 }).message.properties.priority, 3);
    assert.equal(app.buildTaskMessage('proj.add', [], {}, {}).message.properties.priority, 0);
  });

  it('merges extra headers after the protocol headers', () => {
    const sent = app.buildTaskMessage('proj.add', [1], {}, { headers: { 'x-request-id': 'req-1', tenant: 42 } });
    assert.equal(sent.message.headers['x-request-id'], 'req-1');
    assert.equal(sent.message.headers.tenant, 42);
    assert.equal(sent.message.headers.task, 'proj.add');
    assert.equal(sent.message.headers.id, sent.id);
  });

  it('writes argsrepr and kwargsrepr as Python reprs', () => {
    const sent = app.buildTaskMessage('proj.add', [1, 'a', null, true], { k: [1.5, 'x'] }, {});
    assert.equal(sent.message.headers.argsrepr, "(1, 'a', None, True)");
    assert.equal(sent.message.headers.kwargsrepr, "{'k': [1.5, 'x']}");
    assert.equal(app.buildTaskMessage('proj.one', [5], {}, {}).message.headers.argsrepr, '(5,)');
    assert.equal(app.buildTaskMessage('proj.none', [], {}, {}).message.headers.argsrepr, '()');
  });

  it('writes time limits as [hard, soft]', () => {
    assert.deepEqual(app.buildTaskMessage('proj.add', [], {}, { timeLimit: 10, softTimeLimit: 5 }).message.headers.timelimit, [10, 5]);
    assert.deepEqual(app.buildTaskMessage('proj.add', [], {}, {}).message.headers.timelimit, [null, null]);
  });

  it('links a call made from a task to it through parent_id and root_id', () => {
    const sent = app.buildTaskMessage('proj.child', [], {}, { parent: { id: 'parent-id', rootId: 'root-id' } });
    assert.equal(sent.message.headers.parent_id, 'parent-id');
    assert.equal(sent.message.headers.root_id, 'root-id');
  });

  it('refuses arguments that cannot be sent as JSON', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(
      () => app.buildTaskMessage('proj.add', [circular], {}, {}),
      (err: unknown) => err instanceof ConfigError && /proj\.add/.test(err.message),
    );
    assert.throws(() => app.buildTaskMessage('proj.add', 'nope' as unknown as unknown[], {}, {}), ConfigError);
  });

  it('decodes back to the same task (round trip through the worker decoder)', () => {
    const sent = app.buildTaskMessage('proj.add', [1, 2], { c: 3 }, { countdown: 5, expires: 60, priority: 4 });
    const decoded = protocol.decodeTaskMessage(sent.message);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    assert.equal(decoded.task.id, sent.id);
    assert.equal(decoded.task.task, 'proj.add');
    assert.deepEqual(decoded.task.args, [1, 2]);
    assert.deepEqual(decoded.task.kwargs, { c: 3 });
    assert.equal(decoded.task.etaMs, NOW + 5_000);
    assert.equal(decoded.task.expiresMs, NOW + 60_000);
    assert.equal(decoded.task.priority, 4);
  });
});
