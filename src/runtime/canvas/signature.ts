/**
 * Signatures: a task call described as data (name, args, kwargs, options),
 * partial (arguments added when it is applied are put first, as Celery does)
 * or immutable (`si`: it ignores what it is given). They travel inside task
 * messages as Celery writes them: `{task, args, kwargs, options, subtask_type, immutable}`.
 */
import type { SignatureJson } from '../protocol/task-message';
import type { ApplyOptions } from '../app/task-options';
import type { CanvasApp } from './canvas-app';
import { currentCanvasApp } from './canvas-app';
import type { AsyncResult } from '../app/async-result';

/** Options a signature keeps, in Celery's names (they go on the wire). */
export interface SignatureOptions {
  task_id?: string;
  reply_to?: string;
  queue?: string;
  priority?: number;
  countdown?: number;
  eta?: string;
  expires?: string | number;
  link?: SignatureJson[];
  link_error?: SignatureJson[];
  group_id?: string;
  group_index?: number;
  [key: string]: unknown;
}

export abstract class Canvas {
  abstract readonly subtaskType: string | null;
  abstract toJSON(): SignatureJson;
  /** Apply with arguments put before the signature's own (a parent's result, for callbacks and chains). */
  abstract applyAsync(args?: unknown[], kwargs?: Record<string, unknown>, options?: ApplyOptions): Promise<unknown>;
  /** A copy bound to an app (otherwise the current app sends it). */
  abstract withApp(app: CanvasApp): Canvas;
  /** The app it sends through: its own, else (canvases) its first task's, as Celery's `.app`. */
  ownApp(): CanvasApp | undefined {
    return undefined;
  }
}

export class Signature<R = unknown> extends Canvas {
  readonly subtaskType = null;

  constructor(
    readonly task: string,
    readonly args: readonly unknown[] = [],
    readonly kwargs: Readonly<Record<string, unknown>> = {},
    readonly options: Readonly<SignatureOptions> = {},
    readonly immutable = false,
    private readonly app?: CanvasApp,
  ) {
    super();
  }

  withApp(app: CanvasApp): Signature<R> {
    return new Signature<R>(this.task, this.args, this.kwargs, this.options, this.immutable, app);
  }

  override ownApp(): CanvasApp | undefined {
    return this.app;
  }

  /** A copy with options merged (Celery's `sig.set(...)`). */
  set(options: SignatureOptions): Signature<R> {
    return new Signature<R>(this.task, this.args, this.kwargs, { ...this.options, ...options }, this.immutable, this.app);
  }

  /** The same call, deaf to the arguments it is applied with. */
  si(): Signature<R> {
    return new Signature<R>(this.task, this.args, this.kwargs, this.options, true, this.app);
  }

  /** Run `callback` after this succeeds, with this result as its first argument. */
  link(callback: Signature): Signature<R> {
    return this.set({ link: [...(this.options.link ?? []), callback.toJSON()] });
  }

  /** Run `errback` if this fails. */
  linkError(errback: Signature): Signature<R> {
    return this.set({ link_error: [...(this.options.link_error ?? []), errback.toJSON()] });
  }

  toJSON(): SignatureJson {
    return {
      task: this.task,
      args: [...this.args],
      kwargs: { ...this.kwargs },
      options: { ...this.options },
      subtask_type: null,
      immutable: this.immutable,
    };
  }

  /** Arguments and options once applied with `args`/`kwargs`/`options` (partial semantics). */
  merged(args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, options: ApplyOptions = {}) {
    return {
      args: this.immutable ? [...this.args] : [...args, ...this.args],
      kwargs: this.immutable ? { ...this.kwargs } : { ...this.kwargs, ...kwargs },
      options: { ...signatureApplyOptions(this.options), ...options },
    };
  }

  applyAsync(args?: unknown[], kwargs?: Record<string, unknown>, options?: ApplyOptions): Promise<AsyncResult<R>> {
    const m = this.merged(args, kwargs, options);
    return (this.app ?? currentCanvasApp()).sendTask<R>(this.task, m.args, m.kwargs, m.options);
  }

  delay(...args: unknown[]): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }
}

/** Celery's wire options → the app's ApplyOptions. */
export function signatureApplyOptions(o: Readonly<SignatureOptions>): ApplyOptions {
  const out: ApplyOptions = {};
  if (o.task_id) out.taskId = o.task_id;
  if (o.queue) out.queue = o.queue;
  if (o.priority !== undefined) out.priority = o.priority;
  if (o.countdown !== undefined) out.countdown = o.countdown;
  if (o.eta !== undefined) out.eta = o.eta;
  if (o.expires !== undefined) out.expires = o.expires;
  if (o.link?.length) out.link = o.link;
  if (o.link_error?.length) out.linkError = o.link_error;
  if (o.group_id) out.groupId = o.group_id;
  if (o.group_index !== undefined) out.groupIndex = o.group_index;
  if (o.reply_to) out.replyTo = o.reply_to;
  if (o.chord) out.chord = o.chord as SignatureJson;
  return out;
}

/** `sig('proj.add', [2], {}, { queue: 'math' })`: a signature by name (for tasks defined anywhere). */
export function sig<R = unknown>(task: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: SignatureOptions = {}): Signature<R> {
  return new Signature<R>(task, args, kwargs, options);
}
