import { AmqpBroker } from '../../src/runtime/brokers/amqp/amqp-broker';
import { createLogger } from '../../src/runtime/log';
import { brokerConformance } from './broker-conformance';
import { AMQP_URL } from '../helpers/amqp';

describe('amqp:// broker', function () {
  this.timeout(20_000);
  brokerConformance(
    'amqp://',
    () => ({ connect: () => AmqpBroker.connect(AMQP_URL, { log: createLogger({ level: 'silent' }) }) }),
    // Celery's default queues have no x-max-priority, so RabbitMQ ignores priorities.
    { priorities: false, countsUnacked: false },
  );
});
