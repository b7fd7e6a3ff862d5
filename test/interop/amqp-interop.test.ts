/**
 * Interop over RabbitMQ with real Python Celery 5.2.6 (Debian's /usr/bin/python3,
 * python3-celery, python3-amqp, python3-redis): the five scenarios of interop-scenarios.ts,
 * twice — results by `rpc://` (reply queues, correlation_id = task id) and in Redis.
 *
 * Queues are this run's own (`interop-amqp-<backend>-{py,ts,shared}-<run>`); they and the
 * direct exchanges of the same names that both Celery and Celeriac declare for them are
 * deleted afterwards. The tasks' execution counters (and, in the second run, the results)
 * live in REDIS_DB.amqpInterop, emptied before and after. Python missing is a failure.
 */
import * as amqp from 'amqplib';
import { AMQP_URL } from '../helpers/amqp';
import { REDIS_DB, redisUrl } from '../helpers/redis';
import { describeInterop, type InteropSuite } from './interop-scenarios';

/** One connection for the file: queue depth checks poll, and cleanup runs twice. */
let connection: Promise<amqp.ChannelModel> | undefined;

async function withChannel<T>(use: (ch: amqp.Channel) => Promise<T>): Promise<T> {
  connection ??= amqp.connect(AMQP_URL);
  const ch = await (await connection).createChannel();
  try {
    return await use(ch);
  } finally {
    await ch.close().catch(() => undefined);
  }
}

const common: Omit<InteropSuite, 'title' | 'backendUrl' | 'queuePrefix' | 'rpcResults'> = {
  brokerUrl: AMQP_URL,
  countersDb: REDIS_DB.amqpInterop,
  pythonModules: ['celery', 'amqp', 'redis'],
  aptPackages: 'python3-celery python3-amqp python3-redis',
  // AMQP tells the ready count only (unacked needs the management API); a late or duplicate
  // delivery still shows in the execution counters the scenario checks afterwards.
  drained: (queue) => withChannel(async (ch) => (await ch.checkQueue(queue)).messageCount === 0),
  cleanup: (queues) =>
    withChannel(async (ch) => {
      for (const q of queues) {
        await ch.deleteQueue(q);
        await ch.deleteExchange(q);
      }
    }),
};

describe('interop with Python Celery 5.2 over RabbitMQ', () => {
  after(async () => {
    const conn = connection;
    connection = undefined;
    if (conn) await (await conn).close();
  });

  describeInterop({
    ...common,
    title: 'results by rpc://',
    backendUrl: 'rpc://',
    queuePrefix: 'interop-amqp-rpc',
    rpcResults: true,
  });

  describeInterop({
    ...common,
    title: 'results in Redis',
    backendUrl: redisUrl(REDIS_DB.amqpInterop),
    queuePrefix: 'interop-amqp-redis',
    rpcResults: false,
  });
});
