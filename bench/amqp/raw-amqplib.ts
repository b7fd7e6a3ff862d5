/**
 * The floor: bare amqplib with the same Celery-format task messages on the
 * same kind of queue (Celery's layout, durable, persistent messages), no task
 * queue around them. Enqueue = publish on a confirm channel with
 * ENQUEUE_WINDOW confirms outstanding; drain = a consumer with prefetch 100
 * and manual acks, one `basic.ack` per message on receipt, nothing parsed;
 * latency = publish → consumer callback, one at a time.
 */
import { performance } from 'node:perf_hooks';
import type * as amqp from 'amqplib';
import {
  celeryTaskMessage,
  connect,
  declareCeleryQueue,
  DRAIN_TASKS,
  DrainMeter,
  ENQUEUE_WINDOW,
  LATENCY_SAMPLES,
  PAYLOAD,
  publishConfirmed,
  RAW_PREFETCH,
  signal,
  streamed,
  within,
  type BenchSystem,
  type SystemSample,
} from './common';

export const rawAmqplib: BenchSystem = {
  name: 'raw amqplib (floor)',
  short: 'raw amqplib',
  async run(queue: string): Promise<SystemSample> {
    const producer = await connect();
    let consumer: amqp.ChannelModel | undefined;
    try {
      const pub = await producer.createConfirmChannel();
      await declareCeleryQueue(pub, queue);
      const messages = Array.from({ length: DRAIN_TASKS }, () => celeryTaskMessage('bench.noop', [PAYLOAD]));
      let next = 0;
      const seconds = await streamed(DRAIN_TASKS, ENQUEUE_WINDOW, () => publishConfirmed(pub, queue, messages[next++]));
      const enqueuePerSec = DRAIN_TASKS / seconds;

      consumer = await connect();
      const ch = await consumer.createChannel();
      await ch.prefetch(RAW_PREFETCH);
      let taken = 0;
      const finished = signal();
      let measuring = false;
      let sentAt = 0;
      const samples: number[] = [];
      let started: ((v: void) => void) | undefined;
      global.gc?.();
      const meter = new DrainMeter();
      await ch.consume(
        queue,
        (msg) => {
          if (!msg) return;
          ch.ack(msg);
          if (measuring) {
            samples.push(performance.now() - sentAt);
            started?.();
          } else if (++taken === DRAIN_TASKS) finished.resolve();
        },
        { noAck: false },
      );
      await within(finished.promise, 120_000, 'the raw amqplib drain');
      const drained = meter.stop(DRAIN_TASKS);

      measuring = true;
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const ran = signal();
        started = ran.resolve;
        sentAt = performance.now();
        await publishConfirmed(pub, queue, celeryTaskMessage('bench.noop', [PAYLOAD]));
        await within(ran.promise, 5000, 'a raw delivery');
      }
      return { enqueuePerSec, ...drained, latenciesMs: samples };
    } finally {
      await consumer?.close().catch(() => undefined);
      await producer.close().catch(() => undefined);
    }
  },
};
