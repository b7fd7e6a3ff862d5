/** A registered task: its function, its options, and how to call it. */
import type { AsyncResult } from './async-result';
import type { ApplyOptions, TaskOptions } from './task-options';
import type { TaskContext } from './task-context';
import { Signature, type SignatureOptions } from '../canvas/signature';
import type { CanvasApp } from '../canvas/canvas-app';

export type TaskFunction = (...args: any[]) => unknown;

/** What a worker needs to run a task: registered in an app's registry. */
export interface TaskDefinition {
  readonly name: string;
  readonly fn: TaskFunction;
  readonly options: Readonly<TaskOptions>;
}

/** The calling side a Task needs from its app (kept small so shared tasks can bind lazily). */
export interface TaskSender {
  sendTask<R>(name: string, args: unknown[], kwargs: Record<string, unknown>, options: ApplyOptions, defaults?: TaskOptions): Promise<AsyncResult<R>>;
}

export class Task<A extends unknown[] = unknown[], R = unknown> implements TaskDefinition {
  constructor(
    readonly name: string,
    readonly fn: TaskFunction,
    readonly options: Readonly<TaskOptions>,
    private readonly sender: () => TaskSender,
  ) {}

  /** Send with positional arguments (Celery's delay). */
  delay(...args: A): Promise<AsyncResult<R>> {
    return this.sender().sendTask<R>(this.name, args, {}, {}, this.options);
  }

  /** Send with arguments, keyword arguments and options (Celery's apply_async). */
  applyAsync(args?: A | unknown[], kwargs?: Record<string, unknown>, options?: ApplyOptions): Promise<AsyncResult<R>> {
    return this.sender().sendTask<R>(this.name, (args ?? []) as unknown[], kwargs ?? {}, options ?? {}, this.options);
  }

  /** A signature of a call to this task: partial, so applying it with more args puts those first. */
  s(...args: unknown[]): Signature<R> {
    return new Signature<R>(this.name, args, {}, this.signatureOptions(), false, this.canvasApp());
  }

  /** An immutable signature: it ignores a parent's result (Celery's `si`). */
  si(...args: unknown[]): Signature<R> {
    return new Signature<R>(this.name, args, {}, this.signatureOptions(), true, this.canvasApp());
  }

  signature(args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: SignatureOptions = {}): Signature<R> {
    return new Signature<R>(this.name, args, kwargs, { ...this.signatureOptions(), ...options }, false, this.canvasApp());
  }

  /**
   * The app this task's signatures send through, as Celery binds `task.s()` to the task's app:
   * the task's own app (a shared task: the current one; none yet: decided when sent).
   */
  private canvasApp(): CanvasApp | undefined {
    let sender: TaskSender;
    try {
      sender = this.sender();
    } catch {
      return undefined;
    }
    return 'oid' in sender && 'connectBackend' in sender ? (sender as unknown as CanvasApp) : undefined;
  }

  private signatureOptions(): SignatureOptions {
    return this.options.queue ? { queue: this.options.queue } : {};
  }

  toString(): string {
    return `<@task: ${this.name}>`;
  }
}

/** A plain task function: `(a, b) => a + b`. */
export type PlainTaskFn<A extends unknown[], R> = (...args: A) => R;
/** A bound task function: `(ctx, a, b) => …`. */
export type BoundTaskFn<A extends unknown[], R> = (ctx: TaskContext, ...args: A) => R;
