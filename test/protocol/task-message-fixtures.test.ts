/**
 * Every task message Celery 5.2 put on the wire in the captures (both transports)
 * decodes, and encodes back to the same headers (key order included), body and
 * properties. See test/fixtures/celery/README.md §1.
 */
import { strict as assert } from 'node:assert';
import {
  argsRepr,
  decodeTaskMessage,
  encodeTaskMessage,
  kwargsRepr,
  type BrokerMessage,
  type DecodedTask,
} from '../../src/runtime/protocol';
import { fixtureNames } from '../helpers/fixtures';
import { taskMessages, type CapturedTask } from './captured-messages';

/** The headers Celery 5.2 writes on every task message, in its order (README §1.1). */
const CELERY_HEADERS = [
  'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries',
  'timelimit', 'root_id', 'parent_id', 'argsrepr', 'kwargsrepr', 'origin', 'ignore_result',
];

// Exact numbers found in test/fixtures/celery: a loader that misses messages fails here.
const EXPECTED_BY_SOURCE: Record<string, number> = {
  'amqp published': 17,
  'amqp messages': 40,
  'amqp firehose': 55,
  'amqp fetched_with_basic_get': 17,
  'amqp messages_and_acks': 4,
  'redis LPUSH': 47,
  'redis RPUSH': 3,
  'redis HSET': 28,
  'redis db5_after': 19,
  'redis queue_celery_items_left_to_right': 2,
  'redis unacked_while_running_on_w1': 1,
  'redis unacked_after_sigkill': 1,
  'redis unacked_1s_after_send': 1,
  'redis unacked_3s_after_w2_periodic_scan': 1,
  'redis before_shutdown': 1,
  'redis after_shutdown': 1,
};
const EXPECTED_TOTAL = 238;

function where(m: CapturedTask): string {
  return `${m.file} ${m.path}`;
}

function decodeOk(m: CapturedTask): DecodedTask {
  const r = decodeTaskMessage(m.message);
  assert.ok(r.ok, `${where(m)}: ${r.ok ? '' : r.reason}`);
  return r.task;
}

/** Celery's fields back through the encoder, with headers it does not name kept as extras. */
function reencode(t: DecodedTask): BrokerMessage {
  assert.ok(t.origin !== null, `task ${t.id} has no origin`);
  const extraHeaders = Object.fromEntries(Object.entries(t.headers).filter(([k]) => !CELERY_HEADERS.includes(k)));
  return encodeTaskMessage({
    id: t.id,
    task: t.task,
    args: t.args,
    kwargs: t.kwargs,
    embed: t.embed,
    eta: t.eta,
    expires: t.expires,
    retries: t.retries,
    timeLimit: t.timeLimit,
    rootId: t.rootId,
    parentId: t.parentId,
    group: t.group,
    groupIndex: t.groupIndex,
    shadow: t.shadow,
    origin: t.origin,
    ignoreResult: t.ignoreResult,
    argsrepr: t.argsrepr ?? undefined,
    kwargsrepr: t.kwargsrepr ?? undefined,
    lang: t.lang ?? undefined,
    replyTo: t.replyTo ?? undefined,
    correlationId: t.correlationId ?? undefined,
    priority: t.priority ?? undefined,
    extraHeaders: Object.keys(extraHeaders).length > 0 ? extraHeaders : undefined,
  });
}

const perFile = fixtureNames()
  .map((file) => ({ file, messages: taskMessages(file) }))
  .filter((f) => f.messages.length > 0);

describe('task messages in the Celery 5.2 captures', () => {
  it(`finds all ${EXPECTED_TOTAL} task messages, in every place the captures keep them`, () => {
    const bySource: Record<string, number> = {};
    for (const { messages } of perFile) {
      for (const m of messages) bySource[`${m.transport} ${m.source}`] = (bySource[`${m.transport} ${m.source}`] ?? 0) + 1;
    }
    assert.deepEqual(bySource, EXPECTED_BY_SOURCE);
    assert.equal(
      perFile.reduce((n, f) => n + f.messages.length, 0),
      EXPECTED_TOTAL,
    );
  });

  for (const { file, messages } of perFile) {
    describe(file, () => {
      it(`decodes all ${messages.length} task messages`, () => {
        for (const m of messages) {
          const t = decodeOk(m);
          assert.equal(t.id, m.headers.id, where(m));
          assert.equal(t.task, m.headers.task, where(m));
          assert.deepEqual(t.args, m.body[0], where(m));
          assert.deepEqual(t.kwargs, m.body[1], where(m));
        }
      });

      it('re-encodes the same headers, in the same key order', () => {
        for (const m of messages) {
          const encoded = reencode(decodeOk(m));
          assert.deepStrictEqual(encoded.headers, m.headers, where(m));
          assert.deepStrictEqual(Object.keys(encoded.headers), Object.keys(m.headers), where(m));
        }
      });

      it('re-encodes the same body [args, kwargs, embed]', () => {
        for (const m of messages) {
          const encoded = reencode(decodeOk(m));
          assert.deepStrictEqual(JSON.parse(encoded.body as string), m.body, where(m));
        }
      });

      it('re-encodes correlation_id, reply_to, delivery_mode and priority where captured', () => {
        for (const m of messages) {
          const props = reencode(decodeOk(m)).properties;
          for (const key of ['correlation_id', 'reply_to', 'delivery_mode', 'priority'] as const) {
            if (key in m.properties) assert.equal(props[key], m.properties[key], `${where(m)}: ${key}`);
          }
          // `expiration` depends on the clock at publish time; it is there exactly when captured.
          assert.equal('expiration' in props, 'expiration' in m.properties, `${where(m)}: expiration`);
        }
      });

      it("reproduces Celery's argsrepr and kwargsrepr", () => {
        for (const m of messages) {
          const t = decodeOk(m);
          // beat keeps args as a list and so writes a list repr ("[40, 2]"); everything else a tuple.
          if (t.argsrepr?.startsWith('(')) assert.equal(argsRepr(t.args), t.argsrepr, where(m));
          assert.equal(kwargsRepr(t.kwargs), t.kwargsrepr, where(m));
        }
      });
    });
  }
});
