/**
 * One suite every Broker must pass (memory in-process, memory over the hub
 * socket, and the real brokers as they arrive), so the embedded broker is held
 * to the semantics of the real ones.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { Broker, Delivery } from '../../src/runtime/brokers/broker';
import type { BrokerMessage } from '../../src/runtime/protocol/message';
import { bodyText } from '../../src/runtime/protocol/serializer';
import { waitFor } from '../helpers/wait';

export interface BrokerUnderTest {
  /** A connection; each call may return a new one (as a new process would have). */
  connect(): Promise<Broker>;
}

export interface BrokerCapabilities {
  /**
   * How the broker orders priorities: RabbitMQ and memory:// serve higher
   * numbers first; kombu's Redis transport serves lower steps (0, 3, 6, 9) first.
   */
  priorities: 'higher-first' | 'lower-first' | false;
  /** Can `stats` count unacked messages? (AMQP cannot without the management API.) */
  countsUnacked?: boolean;
}

function message(n: number, priority = 0): BrokerMessage {
  return {
    body: JSON.stringify([[n], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    headers: { task: 'conformance.t', id: `id-${n}`, n },
    properties: { correlation_id: `id-${n}`, delivery_mode: 2, priority },
  };
}

function n(d: Delivery): number {
  return d.message.headers.n as number;
}

export function brokerConformance(name: string, make: () => BrokerUnderTest, caps: BrokerCapabilities): void {
  describe(`Broker conformance: ${name}`, () => {
    let subject: BrokerUnderTest;
    const opened: Broker[] = [];
    let queue: string;

    async function connect(): Promise<Broker> {
      const b = await subject.connect();
      opened.push(b);
      return b;
    }

    beforeEach(() => {
      subject = make();
      queue = `conformance-${randomUUID()}`;
    });

    afterEach(async () => {
      for (const b of opened.splice(0)) {
        await b.purge(queue).catch(() => undefined);
        await b.close();
      }
    });

    it('delivers a published message with its headers, properties and body intact', async () => {
      const b = await connect();
      await b.publish(message(1), { exchange: '', routingKey: queue });
      const got: Delivery[] = [];
      await b.consume([queue], { prefetch: 10 }, (d) => got.push(d));
      await waitFor(() => got.length === 1, { what: 'delivery' });
      const d = got[0];
      assert.equal(d.queue, queue);
      assert.equal(d.redelivered, false);
      assert.deepEqual(d.message.headers, message(1).headers);
      assert.equal(d.message.properties.correlation_id, 'id-1');
      // Transports may carry the body encoded (kombu's Redis envelope: base64).
      const text = bodyText(d.message);
      assert.ok(text.ok);
      assert.equal(text.text, message(1).body);
      d.ack();
    });

    it('keeps FIFO order within one queue', async () => {
      const b = await connect();
      for (let i = 0; i < 20; i++) await b.publish(message(i), { exchange: '', routingKey: queue });
      const got: number[] = [];
      await b.consume([queue], { prefetch: 0 }, (d) => {
        got.push(n(d));
        d.ack();
      });
      await waitFor(() => got.length === 20, { what: '20 deliveries' });
      assert.deepEqual(got, [...Array(20).keys()]);
    });

    it('never has more unacked deliveries than the prefetch limit', async () => {
      const b = await connect();
      for (let i = 0; i < 5; i++) await b.publish(message(i), { exchange: '', routingKey: queue });
      const got: Delivery[] = [];
      await b.consume([queue], { prefetch: 2 }, (d) => got.push(d));
      await waitFor(() => got.length === 2, { what: '2 deliveries' });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(got.length, 2, 'a third delivery arrived before any ack');
      const [stats] = await b.stats([queue]);
      assert.equal(stats.ready, 3);
      if (caps.countsUnacked !== false) assert.equal(stats.unacked, 2);
      else assert.equal(stats.unacked, null);
      got[0].ack();
      await waitFor(() => got.length === 3, { what: 'third delivery after an ack' });
    });

    it('delivers more when the consumer raises its prefetch', async () => {
      const b = await connect();
      for (let i = 0; i < 4; i++) await b.publish(message(i), { exchange: '', routingKey: queue });
      const got: Delivery[] = [];
      const consumer = await b.consume([queue], { prefetch: 1 }, (d) => got.push(d));
      await waitFor(() => got.length === 1);
      consumer.setPrefetch(3);
      await waitFor(() => got.length === 3, { what: 'deliveries after setPrefetch(3)' });
    });

    it('forgets an acked message', async () => {
      const b = await connect();
      await b.publish(message(1), { exchange: '', routingKey: queue });
      const got: Delivery[] = [];
      await b.consume([queue], { prefetch: 1 }, (d) => got.push(d));
      await waitFor(() => got.length === 1);
      got[0].ack();
      if (caps.countsUnacked !== false) await waitFor(async () => (await b.stats([queue]))[0].unacked === 0, { what: 'unacked 0 after ack' });
      assert.equal((await b.stats([queue]))[0].ready, 0);
    });

    it('redelivers a message rejected with requeue, marked redelivered', async () => {
      const b = await connect();
      await b.publish(message(7), { exchange: '', routingKey: queue });
      const got: Delivery[] = [];
      await b.consume([queue], { prefetch: 1 }, (d) => {
        got.push(d);
        if (got.length === 1) d.reject(true);
        else d.ack();
      });
      await waitFor(() => got.length === 2, { what: 'redelivery' });
      assert.equal(n(got[1]), 7);
      assert.equal(got[1].redelivered, true);
    });

    it('drops a message rejected without requeue', async () => {
      const b = await connect();
      await b.publish(message(1), { exchange: '', routingKey: queue });
      await b.publish(message(2), { exchange: '', routingKey: queue });
      const got: number[] = [];
      await b.consume([queue], { prefetch: 1 }, (d) => {
        got.push(n(d));
        if (n(d) === 1) d.reject(false);
        else d.ack();
      });
      await waitFor(() => got.length === 2);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, [1, 2]);
      const [stats] = await b.stats([queue]);
      assert.equal(stats.ready + (stats.unacked ?? 0), 0);
    });

    it('requeues the unacked deliveries of a consumer that closes, for another consumer', async () => {
      const first = await connect();
      for (let i = 0; i < 3; i++) await first.publish(message(i), { exchange: '', routingKey: queue });
      const held: Delivery[] = [];
      const c1 = await first.consume([queue], { prefetch: 3 }, (d) => held.push(d));
      await waitFor(() => held.length === 3);
      held[0].ack();
      await c1.close();
      const second = await connect();
      const got: Delivery[] = [];
      await second.consume([queue], { prefetch: 10 }, (d) => {
        got.push(d);
        d.ack();
      });
      await waitFor(() => got.length === 2, { what: 'the two unacked messages back' });
      assert.deepEqual(got.map(n), [1, 2]);
      assert.ok(got.every((d) => d.redelivered));
    });

    it('requeues the unacked deliveries of a connection that closes', async () => {
      const first = await connect();
      await first.publish(message(1), { exchange: '', routingKey: queue });
      const held: Delivery[] = [];
      await first.consume([queue], { prefetch: 1 }, (d) => held.push(d));
      await waitFor(() => held.length === 1);
      await first.close();
      const second = await connect();
      const got: Delivery[] = [];
      await second.consume([queue], { prefetch: 1 }, (d) => {
        got.push(d);
        d.ack();
      });
      await waitFor(() => got.length === 1, { what: 'redelivery after connection close' });
      assert.equal(got[0].redelivered, true);
    });

    it('shares a queue between consumers', async () => {
      const b = await connect();
      const a: number[] = [];
      const c: number[] = [];
      await b.consume([queue], { prefetch: 1 }, (d) => {
        a.push(n(d));
        setTimeout(() => d.ack(), 5);
      });
      const b2 = await connect();
      await b2.consume([queue], { prefetch: 1 }, (d) => {
        c.push(n(d));
        setTimeout(() => d.ack(), 5);
      });
      for (let i = 0; i < 10; i++) await b.publish(message(i), { exchange: '', routingKey: queue });
      await waitFor(() => a.length + c.length === 10, { what: 'all 10 consumed' });
      assert.ok(a.length > 0 && c.length > 0, `both consumers got work (${a.length} / ${c.length})`);
      assert.deepEqual([...a, ...c].sort((x, y) => x - y), [...Array(10).keys()]);
    });

    it('stops delivering after cancel', async () => {
      const b = await connect();
      const got: Delivery[] = [];
      const consumer = await b.consume([queue], { prefetch: 10 }, (d) => {
        got.push(d);
        d.ack();
      });
      await b.publish(message(1), { exchange: '', routingKey: queue });
      await waitFor(() => got.length === 1);
      await consumer.cancel();
      await b.publish(message(2), { exchange: '', routingKey: queue });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(got.length, 1);
      assert.equal((await b.stats([queue]))[0].ready, 1);
    });

    it('purges ready messages and says how many', async () => {
      const b = await connect();
      for (let i = 0; i < 4; i++) await b.publish(message(i), { exchange: '', routingKey: queue });
      assert.equal(await b.purge(queue), 4);
      assert.equal((await b.stats([queue]))[0].ready, 0);
      assert.equal(await b.purge(queue), 0);
    });

    it('routes a named exchange through its bindings, and drops what nothing is bound to', async () => {
      const b = await connect();
      const exchange = `ex-${queue}`;
      await b.bindQueue(queue, exchange, 'reply-key');
      await b.publish(message(1), { exchange, routingKey: 'reply-key' });
      await b.publish(message(2), { exchange, routingKey: 'nobody' });
      const got: number[] = [];
      await b.consume([queue], { prefetch: 10 }, (d) => {
        got.push(n(d));
        d.ack();
      });
      await waitFor(() => got.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, [1]);
      assert.deepEqual((await b.stats(['nobody']))[0].ready, 0);
      await b.deleteQueue(queue, { exchange, routingKey: 'reply-key' });
      await b.publish(message(3), { exchange, routingKey: 'reply-key' });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, [1], 'nothing arrives once the binding is gone');
    });

    it("reaches the queue named like the exchange when it has no bindings (Celery's default)", async () => {
      const b = await connect();
      await b.publish(message(5), { exchange: queue, routingKey: queue });
      assert.equal((await b.stats([queue]))[0].ready, 1);
    });

    describe('broadcasts (fanout / topic exchanges)', () => {
      const exchange = () => `ev-${queue}`;
      const event = (type: string): BrokerMessage => ({
        body: JSON.stringify({ type }),
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        headers: { hostname: 'test@host' },
        properties: { delivery_mode: 1 },
      });
      const typeOf = (m: BrokerMessage) => {
        const t = bodyText(m);
        return t.ok ? (JSON.parse(t.text) as { type: string }).type : '?';
      };

      it('delivers to every subscriber whose pattern matches the routing key', async () => {
        const b = await connect();
        const workers: string[] = [];
        const all: string[] = [];
        await b.subscribe(exchange(), 'worker.#', (m, rk) => workers.push(`${rk}:${typeOf(m)}`));
        await b.subscribe(exchange(), '#', (m, rk) => all.push(`${rk}:${typeOf(m)}`));
        const publisher = await connect();
        await publisher.broadcast(exchange(), 'worker.heartbeat', event('worker-heartbeat'));
        await publisher.broadcast(exchange(), 'task.multi', event('task-succeeded'));
        await waitFor(() => all.length === 2, { what: 'both broadcasts on #' });
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(workers, ['worker.heartbeat:worker-heartbeat']);
        assert.deepEqual(all.sort(), ['task.multi:task-succeeded', 'worker.heartbeat:worker-heartbeat']);
      });

      it("matches the bare exchange with the pattern ''", async () => {
        const b = await connect();
        const got: string[] = [];
        await b.subscribe(exchange(), '', (m, rk) => got.push(`${rk}|${typeOf(m)}`));
        await b.broadcast(exchange(), '', event('ping'));
        await waitFor(() => got.length === 1);
        assert.deepEqual(got, ['|ping']);
      });

      it('keeps nothing for subscribers that were not there, and stops after dispose', async () => {
        const b = await connect();
        await b.broadcast(exchange(), 'worker.online', event('early'));
        const got: string[] = [];
        const sub = await b.subscribe(exchange(), '#', (m) => got.push(typeOf(m)));
        await b.broadcast(exchange(), 'worker.online', event('on-time'));
        await waitFor(() => got.length === 1);
        sub.dispose();
        await new Promise((r) => setTimeout(r, 30));
        await b.broadcast(exchange(), 'worker.online', event('late'));
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(got, ['on-time']);
      });
    });

    // Brokers without priority support (e.g. AMQP queues without x-max-priority) leave this out.
    if (caps.priorities) it(`serves priorities ${caps.priorities}`, async () => {
      const b = await connect();
      const order = [0, 9, 3, 6, 0, 9];
      for (const [i, p] of order.entries()) await b.publish(message(i, p), { exchange: '', routingKey: queue });
      const got: number[] = [];
      await b.consume([queue], { prefetch: 1 }, (d) => {
        got.push(d.message.properties.priority as number);
        d.ack();
      });
      await waitFor(() => got.length === order.length);
      assert.deepEqual(got, caps.priorities === 'higher-first' ? [9, 9, 6, 3, 0, 0] : [0, 0, 3, 6, 9, 9]);
    });
  });
}
