/**
 * The TypeScript side of the interop tests (Redis and RabbitMQ), loaded by a real
 * `celeriac worker -A` (the broker and backend come from -b / --result-backend). Task
 * names match what test/interop/py_client.py and py_app.py send and register.
 *
 * INTEROP_REDIS_URL: where tasks record their executions (counters the test reads).
 */
import { createApp } from 'celeriac';
import { redisFromEnv } from './ts_common';

export const app = createApp({});

const counters = redisFromEnv('INTEROP_REDIS_URL');

export const add = app.task('interop.add', (x: number, y: number) => x + y, { argNames: ['x', 'y'] });
export const mul = app.task('interop.mul', (x: number, y: number) => x * y, { argNames: ['x', 'y'] });
export const echo = app.task('interop.echo', (value: unknown) => value);

// Failures Python clients must rebuild: a JS built-in that Python also has, a user-defined class, a bare Error.
export class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}
export const failType = app.task('interop.fail_type', (message: string) => {
  throw new TypeError(message);
});
export const failCustom = app.task('interop.fail_custom', (message: string) => {
  throw new PaymentDeclined(message);
});
export const failPlain = app.task('interop.fail_plain', (message: string) => {
  throw new Error(message);
});

/** Retries once with countdown 1, then returns `value`; counts its runs per task id. */
export const retryOnce = app.task(
  'interop.retry_once',
  async (ctx, run: string, value: string) => {
    await counters()
      .multi()
      .hincrby(`interop:${run}:retry`, ctx.id, 1)
      .rpush(`interop:${run}:retries:${ctx.id}`, String(ctx.retries))
      .exec();
    if (ctx.retries === 0) ctx.retry({ countdown: 1 });
    return value;
  },
  { bind: true, maxRetries: 3 },
);

/** When it ran (unix seconds, measured here) and the ETA it was given. */
export const when = app.task(
  'interop.when',
  (ctx) => ({ executed_at: Date.now() / 1000, eta: ctx.eta, hostname: ctx.hostname }),
  { bind: true },
);

/** Also registered by the Python worker: counts executions per task id, and who ran it. */
export const record = app.task(
  'shared.record',
  async (ctx, run: string, workMs?: number) => {
    if (workMs) await new Promise((r) => setTimeout(r, workMs));
    await counters()
      .multi()
      .hincrby(`interop:${run}`, ctx.id, 1)
      .hset(`interop:${run}:who`, ctx.id, 'ts')
      .exec();
    return 'ts';
  },
  { bind: true },
);
