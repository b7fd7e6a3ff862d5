/**
 * kombu's Redis envelope (README §2.1): every envelope string in the Redis captures
 * (task messages, events, pidbox requests and replies, restored messages) decodes and
 * encodes back to the same JSON, property order included.
 */
import { strict as assert } from 'node:assert';
import { decodeKombuEnvelope, deserializeBody, encodeKombuEnvelope } from '../../src/runtime/protocol';
import { fixtureNames } from '../helpers/fixtures';
import { assertSameJson } from './json-shape';
import { redisEnvelopes, type CapturedEnvelope } from './captured-messages';

// Exact numbers found in test/fixtures/celery.
const EXPECTED_BY_SOURCE: Record<string, number> = {
  LPUSH: 51,
  RPUSH: 3,
  HSET: 28,
  PUBLISH: 177,
  pubsub_messages: 436,
  raw_pubsub_payload: 10,
  decoded: 9,
  db5_after: 19,
  queue_celery_items_left_to_right: 2,
  unacked_while_running_on_w1: 1,
  unacked_after_sigkill: 1,
  unacked_1s_after_send: 1,
  unacked_3s_after_w2_periodic_scan: 1,
  before_shutdown: 1,
  after_shutdown: 1,
};
const EXPECTED_TOTAL = 741;

function where(e: CapturedEnvelope): string {
  return `${e.file} ${e.path}`;
}

function roundTrip(e: CapturedEnvelope): string {
  const d = decodeKombuEnvelope(e.raw);
  assert.ok(d.ok, `${where(e)}: ${d.ok ? '' : d.reason}`);
  return encodeKombuEnvelope(d.message, {
    exchange: d.deliveryInfo.exchange,
    routingKey: d.deliveryInfo.routing_key,
    deliveryTag: d.deliveryTag,
    redelivered: d.deliveryInfo.redelivered === true,
  });
}

const perFile = fixtureNames()
  .map((file) => ({ file, envelopes: redisEnvelopes(file) }))
  .filter((f) => f.envelopes.length > 0);

describe('kombu envelopes in the Redis captures', () => {
  it(`finds all ${EXPECTED_TOTAL} envelopes, in every place the captures keep them`, () => {
    const bySource: Record<string, number> = {};
    for (const { envelopes } of perFile) for (const e of envelopes) bySource[e.source] = (bySource[e.source] ?? 0) + 1;
    assert.deepEqual(bySource, EXPECTED_BY_SOURCE);
    assert.equal(perFile.reduce((n, f) => n + f.envelopes.length, 0), EXPECTED_TOTAL);
  });

  for (const { file, envelopes } of perFile) {
    describe(file, () => {
      it(`re-encodes all ${envelopes.length} envelopes to the same JSON, key order included`, () => {
        for (const e of envelopes) assertSameJson(JSON.parse(roundTrip(e)), JSON.parse(e.raw), where(e));
      });

      it('decodes a JSON body from each (base64 undone)', () => {
        for (const e of envelopes) {
          const d = decodeKombuEnvelope(e.raw);
          assert.ok(d.ok, where(e));
          const body = deserializeBody(d.message);
          assert.ok(body.ok, `${where(e)}: ${body.ok ? '' : body.reason}`);
        }
      });

      const unacked = envelopes.filter((x) => x.unackedRoute);
      if (unacked.length > 0) {
        it(`agrees with the exchange and routing key stored beside each unacked entry (${unacked.length})`, () => {
          for (const e of unacked) {
            const d = decodeKombuEnvelope(e.raw);
            assert.ok(d.ok, where(e));
            assert.equal(d.deliveryInfo.exchange, e.unackedRoute!.exchange, where(e));
            assert.equal(d.deliveryInfo.routing_key, e.unackedRoute!.routingKey, where(e));
          }
        });
      }
    });
  }
});

describe('encodeKombuEnvelope', () => {
  const message = {
    body: '[[2, 3], {}, {}]',
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    headers: { task: 'interop_app.add', id: 'a' },
    properties: { correlation_id: 'a', reply_to: 'oid', delivery_mode: 2, priority: 0 },
  };

  it('base64-encodes a plain body and marks body_encoding', () => {
    const env = JSON.parse(encodeKombuEnvelope(message, { exchange: '', routingKey: 'celery', deliveryTag: 't1' }));
    assert.equal(Buffer.from(env.body, 'base64').toString('utf8'), message.body);
    assert.equal(env.properties.body_encoding, 'base64');
    assert.equal(env.properties.delivery_tag, 't1');
    assert.deepEqual(env.properties.delivery_info, { exchange: '', routing_key: 'celery' });
  });

  it('writes redelivered into delivery_info only when asked, as kombu does on restore', () => {
    const plain = JSON.parse(encodeKombuEnvelope(message, { exchange: '', routingKey: 'celery', deliveryTag: 't' }));
    const restored = JSON.parse(
      encodeKombuEnvelope(message, { exchange: '', routingKey: 'celery', deliveryTag: 't', redelivered: true }),
    );
    assert.equal('redelivered' in plain.properties.delivery_info, false);
    assert.deepEqual(restored.properties.delivery_info, { exchange: '', routing_key: 'celery', redelivered: true });
  });

  it("keeps a publisher's extra properties before delivery_mode, as in a retry's republish", () => {
    const withExtras = { ...message, properties: { ...message.properties, replaced_task_nesting: 0, origin: 'gen1@vm' } };
    const env = JSON.parse(encodeKombuEnvelope(withExtras, { exchange: '', routingKey: 'celery', deliveryTag: 't' }));
    assert.deepEqual(Object.keys(env.properties), [
      'correlation_id', 'reply_to', 'replaced_task_nesting', 'origin',
      'delivery_mode', 'delivery_info', 'priority', 'body_encoding', 'delivery_tag',
    ]);
  });
});

describe('decodeKombuEnvelope', () => {
  it('names what is wrong with a malformed envelope, and never throws', () => {
    const cases: [string, RegExp][] = [
      ['not json', /not valid JSON/],
      ['[1, 2]', /not a JSON object/],
      ['null', /not a JSON object/],
      ['"text"', /not a JSON object/],
      ['{"headers": {"id": "x"}}', /no string 'body'/],
      ['{"body": 5, "properties": {"correlation_id": "c"}}', /no string 'body'/],
    ];
    for (const [raw, reason] of cases) {
      const d = decodeKombuEnvelope(raw);
      assert.equal(d.ok, false, raw);
      if (!d.ok) assert.match(d.reason, reason, raw);
    }
  });

  it('keeps the id of a malformed envelope for the log line', () => {
    const d = decodeKombuEnvelope('{"headers": {"id": "task-1"}}');
    assert.ok(!d.ok && d.id === 'task-1');
    const c = decodeKombuEnvelope('{"properties": {"correlation_id": "corr-1"}}');
    assert.ok(!c.ok && c.id === 'corr-1');
  });
});
