import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { RedisBroker } from '../../src/runtime/brokers/redis/redis-broker';
import type { Delivery } from '../../src/runtime/brokers/broker';
import type { BrokerMessage } from '../../src/runtime/protocol/message';
import { encodeTaskMessage } from '../../src/runtime/protocol/task-message';
import { decodeTaskMessage } from '../../src/runtime/protocol/decode-task';
import { encodeKombuEnvelope } from '../../src/runtime/protocol/kombu-envelope';
import { loadFixture } from '../helpers/fixtures';
import { bodyText } from '../../src/runtime/protocol/serializer';
import { waitFor } from '../helpers/wait';
import { createLogger } from '../../src/runtime/log';
import { brokerConformance } from './broker-conformance';
import { flushDb, rawClient, REDIS_DB, redisUrl } from '../helpers/redis';
import { sparePort } from '../helpers/redis-server';
import { ConnectionError } from '../../src/runtime/errors';

describe('redis:// broker', () => {
  before(() => flushDb(REDIS_DB.broker));
  after(() => flushDb(REDIS_DB.broker));
  brokerConformance(
    'redis://',
    () => ({ connect: () => RedisBroker.connect(redisUrl(REDIS_DB.broker), { log: createLogger({ level: 'silent' }) }) }),
    { priorities: 'lower-first' },
  );
});

describe('redis:// broker: connecting', () => {
  it('says why it cannot connect (the socket error, not ioredis\' bare "Connection is closed."), naming the URL without the password', async () => {
    const port = await sparePort(); // nothing listens there
    await assert.rejects(RedisBroker.connect(`redis://:s3cret@127.0.0.1:${port}/0`, { log: createLogger({ level: 'silent' }) }), (err: unknown) => {
      assert.ok(err instanceof ConnectionError, String(err));
      assert.match(err.message, new RegExp(`cannot connect to redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0: .*ECONNREFUSED`));
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
  });
});

describe('redis:// broker: kombu layout', () => {
  const db = REDIS_DB.broker;
  const log = createLogger({ level: 'silent' });
  let raw: Redis;
  let broker: RedisBroker;
  let queue: string;

  beforeEach(async () => {
    raw = rawClient(db);
    queue = `kombu-${randomUUID()}`;
    broker = await RedisBroker.connect(redisUrl(db), { log, transportOptions: { visibility_timeout: 1 } });
  });
  afterEach(async () => {
    await broker.close();
    raw.disconnect();
  });
  after(() => flushDb(db));

  function taskMessage(priority = 0): BrokerMessage {
    return encodeTaskMessage({ id: randomUUID(), task: 'proj.add', args: [2, 3], kwargs: {}, origin: 'test@host', priority });
  }

  it('publishes with LPUSH of a kombu envelope (base64 body, delivery_info, uuid delivery_tag)', async () => {
    const msg = taskMessage();
    await broker.publish(msg, { exchange: '', routingKey: queue });
    const [entry] = await raw.lrange(queue, 0, -1);
    const env = JSON.parse(entry);
    assert.deepEqual(Object.keys(env), ['body', 'content-encoding', 'content-type', 'headers', 'properties']);
    assert.equal(env.properties.body_encoding, 'base64');
    assert.deepEqual(env.properties.delivery_info, { exchange: '', routing_key: queue });
    assert.match(env.properties.delivery_tag, /^[0-9a-f-]{36}$/);
    assert.equal(Buffer.from(env.body, 'base64').toString(), msg.body);
    assert.deepEqual(env.headers, msg.headers);
  });

  it('puts a priority-7 message on the queue\\x06\\x166 list, as kombu does', async () => {
    await broker.publish(taskMessage(7), { exchange: '', routingKey: queue });
    assert.equal(await raw.llen(`${queue}\x06\x166`), 1);
    assert.equal(await raw.llen(queue), 0);
  });

  it('records a delivery in unacked ([envelope, "", queue]) and unacked_index, and removes both on ack', async () => {
    await broker.publish(taskMessage(), { exchange: '', routingKey: queue });
    const got: Delivery[] = [];
    await broker.consume([queue], { prefetch: 1 }, (d) => got.push(d));
    await waitFor(() => got.length === 1);
    const tag = got[0].deliveryTag;
    const payload = JSON.parse((await raw.hget('unacked', tag))!);
    assert.equal(payload[1], '');
    assert.equal(payload[2], queue);
    assert.equal(payload[0].properties.delivery_tag, tag);
    assert.ok(Number(await raw.zscore('unacked_index', tag)) > Date.now() / 1000 - 60);
    got[0].ack();
    await waitFor(async () => (await raw.hexists('unacked', tag)) === 0, { what: 'unacked entry removed' });
    assert.equal(await raw.zscore('unacked_index', tag), null);
  });

  it("declares the queue's binding like a kombu worker", async () => {
    await broker.consume([queue], { prefetch: 1 }, () => undefined);
    assert.deepEqual(await raw.smembers(`_kombu.binding.${queue}`), [`${queue}\x06\x16\x06\x16${queue}`]);
  });

  it('consumes a message LPUSHed by a Python Celery client', async () => {
    const fixture = loadFixture('redis_send_add');
    const lpush = fixture.redis_commands.find((c: { cmd: string[] }) => c.cmd[0] === 'LPUSH').cmd[2] as string;
    await raw.lpush(queue, lpush);
    const got: Delivery[] = [];
    await broker.consume([queue], { prefetch: 1 }, (d) => got.push(d));
    await waitFor(() => got.length === 1);
    const decoded = decodeTaskMessage(got[0].message);
    assert.ok(decoded.ok);
    assert.equal(decoded.task.task, 'interop_app.add');
    assert.deepEqual(decoded.task.args, [2, 3]);
    got[0].ack();
  });

  it('restores an unacked message older than the visibility timeout, marked redelivered', async () => {
    // What a kombu worker killed mid-task leaves behind.
    const env = JSON.parse(encodeKombuEnvelope(taskMessage(), { exchange: '', routingKey: queue, deliveryTag: 'dead-tag' }));
    await raw.hset('unacked', 'dead-tag', JSON.stringify([env, '', queue]));
    await raw.zadd('unacked_index', Date.now() / 1000 - 30, 'dead-tag');
    assert.equal(await broker.restoreVisible(), 1);
    const [entry] = await raw.lrange(queue, 0, -1);
    const restored = JSON.parse(entry);
    assert.equal(restored.headers.redelivered, true);
    assert.equal(restored.properties.delivery_info.redelivered, true);
    assert.equal(await raw.hexists('unacked', 'dead-tag'), 0);
  });

  it('leaves alone unacked messages younger than the visibility timeout, and does nothing while kombu holds unacked_mutex', async () => {
    const env = JSON.parse(encodeKombuEnvelope(taskMessage(), { exchange: '', routingKey: queue, deliveryTag: 'old' }));
    await raw.hset('unacked', 'old', JSON.stringify([env, '', queue]));
    await raw.zadd('unacked_index', Date.now() / 1000 - 30, 'old');
    await raw.set('unacked_mutex', 'kombu', 'PX', 2000);
    assert.equal(await broker.restoreVisible(), 0);
    await raw.del('unacked_mutex');
    await raw.zadd('unacked_index', Date.now() / 1000, 'old');
    assert.equal(await broker.restoreVisible(), 0);
    assert.equal(await raw.llen(queue), 0);
    await raw.hdel('unacked', 'old');
    await raw.zrem('unacked_index', 'old');
  });

  it('keeps the score of a message it holds fresh, so it is never restored while held (kombu#337)', async () => {
    await broker.publish(taskMessage(), { exchange: '', routingKey: queue });
    const got: Delivery[] = [];
    await broker.consume([queue], { prefetch: 1 }, (d) => got.push(d));
    await waitFor(() => got.length === 1);
    const tag = got[0].deliveryTag;
    const first = Number(await raw.zscore('unacked_index', tag));
    await new Promise((r) => setTimeout(r, 2500)); // > visibility timeout (1 s)
    assert.ok(Number(await raw.zscore('unacked_index', tag)) > first, 'score was refreshed');
    assert.equal(await broker.restoreVisible(), 0);
    assert.equal(await raw.llen(queue), 0);
    got[0].ack();
  });

  it('broadcasts with PUBLISH on /<db>.<exchange>/<routing key>, and receives what Python publishes there', async () => {
    const pattern = rawClient(db);
    const seen = new Promise<string>((resolve) => pattern.on('pmessage', (_p, channel) => resolve(channel)));
    await pattern.psubscribe(`/${db}.celeryev-${queue}/*`);
    await broker.broadcast(`celeryev-${queue}`, 'worker.heartbeat', taskMessage());
    assert.equal(await seen, `/${db}.celeryev-${queue}/worker.heartbeat`);
    pattern.disconnect();

    const fixture = loadFixture('redis_event_worker_heartbeat');
    const received: BrokerMessage[] = [];
    await broker.subscribe(`celeryev-${queue}`, 'worker.#', (m) => received.push(m));
    await raw.publish(`/${db}.celeryev-${queue}/worker.heartbeat`, fixture.raw_pubsub_payload);
    await waitFor(() => received.length === 1, { what: 'the Python heartbeat' });
    assert.equal(received[0].headers.hostname, JSON.parse(fixture.raw_pubsub_payload).headers.hostname);
    const body = bodyText(received[0]);
    assert.ok(body.ok);
    assert.equal(JSON.parse(body.text).type, 'worker-heartbeat');
  });
});
