/** `celeriac worker`: run a worker until SIGTERM/SIGINT (warm shutdown; a second signal is cold). */
import { Worker } from '../../worker/worker';
import { Beat } from '../../beat/beat';
import { setTaskJoinWillBlock } from '../../worker/join-guard';
import type { PoolKind } from '../../worker/pools/pool';
import { RemoteMemoryBroker } from '../../brokers/memory/remote-memory-broker';
import { UsageError, type CommandSpec, type Parsed } from '../args';
import { APP_OPTIONS, loadCliApp } from '../cli-app';
import type { CliCommand, CliIO } from '../io';

const spec: CommandSpec = {
  name: 'worker',
  summary: 'run a worker that executes tasks',
  usage: '-A <module> [options]',
  description:
    'Run a worker that consumes task messages and executes the tasks the module registers.\n' +
    'SIGTERM or SIGINT: warm shutdown (running tasks finish, the rest go back to the queue); a second signal: cold.',
  options: {
    ...APP_OPTIONS,
    queues: { type: 'string', short: 'Q', value: 'Q1,Q2', description: 'queues to consume, comma-separated (default: the app default queue)' },
    concurrency: { type: 'number', short: 'c', value: 'N', description: 'tasks run at once (default: CPU count for process, 10 for async)' },
    pool: { type: 'string', short: 'P', value: 'async|process', description: 'run tasks on the event loop or in child processes', default: 'async' },
    hostname: { type: 'string', short: 'n', value: 'NAME', description: 'node name, %h = host (default celeriac@%h)' },
    'max-tasks-per-child': { type: 'number', value: 'N', description: 'process pool: replace a child after N tasks' },
    'prefetch-multiplier': { type: 'number', value: 'N', description: 'messages reserved per slot (default: worker_prefetch_multiplier, 4)' },
    'shutdown-timeout': { type: 'number', value: 'SECONDS', description: 'warm shutdown waits this long for running tasks (default 30)' },
    'task-events': { type: 'boolean', short: 'E', description: 'send task events (for `celeriac events`, `celery events`, Flower)' },
    'without-heartbeat': { type: 'boolean', description: 'send no worker events at all' },
    'without-remote-control': { type: 'boolean', description: 'do not answer inspect/control requests' },
    beat: { type: 'boolean', short: 'B', description: 'also run beat (beat_schedule) in this process, for development' },
  },
  examples: [
    'celeriac worker -A examples/demo/tasks.ts',
    'celeriac worker -A tasks.ts -b redis://localhost:6379/0 -Q default,reports -c 20',
    'celeriac worker -A tasks.ts -P process -c 4 --max-tasks-per-child 100',
  ],
};

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const v = parsed.values;
  if (typeof v.app !== 'string') throw new UsageError('worker needs -A <module>: the task module to load');
  const pool = String(v.pool) as PoolKind;
  if (pool !== 'async' && pool !== 'process') throw new UsageError(`--pool must be async or process, got '${v.pool}'`);
  const cli = await loadCliApp(v, io, 'worker');
  // This process runs tasks: a task waiting for another's result must fail loudly.
  setTaskJoinWillBlock(true);
  const { app } = cli;
  if (app.tasks.size === 0) app.log.warn(`module ${v.app} registers no tasks`);
  const worker = new Worker(app, {
    queues: typeof v.queues === 'string' ? v.queues.split(',').map((q) => q.trim()).filter(Boolean) : undefined,
    concurrency: v.concurrency as number | undefined,
    pool,
    hostname: v.hostname as string | undefined,
    maxTasksPerChild: v['max-tasks-per-child'] as number | undefined,
    prefetchMultiplier: v['prefetch-multiplier'] as number | undefined,
    shutdownTimeout: v['shutdown-timeout'] as number | undefined,
    module: v.app,
    setProcessTitle: true,
    sendTaskEvents: v['task-events'] ? true : undefined,
    sendEvents: !v['without-heartbeat'],
    enableRemoteControl: !v['without-remote-control'],
  });

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  // -B: beat in this process, as Celery's -B (for development: one beat per schedule).
  const beat = v.beat ? new Beat(app) : undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      void beat?.stop();
      app.log.info(`${signal} received: warm shutdown (send again for cold shutdown)`);
      worker.stop().then(
        () => resolveDone(0),
        () => resolveDone(1),
      );
    } else {
      app.log.warn(`${signal} received again: cold shutdown`);
      void worker.terminate().finally(() => resolveDone(1));
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Stopped by remote control (`celeriac control shutdown`) rather than a signal.
  const offline = worker.events.on('worker-offline', () => {
    if (signals === 0) resolveDone(0);
  });
  // A worker whose host (demo, extension) is gone has nothing left to serve.
  const broker = await app.connectBroker();
  if (broker instanceof RemoteMemoryBroker) {
    broker.onConnectionLost(() => {
      app.log.error('the embedded broker went away: stopping');
      void worker.terminate().finally(() => resolveDone(1));
    });
  }
  try {
    // Beat first: a broker it cannot keep state on (amqp://) fails before the worker consumes anything.
    await beat?.start();
    await worker.start();
    for (const task of [...app.tasks.keys()].sort()) app.log.debug(`registered: ${task}`);
    if (cli.hub) app.log.info(`embedded broker memory:// served at ${cli.hub.path}`);
    process.send?.({ type: 'celeriac-worker-ready', hostname: worker.hostname, pid: process.pid });
    return await done;
  } finally {
    offline.dispose();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await beat?.stop();
    await cli.close();
  }
}

export const workerCommand: CliCommand = { spec, run };
