import { strict as assert } from 'node:assert';
import { decodeTaskMessage, encodeTaskMessage, type TaskMessageFields } from '../../src/runtime/protocol';

const ID = '9ec0d78b-1d73-495a-87c3-8e0ef4c87e09';
const NOW = Date.UTC(2026, 10, 24, 12, 55, 9, 122);

function fields(over: Partial<TaskMessageFields> = {}): TaskMessageFields {
  return { id: ID, task: 'interop_app.add', args: [2, 3], kwargs: {}, origin: 'gen1@vm', now: NOW, ...over };
}

describe('encodeTaskMessage', () => {
  it("writes Celery's sixteen headers in Celery's order, with its defaults", () => {
    const m = encodeTaskMessage(fields());
    assert.deepStrictEqual(m.headers, {
      lang: 'js', task: 'interop_app.add', id: ID, shadow: null, eta: null, expires: null, group: null,
      group_index: null, retries: 0, timelimit: [null, null], root_id: ID, parent_id: null,
      argsrepr: '(2, 3)', kwargsrepr: '{}', origin: 'gen1@vm', ignore_result: false,
    });
    assert.deepEqual(Object.keys(m.headers), [
      'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries',
      'timelimit', 'root_id', 'parent_id', 'argsrepr', 'kwargsrepr', 'origin', 'ignore_result',
    ]);
  });

  it('writes the body [args, kwargs, embed] with all four embed keys', () => {
    const m = encodeTaskMessage(fields({ kwargs: { x: 1 }, embed: { chain: [] } }));
    assert.deepEqual(JSON.parse(m.body as string), [[2, 3], { x: 1 }, { callbacks: null, errbacks: null, chain: [], chord: null }]);
    assert.equal(m.contentType, 'application/json');
    assert.equal(m.contentEncoding, 'utf-8');
  });

  it('sets correlation_id to the task id and marks the message persistent', () => {
    assert.deepEqual(encodeTaskMessage(fields()).properties, { correlation_id: ID, reply_to: '', delivery_mode: 2, priority: 0 });
  });

  it('writes an eta given in milliseconds as Celery ISO', () => {
    assert.equal(encodeTaskMessage(fields({ eta: NOW + 3000 })).headers.eta, '2026-11-24T12:55:12.122000+00:00');
  });

  it('sets the expiration property in milliseconds from now, like kombu', () => {
    const m = encodeTaskMessage(fields({ expires: NOW + 299_999.7 }));
    assert.equal(m.properties.expiration, '299999');
    assert.equal(m.headers.expires, '2026-11-24T13:00:09.121000+00:00');
    assert.equal(encodeTaskMessage(fields({ expires: NOW - 5000 })).properties.expiration, '0');
  });

  it('reads an ISO expires string with or without offset as decodeTaskMessage does (naive = UTC)', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      assert.equal(encodeTaskMessage(fields({ expires: '2026-11-24T13:00:09.122' })).properties.expiration, '300000');
      assert.equal(encodeTaskMessage(fields({ expires: '2026-11-24T15:00:09.122+02:00' })).properties.expiration, '300000');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('leaves out expiration when expires is not a time', () => {
    assert.equal('expiration' in encodeTaskMessage(fields({ expires: 'never' })).properties, false);
  });

  it('keeps extra headers after Celery’s own', () => {
    const m = encodeTaskMessage(fields({ extraHeaders: { redelivered: true } }));
    assert.deepEqual(Object.keys(m.headers).slice(-2), ['ignore_result', 'redelivered']);
  });

  it('decodes back to the fields it was given', () => {
    const f = fields({
      eta: '2026-11-24T12:55:11.306360+00:00', retries: 1, timeLimit: [30, 20], parentId: 'p', rootId: 'r',
      group: 'g', groupIndex: 2, shadow: 'alias', ignoreResult: true, replyTo: 'oid', priority: 7,
      args: ["it's", null], kwargs: { y: [1] },
    });
    const r = decodeTaskMessage(encodeTaskMessage(f));
    assert.ok(r.ok);
    const t = r.task;
    assert.deepEqual(
      [t.eta, t.retries, t.timeLimit, t.parentId, t.rootId, t.group, t.groupIndex, t.shadow, t.ignoreResult, t.replyTo, t.priority, t.args, t.kwargs],
      [f.eta, 1, [30, 20], 'p', 'r', 'g', 2, 'alias', true, 'oid', 7, ["it's", null], { y: [1] }],
    );
    assert.equal(t.argsrepr, "('it\\'s', None)");
  });
});
