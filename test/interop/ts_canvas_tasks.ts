/**
 * The TypeScript side of test/interop/redis-canvas-interop.test.ts, loaded by a real
 * `celeriac worker -A` (broker and backend from -b / --result-backend).
 *
 * CANVAS_PY_QUEUE / CANVAS_TS_QUEUE: the routes (`pyc.*` → Python, `tsc.*` → TS), the same as
 * py_canvas_app.py's, so callbacks, chain steps and chord bodies this worker publishes reach
 * the right language. CANVAS_REDIS_URL: where the inline errback leaves its note.
 */
import { createApp } from 'celeriac';
import { redisFromEnv } from './ts_common';

const PY_QUEUE = process.env.CANVAS_PY_QUEUE;
const TS_QUEUE = process.env.CANVAS_TS_QUEUE;
if (!PY_QUEUE || !TS_QUEUE) throw new Error('CANVAS_PY_QUEUE and CANVAS_TS_QUEUE must be set');

export const app = createApp({
  task_default_queue: TS_QUEUE,
  task_routes: { 'pyc.*': { queue: PY_QUEUE }, 'tsc.*': { queue: TS_QUEUE } },
});

const notes = redisFromEnv('CANVAS_REDIS_URL');

export const add = app.task('tsc.add', (x: number, y: number) => x + y);
export const mul = app.task('tsc.mul', (x: number, y: number) => x * y);
export const xsum = app.task('tsc.xsum', (values: number[]) => values.reduce((s, v) => s + v, 0));
export const triple = app.task('tsc.triple', (x: number) => x * 3);
export const fail = app.task('tsc.fail', (message: string) => {
  throw new RangeError(message);
});

/** Takes (request, exc, traceback): run inline by this worker, as Celery runs such errbacks. */
export const onError = app.task('tsc.on_error', async (request: { id: string; name: string }, exc: Error, traceback: string | null) => {
  await notes().set(
    `canvas:ts-errback:${request.id}`,
    JSON.stringify({ id: request.id, name: request.name, exc_type: exc.name, exc_message: exc.message, has_traceback: Boolean(traceback) }),
    'EX',
    300,
  );
});

/** Waits for another task's result: in a worker process that must fail with SyncSubtaskError. */
export const waits = app.task('tsc.waits', async () => (await add.delay(1, 2)).get({ timeout: 5 }));
