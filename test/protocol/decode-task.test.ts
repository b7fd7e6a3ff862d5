/**
 * decodeTaskMessage on bad input: every rejection names the problem (and the
 * message id, for the log line), and nothing makes it throw.
 */
import { strict as assert } from 'node:assert';
import {
  DEFAULT_MAX_BODY_BYTES,
  decodeTaskMessage,
  messageIdForLog,
  type BrokerMessage,
  type DecodeResult,
} from '../../src/runtime/protocol';

const ID = '85d342e7-940a-47ea-943d-a58005c37d67';
const EMBED = { callbacks: null, errbacks: null, chain: null, chord: null };

function msg(over: Partial<BrokerMessage> = {}, headers: Record<string, unknown> = {}): BrokerMessage {
  return {
    body: JSON.stringify([[2, 3], {}, EMBED]),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    headers: { lang: 'py', task: 'interop_app.add', id: ID, ...headers },
    properties: { correlation_id: ID, reply_to: 'oid', delivery_mode: 2, priority: 0 },
    ...over,
  };
}

function body(value: unknown): Partial<BrokerMessage> {
  return { body: JSON.stringify(value) };
}

function rejection(r: DecodeResult): { reason: string; id: string | null } {
  assert.equal(r.ok, false, r.ok ? `accepted: ${JSON.stringify(r.task)}` : '');
  return r as { reason: string; id: string | null };
}

describe('decodeTaskMessage', () => {
  it('decodes a minimal message and fills Celery defaults', () => {
    const r = decodeTaskMessage(
      msg({ body: '[[2, 3], {"z": 1}]', properties: {} }, { lang: undefined }),
    );
    assert.ok(r.ok);
    assert.deepEqual(
      { ...r.task, headers: undefined },
      {
        id: ID, task: 'interop_app.add', args: [2, 3], kwargs: { z: 1 }, embed: EMBED, retries: 0,
        eta: null, etaMs: null, expires: null, expiresMs: null, timeLimit: [null, null], rootId: ID,
        parentId: null, group: null, groupIndex: null, shadow: null, origin: null, ignoreResult: false,
        argsrepr: null, kwargsrepr: null, lang: null, replyTo: null, correlationId: null, priority: null,
        headers: undefined,
      },
    );
  });

  it('parses eta and expires, keeping the strings as received', () => {
    const r = decodeTaskMessage(
      msg({}, { eta: '2026-11-24T12:55:11.306360+00:00', expires: '2026-11-24T13:00:09.121949+00:00' }),
    );
    assert.ok(r.ok);
    assert.equal(r.task.eta, '2026-11-24T12:55:11.306360+00:00');
    assert.equal(r.task.etaMs, Date.UTC(2026, 10, 24, 12, 55, 11, 306));
    assert.equal(r.task.expiresMs, Date.UTC(2026, 10, 24, 13, 0, 9, 121));
  });

  describe('rejects, naming the problem', () => {
    const cases: [string, BrokerMessage, RegExp][] = [
      ['an invalid JSON body', msg({ body: '[[2, 3], {}' }), /body is not valid JSON/],
      ['a body that is not base64 though body_encoding says so', msg({ body: '[[2, 3], {}, {}]', properties: { body_encoding: 'base64' } }), /base64/],
      ['a pickle body', msg({ contentType: 'application/x-python-serialize' }), /pickle.*only application\/json/],
      ['a message without the task header (protocol v1 or not a task)', msg({ headers: { id: ID } }), /missing header 'task'.*protocol v1/],
      ['an empty task name', msg({}, { task: '' }), /header 'task' must be a non-empty string/],
      ['a message without an id', msg({ headers: { task: 'interop_app.add' } }), /missing header 'id'/],
      ['a body that is not a list', msg(body({ args: [2, 3] })), /body must be a JSON list \[args, kwargs, embed\]/],
      ['a body list of the wrong length', msg(body([[2, 3]])), /body must be a JSON list/],
      ['args that are not a list', msg(body([{ a: 1 }, {}, EMBED])), /body\[0\] \(args\) must be a list/],
      ['kwargs that are not an object', msg(body([[], [], EMBED])), /body\[1\] \(kwargs\) must be an object/],
      ['an embed that is not an object', msg(body([[], {}, 'x'])), /body\[2\] \(embed\) must be an object/],
      ['callbacks that are not signatures', msg(body([[], {}, { ...EMBED, callbacks: [{ args: [] }] }])), /embed\.callbacks/],
      ['a chord that is not a signature', msg(body([[], {}, { ...EMBED, chord: ['x'] }])), /embed\.chord/],
      ['an eta that is not ISO-8601', msg({}, { eta: 'in 5 minutes' }), /header 'eta' is not an ISO-8601 time: 'in 5 minutes'/],
      ['an impossible eta date', msg({}, { eta: '2026-02-30T10:00:00+00:00' }), /header 'eta'/],
      ['an eta that is not a string', msg({}, { eta: 1795524920 }), /header 'eta' must be a string or null, got number/],
      ['an expires that is not ISO-8601', msg({}, { expires: 'soon' }), /header 'expires' is not an ISO-8601 time/],
      ['negative retries', msg({}, { retries: -1 }), /header 'retries'/],
      ['fractional retries', msg({}, { retries: 1.5 }), /header 'retries'/],
      ['a malformed timelimit', msg({}, { timelimit: [30] }), /header 'timelimit' must be \[hard, soft\]/],
      ['a timelimit of strings', msg({}, { timelimit: ['30', null] }), /header 'timelimit'/],
      ['a group_index that is not a number', msg({}, { group_index: '1' }), /header 'group_index'/],
      ['an origin that is not a string', msg({}, { origin: 5 }), /header 'origin' must be a string or null/],
      ['no headers at all', msg({ headers: null as any }), /message has no headers/],
    ];
    for (const [what, message, reason] of cases) {
      it(what, () => assert.match(rejection(decodeTaskMessage(message)).reason, reason));
    }
  });

  describe('body size limit', () => {
    it(`rejects a 10 MB body with the default limit (${DEFAULT_MAX_BODY_BYTES} bytes)`, () => {
      const big = '[["' + 'x'.repeat(10 * 1024 * 1024) + '"], {}, {}]';
      const r = rejection(decodeTaskMessage(msg({ body: big })));
      assert.match(r.reason, new RegExp(`body is ${Buffer.byteLength(big)} bytes, over the limit of ${DEFAULT_MAX_BODY_BYTES} bytes`));
      assert.equal(r.id, ID);
    });

    it('takes the limit given, counting bytes not characters', () => {
      const text = JSON.stringify([['é'.repeat(50)], {}, EMBED]);
      const bytes = Buffer.byteLength(text);
      assert.equal(decodeTaskMessage(msg({ body: text }), { maxBodyBytes: bytes }).ok, true);
      assert.match(rejection(decodeTaskMessage(msg({ body: text }), { maxBodyBytes: bytes - 1 })).reason, /over the limit/);
      assert.match(
        rejection(decodeTaskMessage(msg({ body: Buffer.from(text) }), { maxBodyBytes: bytes - 1 })).reason,
        /over the limit/,
      );
    });
  });

  it('names the message in a rejection: header id, else correlation_id, else delivery tag', () => {
    assert.equal(rejection(decodeTaskMessage(msg({ body: 'nope' }))).id, ID);
    assert.equal(rejection(decodeTaskMessage(msg({ headers: {}, properties: { correlation_id: 'c1' } }))).id, 'c1');
    assert.equal(rejection(decodeTaskMessage(msg({ headers: {}, properties: { delivery_tag: 7 } }))).id, '7');
    assert.equal(rejection(decodeTaskMessage(msg({ headers: {}, properties: {} }))).id, null);
    assert.equal(messageIdForLog(msg({ headers: [] as any, properties: { delivery_tag: 'tag' } })), 'tag');
  });

  it('never throws, whatever the fields hold', () => {
    const odd: unknown[] = [
      null, undefined, 0, 42, -1, NaN, Infinity, '', 'x', true, [], [1], {}, { a: 1 },
      new Uint8Array([0xff, 0xfe]), Symbol('s'), () => 1, BigInt(5),
    ];
    const bodies = ['null', '1', '"s"', '[]', '[1, 2]', '[[], {}]', '[[], {}, null]', '[[], {}, {}, {}]', '[[], {}, {"callbacks": 5}]', '\u0000', '[[], {}, {"chain": [null]}]'];
    const messages: BrokerMessage[] = [];
    for (const field of ['body', 'contentType', 'contentEncoding', 'headers', 'properties'] as const) {
      for (const v of odd) messages.push({ ...msg(), [field]: v });
    }
    for (const header of ['task', 'id', 'eta', 'expires', 'retries', 'timelimit', 'group_index', 'root_id', 'parent_id', 'ignore_result']) {
      for (const v of odd) messages.push(msg({}, { [header]: v }));
    }
    for (const prop of ['priority', 'reply_to', 'correlation_id', 'body_encoding', 'delivery_tag']) {
      for (const v of odd) messages.push(msg({ properties: { [prop]: v } as any }));
    }
    for (const b of bodies) messages.push(msg({ body: b }));
    messages.push({} as BrokerMessage);

    for (const m of messages) {
      let r: DecodeResult;
      assert.doesNotThrow(() => {
        r = decodeTaskMessage(m);
      });
      if (!r!.ok) assert.ok(typeof r!.reason === 'string' && r!.reason.length > 0);
    }
    assert.ok(messages.length > 300);
  });
});
