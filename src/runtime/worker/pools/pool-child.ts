/**
 * Entry point of a process-pool child: loads the task module, then runs one
 * task at a time for its parent. It exits when told to, or when the parent
 * goes away (so a SIGKILLed worker leaves no orphans running tasks).
 */
import { createApp } from '../../app/app';
import type { App } from '../../app/app';
import { createLogger, parseLogLevel } from '../../log';
import { serializeError } from '../../protocol/result-meta';
import { loadBuiltModule } from '../../loader/load-task-module';
import { executeTask, type ExecutorEnv } from '../executor';
import { setTaskJoinWillBlock } from '../join-guard';
import type { Outcome } from '../task-run';
import {
  POOL_BUILT_ENV,
  POOL_ENTRY_ENV,
  POOL_INDEX_ENV,
  POOL_LOG_LEVEL_ENV,
  type ChildToParent,
  type ParentToChild,
} from './pool-messages';

function send(message: ChildToParent): void {
  if (!process.send) return;
  try {
    process.send(message);
  } catch (err) {
    // The outcome could not be serialized (e.g. a BigInt result): report that instead.
    if (message.type === 'done') {
      process.send({
        type: 'done',
        id: message.id,
        outcome: {
          status: 'failure',
          error: serializeError(new TypeError(`task result cannot be sent as JSON: ${(err as Error).message}`)),
          runtimeMs: message.outcome.runtimeMs,
        },
      } satisfies ChildToParent);
    }
  }
}

function main(): void {
  setTaskJoinWillBlock(true);
  if (!process.send) {
    process.stderr.write('pool-child must be started by a celeriac process pool\n');
    process.exit(2);
  }
  const index = process.env[POOL_INDEX_ENV] ?? '0';
  const log = createLogger({
    level: parseLogLevel(process.env[POOL_LOG_LEVEL_ENV] ?? 'info'),
    processName: `ForkPoolWorker-${index}`,
  });
  let app: App;
  try {
    const loaded = loadBuiltModule({ entry: process.env[POOL_ENTRY_ENV]!, outfile: process.env[POOL_BUILT_ENV]! });
    app = loaded.app ?? createApp({}, { log });
  } catch (err) {
    send({ type: 'load-error', message: (err as Error).stack ?? String(err) });
    process.exit(1);
  }
  const env: ExecutorEnv = { log, clock: app.clock, defaultRetryDelay: app.conf.taskDefaultRetryDelay };
  let busy = false;
  let exitWhenIdle = false;

  process.on('message', (m: ParentToChild) => {
    if (m.type === 'exit') {
      if (busy) exitWhenIdle = true;
      else process.exit(0);
      return;
    }
    const def = app.getTask(m.run.name);
    busy = true;
    const run: Promise<Outcome> = def
      ? Promise.resolve(executeTask(def, m.run, env))
      : Promise.resolve({
          status: 'failure',
          error: serializeError(new Error(`task '${m.run.name}' is not registered in the pool child`)),
          runtimeMs: 0,
        });
    void run.then((outcome) => {
      send({ type: 'done', id: m.run.id, outcome });
      busy = false;
      if (exitWhenIdle) process.exit(0);
    });
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', pid: process.pid, tasks: [...app.tasks.keys()] });
}

main();
