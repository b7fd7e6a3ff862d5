/**
 * The Redis consumer once caught up: waiters BLMOVE each new message into a
 * holding list of their own and hand it over at once; the next round trip
 * adopts it into unacked. Nothing may be lost or run twice in the windows this
 * opens: settled before adoption, reply lost with the connection, consumer
 * closed or killed with a message in its holding list.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { RedisBroker } from '../../src/runtime/brokers/redis/redis-broker';
import type { Delivery } from '../../src/runtime/brokers/broker';
import type { BrokerMessage } from '../../src/runtime/protocol/message';
import { encodeTaskMessage } from '../../src/runtime/protocol/task-message';
import { encodeKombuEnvelope } from '../../src/runtime/protocol/kombu-envelope';
import { createLogger } from '../../src/runtime/log';
import { guardKey, holdingKey, HOLDING_REGISTRY } from '../../src/runtime/brokers/redis/holding-keys';
import { connectClient, createClient } from '../../src/runtime/brokers/redis/redis-client';
import { Waiter } from '../../src/runtime/brokers/redis/redis-waiter';
import { markRedelivered } from '../../src/runtime/brokers/redis/redis-delivery';
import { flushDb, rawClient, REDIS_DB, redisUrl } from '../helpers/redis';
import { sleep, waitFor } from '../helpers/wait';
import { startRedisServer } from '../helpers/redis-server';

const db = REDIS_DB.broker;
const log = createLogger({ level: 'silent' });

function taskMessage(): BrokerMessage {
  return encodeTaskMessage({ id: randomUUID(), task: 'proj.add', args: [2, 3], kwargs: {}, origin: 'test@host' });
}

function envelope(queue: string, tag: string = randomUUID()): string {
  return encodeKombuEnvelope(taskMessage(), { exchange: '', routingKey: queue, deliveryTag: tag });
}

/** The ids of the consumer's waiter connections blocked in BLMOVE right now. */
async function blockedWaiters(raw: Redis, tag: string): Promise<number[]> {
  const list = (await raw.client('LIST')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(`name=celeriac:wait:${tag} `) && / cmd=blmove /.test(line))
    .map((line) => Number(/^id=(\d+)/.exec(line)![1]));
}

describe('redis:// broker: waiters and holding lists', function () {
  this.timeout(30_000);
  let raw: Redis;
  let broker: RedisBroker;
  let queue: string;
  let tag: string;

  beforeEach(async () => {
    raw = rawClient(db);
    queue = `waiter-${randomUUID()}`;
    tag = `waiter-test-${randomUUID().slice(0, 8)}`;
    broker = await RedisBroker.connect(redisUrl(db), { log });
  });
  afterEach(async () => {
    await broker.close();
    raw.disconnect();
  });
  after(() => flushDb(db));

  /** Consume `queue` and resolve once all four waiters (one per priority list) block. */
  async function consumeCaughtUp(onDelivery: (d: Delivery) => void, prefetch = 10) {
    const consumer = await broker.consume([queue], { prefetch, tag }, onDelivery);
    await waitFor(async () => (await blockedWaiters(raw, tag)).length === 4, { what: 'four waiters blocked in BLMOVE' });
    return consumer;
  }

  it('hands over a message pushed while it waits, records it in unacked on the next round trip, and forgets it on ack', async () => {
    const got: Delivery[] = [];
    await consumeCaughtUp((d) => got.push(d));
    await broker.publish(taskMessage(), { exchange: '', routingKey: queue });
    await waitFor(() => got.length === 1, { what: 'the delivery' });
    const d = got[0];
    await waitFor(async () => (await raw.hexists('unacked', d.deliveryTag)) === 1, { what: 'the adoption into unacked' });
    const payload = JSON.parse((await raw.hget('unacked', d.deliveryTag))!);
    assert.equal(payload[2], queue, 'recorded as kombu does: [envelope, "", queue]');
    assert.ok(Number(await raw.zscore('unacked_index', d.deliveryTag)) > 0);
    assert.equal(await raw.llen(holdingKey(tag, 0)), 0, 'holding list emptied');
    d.ack();
    await waitFor(async () => (await raw.hexists('unacked', d.deliveryTag)) === 0, { what: 'the ack' });
    assert.equal(await raw.zscore('unacked_index', d.deliveryTag), null);
  });

  it('leaves nothing in unacked or the holding list for messages acked before their adoption', async () => {
    const got: Delivery[] = [];
    await consumeCaughtUp((d) => {
      got.push(d);
      d.ack(); // at once, while the message is still only in the holding list
    });
    for (let i = 0; i < 20; i++) {
      await broker.publish(taskMessage(), { exchange: '', routingKey: queue });
      await waitFor(() => got.length === i + 1, { what: `delivery ${i + 1}` });
    }
    await waitFor(async () => (await raw.hlen('unacked')) === 0 && (await raw.zcard('unacked_index')) === 0, { what: 'unacked empty' });
    assert.equal(await raw.llen(holdingKey(tag, 0)), 0);
    assert.equal(await raw.llen(queue), 0);
    assert.equal(new Set(got.map((d) => d.deliveryTag)).size, 20);
  });

  it('requeues a message rejected before its adoption, marked redelivered, and delivers it again', async () => {
    const got: Delivery[] = [];
    await consumeCaughtUp((d) => {
      got.push(d);
      if (got.length === 1) d.reject(true);
      else d.ack();
    });
    await broker.publish(taskMessage(), { exchange: '', routingKey: queue });
    await waitFor(() => got.length === 2, { what: 'the redelivery' });
    assert.equal(got[0].redelivered, false);
    assert.equal(got[1].redelivered, true);
    assert.equal(got[1].message.headers.id, got[0].message.headers.id);
    await waitFor(async () => (await raw.hlen('unacked')) === 0, { what: 'unacked empty' });
  });

  it('gives back a message its holding list got without the reply reaching it (connection cut), and delivers it once', async () => {
    const got: Delivery[] = [];
    await consumeCaughtUp((d) => {
      got.push(d);
      d.ack();
    });
    // What a BLMOVE whose reply was lost with its connection leaves behind.
    const lost = envelope(queue);
    await raw.lpush(holdingKey(tag, 0), lost);
    for (const id of await blockedWaiters(raw, tag)) await raw.client('KILL', 'ID', String(id));
    await waitFor(() => got.length === 1, { what: 'the lost message, delivered after the reconnect' });
    await sleep(300);
    assert.equal(got.length, 1, 'delivered once');
    assert.equal(JSON.parse(lost).properties.delivery_tag, got[0].deliveryTag);
    assert.equal(await raw.llen(holdingKey(tag, 0)), 0);
    assert.equal(await raw.llen(queue), 0);
    await waitFor(async () => (await raw.hlen('unacked')) === 0, { what: 'unacked empty' });
    // And the waiters wait again: a message published now is handed over too.
    await waitFor(async () => (await blockedWaiters(raw, tag)).length === 4, { what: 'four waiters blocked again' });
    await broker.publish(taskMessage(), { exchange: '', routingKey: queue });
    await waitFor(() => got.length === 2, { what: 'a message published after the reconnect', timeoutMs: 3000 });
  });

  it('waits again after Redis dies under its blocked BLMOVEs and comes back (restarted empty on the same port)', async () => {
    let server = await startRedisServer([]);
    const url = `redis://127.0.0.1:${server.port}/0`;
    const own = await RedisBroker.connect(url, { log });
    try {
      const got: Delivery[] = [];
      await own.consume([queue], { prefetch: 10, tag }, (d) => {
        got.push(d);
        d.ack();
      });
      await own.publish(taskMessage(), { exchange: '', routingKey: queue });
      await waitFor(() => got.length === 1, { what: 'the first message' });
      // Idle past a wait timeout: the rounds in flight are then a bare BLMOVE + LLEN.
      await sleep(1500);
      const port = server.port;
      await server.stop('SIGKILL');
      await sleep(500);
      server = await startRedisServer([], { port });
      await own.publish(taskMessage(), { exchange: '', routingKey: queue });
      await waitFor(() => got.length === 2, { what: 'a message published after Redis came back', timeoutMs: 5000 });
    } finally {
      await own.close();
      await server.stop('SIGKILL');
    }
  });

  it('gives back what a previous consumer with the same tag left in its holding list (a restarted container reuses its pid)', async () => {
    await raw.lpush(holdingKey(tag, 0), envelope(queue, 'left-behind'));
    const got: Delivery[] = [];
    await broker.consume([queue], { prefetch: 10, tag }, (d) => {
      got.push(d);
      d.ack();
    });
    await waitFor(() => got.length === 1, { what: 'the message left behind' });
    assert.equal(got[0].deliveryTag, 'left-behind');
    await sleep(200);
    assert.equal(got.length, 1);
  });

  it('adopts by content: a non-ASCII message is recorded, an entry that is not UTF-8 is dropped and not looped back', async () => {
    const got: Delivery[] = [];
    await consumeCaughtUp((d) => got.push(d));
    const msg = encodeTaskMessage({ id: randomUUID(), task: 'proj.greet', args: ['héllo wörld ✓ 🎉'], kwargs: {}, origin: 'test@host' });
    await broker.publish(msg, { exchange: '', routingKey: queue });
    await waitFor(() => got.length === 1);
    await waitFor(async () => (await raw.hexists('unacked', got[0].deliveryTag)) === 1, { what: 'the non-ASCII message adopted' });
    got[0].ack();
    await raw.lpush(queue, Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0x7d])); // "{\xff\xfe\"}"
    await waitFor(() => got.length === 2, { what: 'the non-UTF-8 entry' });
    assert.ok(got[1].malformed, 'handed over as malformed');
    got[1].reject(false);
    await sleep(300);
    assert.equal(got.length, 2, 'not handed over again');
    assert.equal(await raw.llen(holdingKey(tag, 0)), 0);
    assert.equal(await raw.llen(queue), 0);
  });

  it('leaves no holding list, registry entry or guard behind when it closes', async () => {
    const consumer = await consumeCaughtUp(() => undefined);
    assert.equal(await raw.hexists(HOLDING_REGISTRY, holdingKey(tag, 0)), 1, 'registered while it runs');
    assert.equal(await raw.exists(guardKey(tag)), 1);
    await consumer.close();
    assert.equal(await raw.hexists(HOLDING_REGISTRY, holdingKey(tag, 0)), 0);
    assert.equal(await raw.exists(guardKey(tag)), 0);
    assert.deepEqual(await blockedWaiters(raw, tag), []);
    // Cut off: a message published now stays on the list.
    await broker.publish(taskMessage(), { exchange: '', routingKey: queue });
    await sleep(100);
    assert.equal(await raw.llen(queue), 1);
  });

  it('gives back the holding list of a consumer that died once its guard is gone, marked redelivered; not while the guard lives', async () => {
    const holding = holdingKey('dead-consumer', 0);
    const guard = guardKey('dead-consumer');
    await raw.hset(HOLDING_REGISTRY, holding, JSON.stringify({ guard, list: queue }));
    await raw.lpush(holding, envelope(queue, 'older'), envelope(queue, 'newer'));
    await raw.set(guard, '123', 'EX', 60);
    assert.equal(await broker.restoreVisible(), 0);
    assert.equal(await raw.llen(holding), 2, 'a live consumer keeps its holding list');
    await raw.del(guard);
    assert.equal(await broker.restoreVisible(), 2);
    assert.equal(await raw.exists(holding), 0);
    assert.equal(await raw.hexists(HOLDING_REGISTRY, holding), 0);
    // The consuming end is the right: the older one is taken first.
    const [first, second] = [JSON.parse((await raw.rpop(queue))!), JSON.parse((await raw.rpop(queue))!)];
    assert.deepEqual([first.properties.delivery_tag, second.properties.delivery_tag], ['older', 'newer']);
    assert.equal(first.headers.redelivered, true);
    assert.equal(first.properties.delivery_info.redelivered, true);
  });

  it('adopt.lua records, removes and requeues as told, returns what it was not told of, and changes nothing more when run again', async () => {
    const scripted = createClient({ host: '127.0.0.1', port: 6379, db, lazyConnect: true }, 'adopt-test');
    await connectClient(scripted, 'redis://127.0.0.1:6379');
    try {
      const holding = holdingKey(tag, 0);
      const [kept, acked, requeued, unseen] = ['kept', 'acked', 'requeued', 'unseen'].map((t) => envelope(queue, t));
      await raw.lpush(holding, kept, acked, requeued, unseen);
      // An earlier try recorded 'acked' before its ack.
      await raw.hset('unacked', 'acked', 'x');
      await raw.zadd('unacked_index', 1, 'acked');
      const sha = (e: string) => Waiter.sha(Buffer.from(e));
      const args = [
        ...[sha(kept), 'kept', 'r', ''],
        ...[sha(acked), 'acked', 'x', ''],
        ...[sha(requeued), 'requeued', 'q', markRedelivered(requeued)!],
      ];
      const run = () => scripted.adopt(holding, 'unacked', 'unacked_index', queue, String(Date.now() / 1000), queue, ...args);
      const state = async () => ({
        holding: await raw.llen(holding),
        unacked: (await raw.hkeys('unacked')).sort(),
        index: (await raw.zrange('unacked_index', 0, -1)).sort(),
        list: (await raw.lrange(queue, 0, -1)).map((e) => [JSON.parse(e).properties.delivery_tag, JSON.parse(e).headers.redelivered === true]),
      });
      assert.equal(await run(), 1);
      const once = await state();
      assert.deepEqual(once, {
        holding: 0,
        unacked: ['kept'],
        index: ['kept'],
        // The consuming end is the right: the unseen one is taken first, then the requeued one.
        list: [
          ['requeued', true],
          ['unseen', false],
        ],
      });
      assert.equal(JSON.parse((await raw.hget('unacked', 'kept'))!)[2], queue);
      assert.equal(await run(), 0);
      assert.deepEqual(await state(), once, 'a second run changes nothing');
    } finally {
      scripted.disconnect();
    }
  });

  describe('without permission to CLIENT KILL', () => {
    const user = `celeriac-nokill-${randomUUID().slice(0, 8)}`;
    before(async () => {
      const admin = rawClient(db);
      await admin.acl('SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-client|kill');
      admin.disconnect();
    });
    after(async () => {
      const admin = rawClient(db);
      await admin.acl('DELUSER', user);
      admin.disconnect();
    });

    it('keeps the registry entry on close, so a later restore gives back what a last BLMOVE may have moved', async () => {
      const limited = await RedisBroker.connect(redisUrl(db).replace('redis://', `redis://${user}:pw@`), { log });
      try {
        const consumer = await limited.consume([queue], { prefetch: 10, tag }, () => undefined);
        await waitFor(async () => (await blockedWaiters(raw, tag)).length === 4, { what: 'four waiters blocked' });
        await consumer.close();
        assert.equal(await raw.exists(guardKey(tag)), 0, 'guard gone');
        assert.equal(await raw.hexists(HOLDING_REGISTRY, holdingKey(tag, 0)), 1, 'still registered');
        // A BLMOVE that ran after the release.
        await raw.lpush(holdingKey(tag, 0), envelope(queue, 'late'));
        assert.equal(await broker.restoreVisible(), 1);
        assert.equal(JSON.parse((await raw.rpop(queue))!).properties.delivery_tag, 'late');
        assert.equal(await broker.restoreVisible(), 0);
        assert.equal(await raw.hexists(HOLDING_REGISTRY, holdingKey(tag, 0)), 0, 'empty entries are cleared');
      } finally {
        await limited.close();
      }
    });
  });
});
