/** What canvas needs from an app, and the app that sends unbound signatures. */
import type { AsyncResult } from '../app/async-result';
import type { ResultBackend } from '../backends/backend';
import type { ApplyOptions } from '../app/task-options';
import { currentApp } from '../app/shared-task';

export interface CanvasApp {
  /** The client's reply address (`reply_to`). */
  readonly oid: string;
  sendTask<R = unknown>(name: string, args: unknown[], kwargs: Record<string, unknown>, options: ApplyOptions): Promise<AsyncResult<R>>;
  connectBackend(): Promise<ResultBackend>;
}

export function currentCanvasApp(): CanvasApp {
  return currentApp() as unknown as CanvasApp;
}
