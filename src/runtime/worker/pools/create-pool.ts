/** Picks the pool a worker runs tasks in. */
import type { App } from '../../app/app';
import { ConfigError } from '../../errors';
import type { Logger } from '../../log';
import { AsyncPool } from './async-pool';
import { ProcessPool } from './process-pool';
import type { Pool, PoolKind } from './pool';
import type { AroundTask, ExecutorEnv } from '../executor';

export interface PoolOptions {
  kind: PoolKind;
  concurrency: number;
  app: App;
  log: Logger;
  module?: string;
  maxTasksPerChild?: number;
  aroundTask?: AroundTask;
}

export async function createPool(o: PoolOptions): Promise<Pool> {
  const env: ExecutorEnv = { log: o.log, clock: o.app.clock, defaultRetryDelay: o.app.conf.taskDefaultRetryDelay, aroundTask: o.aroundTask };
  switch (o.kind) {
    case 'async':
      return new AsyncPool(o.concurrency, (name) => o.app.getTask(name), env);
    case 'process':
      if (o.aroundTask) throw new ConfigError('aroundTask needs the async pool: process-pool children call tasks in another process');
      if (!o.module) {
        throw new ConfigError(
          'the process pool needs the task module (-A on the CLI, or the worker option `module`) so its child processes can load the tasks',
        );
      }
      return new ProcessPool({
        concurrency: o.concurrency,
        module: o.module,
        brokerUrl: o.app.conf.brokerUrl,
        maxTasksPerChild: o.maxTasksPerChild,
        log: o.log,
        clock: o.app.clock,
      });
    default:
      throw new ConfigError(`unknown pool '${String(o.kind)}': use 'async' or 'process'`);
  }
}
