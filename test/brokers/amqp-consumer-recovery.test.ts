/**
 * A consumer whose channel the server closes while the connection stays up
 * (here: its queue deleted and declared again by someone else) consumes again
 * by itself, on the real RabbitMQ.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { AmqpBroker } from '../../src/runtime/brokers/amqp/amqp-broker';
import type { Delivery } from '../../src/runtime/brokers/broker';
import { createLogger } from '../../src/runtime/log';
import { AMQP_URL } from '../helpers/amqp';
import { waitUntil } from '../helpers/runtime-harness';

describe('amqp:// consumer recovery', function () {
  this.timeout(20_000);
  let broker: AmqpBroker;
  let admin: amqp.ChannelModel;
  const queue = `recover-${randomUUID().slice(0, 8)}`;

  before(async () => {
    broker = await AmqpBroker.connect(AMQP_URL, { log: createLogger({ level: 'silent' }) });
    admin = await amqp.connect(AMQP_URL);
  });

  after(async () => {
    await broker.close();
    const ch = await admin.createChannel();
    await ch.deleteQueue(queue);
    await admin.close();
  });

  it('consumes again after the server cancels the consumer (queue deleted and re-declared)', async () => {
    const got: string[] = [];
    await broker.consume([queue], { prefetch: 10 }, (d: Delivery) => {
      got.push(String(d.message.headers.id));
      d.ack();
    });
    const message = (id: string) => ({ body: '[[], {}, {}]', contentType: 'application/json', contentEncoding: 'utf-8', headers: { id, task: 't' }, properties: {} });
    await broker.publish(message('before'), { exchange: '', routingKey: queue });
    await waitUntil(() => got.includes('before'), 'the first message');

    const ch = await admin.createChannel();
    await ch.deleteQueue(queue);
    await ch.assertQueue(queue, { durable: true });
    await ch.close();

    await broker.publish(message('after'), { exchange: '', routingKey: queue });
    await waitUntil(() => got.includes('after'), 'the message published after the queue came back', 10_000);
    assert.deepEqual(got, ['before', 'after']);
  });
});
