/**
 * Interop over Redis with real Python Celery 5.2.6 (Debian's /usr/bin/python3, python3-celery,
 * python3-redis): the five scenarios of interop-scenarios.ts — TS client → Python worker,
 * Python client → TS worker (`celeriac worker`), failures both ways, retry/ETA/countdown of
 * Python-sent messages on the TS worker, and one queue shared by a TS and a Python worker
 * (every task exactly once).
 *
 * Broker, result backend and the tasks' execution counters share one database (REDIS_DB.interop),
 * emptied before and after. Python missing is a failure, not a skip.
 */
import { describeInterop } from './interop-scenarios';
import { REDIS_DB, redisUrl } from '../helpers/redis';

const URL = redisUrl(REDIS_DB.interop);

describeInterop({
  title: 'interop with Python Celery 5.2 over Redis',
  brokerUrl: URL,
  backendUrl: URL,
  countersDb: REDIS_DB.interop,
  queuePrefix: 'interop',
  rpcResults: false,
  pythonModules: ['celery', 'redis'],
  aptPackages: 'python3-celery python3-redis',
  // kombu's Redis transport: the queue is a list, unacked deliveries sit in the `unacked` hash.
  async drained(queue, raw) {
    const [len, unacked] = await Promise.all([raw.llen(queue), raw.hlen('unacked')]);
    return len === 0 && unacked === 0;
  },
});
