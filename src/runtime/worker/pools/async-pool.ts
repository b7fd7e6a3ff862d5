/**
 * Runs tasks on this process's event loop: right for I/O-bound tasks. JavaScript
 * that is running cannot be stopped from outside, so a hard time limit or a
 * terminate records the outcome, aborts the task's `ctx.signal` and frees the
 * slot; the abandoned promise's late result is ignored.
 */
import { ConfigError, TaskRevokedError, TimeLimitExceeded } from '../../errors';
import type { TaskDefinition } from '../../app/task';
import { serializeError } from '../../protocol/result-meta';
import { executeTask, type ExecutorEnv } from '../executor';
import type { Outcome, TaskRun } from '../task-run';
import type { Pool } from './pool';

interface Running {
  controller: AbortController;
  finish(outcome: Outcome): void;
}

export class AsyncPool implements Pool {
  readonly kind = 'async' as const;
  /** Asynchronous runs still going, by task id. */
  private readonly running = new Map<string, Running>();

  constructor(
    readonly concurrency: number,
    private readonly lookup: (name: string) => TaskDefinition | undefined,
    private readonly env: ExecutorEnv,
  ) {}

  async start(): Promise<void> {}

  run(run: TaskRun, onStart?: (pid: number) => void): Outcome | Promise<Outcome> {
    onStart?.(process.pid);
    const def = this.lookup(run.name);
    if (!def) {
      return { status: 'failure', error: serializeError(new Error(`task '${run.name}' is not registered`)), runtimeMs: 0 };
    }
    const controller = new AbortController();
    const result = executeTask(def, run, this.env, controller);
    if (!(result instanceof Promise)) return result; // finished synchronously
    const hard = run.timeLimit[0];
    const started = this.env.clock.now();
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const finish = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        if (timer) this.env.clock.clearTimeout(timer);
        this.running.delete(run.id);
        resolve(outcome);
      };
      const timer = hard
        ? this.env.clock.setTimeout(() => {
            const err = new TimeLimitExceeded(`hard time limit (${hard}s) exceeded for ${run.name}[${run.id}]`);
            controller.abort(err);
            finish({ status: 'failure', error: serializeError(err), runtimeMs: this.env.clock.now() - started, cause: 'time-limit' });
          }, hard * 1000)
        : undefined;
      this.running.set(run.id, { controller, finish });
      result.then(finish);
    });
  }

  terminateTask(id: string): boolean {
    const r = this.running.get(id);
    if (!r) return false;
    r.controller.abort(new TaskRevokedError(`task ${id} was terminated`));
    r.finish({ status: 'revoked', signum: null, runtimeMs: 0 });
    return true;
  }

  async restart(): Promise<void> {
    throw new ConfigError('pool_restart needs the process pool (-P process): the async pool runs tasks inside the worker process');
  }

  async terminate(): Promise<void> {
    for (const r of this.running.values()) r.controller.abort(new Error('worker shutting down'));
  }

  async close(): Promise<void> {}

  pids(): number[] {
    return [process.pid];
  }
}
