/**
 * The fixture workspace of the VS Code end-to-end tests (test/e2e/run.ts copies
 * it to a temp folder before each session; tests edit the copy, never this file).
 * The tests replace `'v1'` below to check that a save restarts the worker with
 * the new code.
 */
import { createApp } from 'celeriac';

// The default queue ('celery'): Enqueue Task… in VS Code sends there too.
export const app = createApp({ broker: 'memory://', main: 'e2e' });

export const add = app.task('e2e.add', (x: number, y: number) => x + y);

export const codeVersion = app.task('e2e.code_version', () => 'v1');

export const nap = app.task('e2e.nap', async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
});
