/**
 * At-least-once on RabbitMQ with acks late: 2,000 durable tasks, the worker
 * process SIGKILLed twice in the middle of the run and replaced each time.
 * RabbitMQ requeues a dead connection's unacked deliveries at once (no
 * visibility timeout), so the replacement gets them and every task completes.
 * Executions are counted per task id in Redis from inside the task: re-runs
 * are allowed (at least once), losses are not.
 */
import { strict as assert } from 'node:assert';
import type Redis from 'ioredis';
import { createApp, createLogger, type App } from '../../src/runtime';
import { AMQP_URL } from '../helpers/amqp';
import { rawAmqp, type RawAmqp } from '../helpers/rabbitmq-admin';
import { waitFor } from '../helpers/wait';
import { killHard, type WorkerProcess } from './reliability-helpers';
import { allSucceeded, deleteSinkKeys, runCounts, SINK_URL, sinkClient, startAmqpWorker, tally, uniqueName } from './amqp-reliability-helpers';

const TASKS = 2000;
const TASK_MS = 40; // each task works this long: with -c 20 the run takes several seconds

describe('amqp://: acks-late tasks survive SIGKILLed worker processes', function () {
  this.timeout(120_000);
  let sink: Redis;
  let rabbit: RawAmqp;
  let app: App | undefined;
  let queue: string;
  let runsKey: string;
  let ids: string[] = [];
  const workers: WorkerProcess[] = [];

  beforeEach(async () => {
    sink = sinkClient();
    rabbit = await rawAmqp();
    queue = uniqueName('sigkill');
    runsKey = `runs:${queue}`;
    ids = [];
  });

  afterEach(async () => {
    for (const w of workers.splice(0)) await killHard(w);
    await app?.close();
    await rabbit.deleteQueues(queue);
    await rabbit.channel.deleteExchange(queue).catch(() => undefined);
    await rabbit.close();
    await deleteSinkKeys(sink, runsKey, ids);
    sink.disconnect();
  });

  it('completes every one of 2,000 durable tasks when the worker is SIGKILLed twice mid-run and replaced', async () => {
    const spec = { broker: AMQP_URL, queue, runsKey, concurrency: 20 };
    app = createApp({ broker: AMQP_URL, backend: SINK_URL, task_default_queue: queue, task_acks_late: true }, { log: createLogger({ level: 'silent' }), env: {} });

    const started = Date.now();
    for (let i = 0; i < TASKS; i += 200) {
      const batch = await Promise.all(Array.from({ length: Math.min(200, TASKS - i) }, () => app!.sendTask('reliability.count', [TASK_MS])));
      ids.push(...batch.map((r) => r.id));
    }
    assert.equal(new Set(ids).size, TASKS);
    assert.deepEqual(await rabbit.depth(queue), { messages: TASKS, consumers: 0 }, 'every send was confirmed into the queue');
    const durable = await rabbit.channel.get(queue, { noAck: false });
    assert.ok(durable, 'a message to look at');
    assert.equal(durable.properties.deliveryMode, 2, 'persistent messages');
    rabbit.channel.nack(durable, false, true);

    const ran = async () => (await sink.hlen(runsKey)) as number;

    /** Kill `w` once `fraction` of the tasks ran; what RabbitMQ took back from it. */
    const killAt = async (w: WorkerProcess, fraction: number) => {
      await waitFor(async () => (await ran()) >= TASKS * fraction, { timeoutMs: 30_000, intervalMs: 20, what: `${fraction * 100}% of the tasks to run` });
      await killHard(w);
      // The dead connection's deliveries are back once its consumer is gone.
      await waitFor(async () => (await rabbit.depth(queue)).consumers === 0, { timeoutMs: 10_000, what: 'the killed consumer to be gone' });
      const ranBefore = await ran();
      const ready = (await rabbit.depth(queue)).messages;
      // Acked ≤ ran, so ready = TASKS − acked ≥ TASKS − ran; more than that means
      // tasks that had started (counted) but were not acked came back.
      assert.ok(ready + ranBefore > TASKS, `the kill interrupted running tasks and RabbitMQ requeued them (ready ${ready}, ran ${ranBefore})`);
      return { ready, ran: ranBefore, requeuedRunning: ready + ranBefore - TASKS };
    };

    const first = await startAmqpWorker({ ...spec, name: 'first' });
    workers.push(first);
    const kill1 = await killAt(first, 1 / 4);

    // Replaced at once: nothing to wait for on AMQP.
    const second = await startAmqpWorker({ ...spec, name: 'second' });
    workers.push(second);
    const kill2 = await killAt(second, 3 / 5);

    const third = await startAmqpWorker({ ...spec, name: 'third' });
    workers.push(third);

    await waitFor(async () => (await ran()) === TASKS, { timeoutMs: 40_000, intervalMs: 50, what: 'every task to run' });
    await waitFor(() => allSucceeded(sink, ids), { timeoutMs: 20_000, intervalMs: 100, what: 'every result to be SUCCESS' });
    // Everything acked: the queue is empty and stays empty once the last worker is gone too.
    await waitFor(async () => (await rabbit.depth(queue)).messages === 0, { timeoutMs: 10_000, what: 'the queue to drain' });
    assert.ok(third.alive(), `the third worker is still running:\n${third.output().slice(-4000)}`);
    await killHard(third);
    await waitFor(async () => (await rabbit.depth(queue)).consumers === 0, { timeoutMs: 10_000, what: 'the last consumer to be gone' });
    assert.equal((await rabbit.depth(queue)).messages, 0, 'nothing was left unacked by the last worker');

    const runs = await runCounts(sink, runsKey);
    const t = tally(ids, runs);
    assert.deepEqual(t.missing, [], 'every task ran');
    assert.equal(runs.size, TASKS, 'no execution of an unknown id');
    // Only a task that was running at a kill can run again.
    assert.ok(t.duplicated <= kill1.requeuedRunning + kill2.requeuedRunning, `${t.duplicated} re-runs for ${kill1.requeuedRunning + kill2.requeuedRunning} interrupted`);
    console.log(
      `      amqp sigkill: ${TASKS} tasks, ${t.executions} executions, ${t.duplicated} ran twice (max ${t.maxRuns}); ` +
        `running at the kills and requeued: ${kill1.requeuedRunning}, ${kill2.requeuedRunning}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
