/**
 * Publisher confirms: a publish resolves only once RabbitMQ has the message,
 * and one RabbitMQ refuses rejects with the server's reason — a nack (a full
 * queue with x-overflow reject-publish) or a channel error (no such exchange)
 * — while publishing goes on working afterwards.
 */
import { strict as assert } from 'node:assert';
import { ConnectionError, createApp, createLogger, protocol } from '../../src/runtime';
import { AmqpBroker } from '../../src/runtime/brokers/amqp/amqp-broker';
import { AMQP_URL } from '../helpers/amqp';
import { rawAmqp, type RawAmqp } from '../helpers/rabbitmq-admin';
import { uniqueName } from '../reliability/amqp-reliability-helpers';

const silent = createLogger({ level: 'silent' });

describe('amqp://: publisher confirms', function () {
  this.timeout(20_000);
  let rabbit: RawAmqp;
  const queues: string[] = [];

  before(async () => {
    rabbit = await rawAmqp();
  });
  after(async () => {
    for (const q of queues) {
      await rabbit.deleteQueues(q);
      await rabbit.channel.deleteExchange(q).catch(() => undefined);
    }
    await rabbit.close();
  });

  it('rejects a sendTask that RabbitMQ nacks (full queue, x-overflow reject-publish) and resolves the ones it took', async () => {
    const queue = uniqueName('confirms-full');
    queues.push(queue);
    const app = createApp(
      { broker: AMQP_URL, task_default_queue: queue, task_queues: [{ name: queue, queue_arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } }] },
      { log: silent, env: {} },
    );
    try {
      await app.sendTask('confirms.noop');
      await app.sendTask('confirms.noop');
      await assert.rejects(app.sendTask('confirms.noop'), (err: unknown) => {
        assert.ok(err instanceof ConnectionError, String(err));
        assert.match(err.message, new RegExp(`refused a message to ''/'${queue}'.*nack`));
        return true;
      });
      assert.equal((await rabbit.depth(queue)).messages, 2, 'what resolved is on the queue, nothing more');
      await rabbit.channel.purgeQueue(queue);
      await app.sendTask('confirms.noop'); // the channel is still good
      assert.equal((await rabbit.depth(queue)).messages, 1);
    } finally {
      await app.close();
    }
  });

  it('rejects a publish to a missing exchange with the server’s reason, every time, and keeps publishing elsewhere', async () => {
    const queue = uniqueName('confirms-after');
    queues.push(queue);
    const broker = await AmqpBroker.connect(AMQP_URL, { log: silent });
    const message = protocol.encodeTaskMessage({ id: 'confirms-1', task: 'confirms.noop', args: [], kwargs: {}, origin: 'test@confirms' });
    try {
      // Each refusal closes the confirm channel; it must reopen every time, not just once.
      for (let i = 0; i < 3; i++) {
        await assert.rejects(broker.publish(message, { exchange: 'celeriac-no-such-exchange', routingKey: 'k', declare: false }), /NOT_FOUND - no exchange 'celeriac-no-such-exchange'/);
      }
      await broker.publish(message, { exchange: '', routingKey: queue });
      assert.equal((await rabbit.depth(queue)).messages, 1);
    } finally {
      await broker.close();
    }
  });
});
