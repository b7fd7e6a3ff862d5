/**
 * What a finished task owes its canvas, as a Celery worker does it:
 * on success, its callbacks (`link`, result first), the next chain step
 * (`embed.chain`, next step last) and its chord's join; on failure, its
 * errbacks (run inline when this worker has the errback task and it takes
 * (request, exc, traceback); otherwise sent with the task id) and the chord
 * join (the body then fails with ChordError). A failing chain stops there.
 */
import type { App } from '../app/app';
import type { ApplyOptions } from '../app/task-options';
import type { ChordPart, ResultBackend } from '../backends/backend';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import type { DecodedTask } from '../protocol/decode-task';
import { toNaiveIso } from '../protocol/iso-time';
import { pyRepr } from '../protocol/pyrepr';
import { exceptionMessageText, isExceptionInfo, toExceptionInfo, type SerializedError } from '../protocol/result-meta';
import type { SignatureJson } from '../protocol/task-message';
import { FAILURE, SUCCESS } from '../states';
import { fromJson } from '../canvas/from-json';
import { Chain, resultIdOf } from '../canvas/chain';
import { Chord } from '../canvas/chord';
import { Signature, type Canvas } from '../canvas/signature';
import type { TaskRun } from './task-run';

export class CanvasFollowups {
  constructor(
    private readonly app: App,
    private readonly backend: ResultBackend,
    private readonly log: Logger,
  ) {}

  /** Anything to do for this task at all (keeps the common case free). */
  static needed(task: DecodedTask): boolean {
    const e = task.embed;
    return Boolean(e.callbacks?.length || e.errbacks?.length || e.chain?.length || e.chord);
  }

  private parent(task: DecodedTask): ApplyOptions['parent'] {
    return { id: task.id, rootId: task.rootId };
  }

  private async apply(json: SignatureJson, args: unknown[], options: ApplyOptions): Promise<void> {
    const canvas = fromJson(json, this.app);
    await canvas.applyAsync(args, {}, options);
  }

  async afterSuccess(task: DecodedTask, value: unknown): Promise<void> {
    const parent = this.parent(task);
    for (const callback of task.embed.callbacks ?? []) {
      await this.apply(callback, [value], { parent }).catch((err) => this.failed('callback', callback, task, err));
    }
    const chain = task.embed.chain;
    if (chain?.length) {
      const next = chain[chain.length - 1];
      const rest = chain.slice(0, -1);
      await this.applyChainStep(next, rest, value, task).catch((err) => this.failed('next chain step', next, task, err));
    }
    if (task.embed.chord && task.group) await this.chordPart(task, SUCCESS, value);
  }

  private async applyChainStep(next: SignatureJson, rest: SignatureJson[], value: unknown, task: DecodedTask): Promise<void> {
    const canvas = fromJson(next, this.app);
    // The last step gets `chain: []`, not null, as a Celery worker sends it (redis_exec_chain).
    const options: ApplyOptions = { parent: this.parent(task), chain: rest };
    if (canvas instanceof Signature || canvas instanceof Chord) await canvas.applyAsync([value], {}, options);
    else if (canvas instanceof Chain) await Chain.fromRest(canvas, rest).applyAsync([value], {}, { parent: options.parent });
    // A group as the last step: its members all get the result.
    else await canvas.applyAsync([value], {}, { parent: options.parent });
  }

  async afterFailure(task: DecodedTask, run: TaskRun, error: SerializedError): Promise<void> {
    await this.errbacks(task.embed.errbacks ?? [], run, task.id, task.rootId, error);
    if (task.embed.chord && task.group) await this.chordPart(task, FAILURE, toExceptionInfo(error));
  }

  /**
   * Celery's rule: an errback this worker knows that takes (request, exc,
   * traceback) runs inline; any other is sent as a task with the failed id.
   * A bound task (`bind: true`) is never run inline (Celery 5.2 checks that its
   * `__header__` is not a partial): its first parameter is the context. An inline
   * errback's own partial args follow (request, exc, traceback), as Celery's
   * `Signature.__call__` merges them.
   */
  private async errbacks(errbacks: SignatureJson[], run: TaskRun, taskId: string, rootId: string, error: SerializedError): Promise<void> {
    const exc = Object.assign(new Error(error.message), { name: error.type });
    for (const errback of errbacks) {
      const def = errback.subtask_type ? undefined : this.app.getTask(errback.task);
      if (def && !def.options.bind && def.fn.length >= 2) {
        try {
          await def.fn(run, exc, error.stack ?? null, ...(errback.immutable ? [] : (errback.args ?? [])));
        } catch (err) {
          this.log.error(`errback ${errback.task} for ${taskId} failed: ${errorMessage(err)}`);
        }
        continue;
      }
      await this.apply(errback, [taskId], { parent: { id: taskId, rootId } }).catch((err) =>
        this.log.error(`could not send errback ${errback.task} for ${taskId}: ${errorMessage(err)}`),
      );
    }
  }

  private async chordPart(task: DecodedTask, state: string, result: unknown): Promise<void> {
    const body = task.embed.chord!;
    let parts: ChordPart[] | undefined;
    try {
      parts = await this.backend.onChordPart(task.group!, task.groupIndex ?? 0, { taskId: task.id, state, result });
    } catch (err) {
      this.log.error(`chord ${task.group}: could not record ${task.task}[${task.id}]: ${errorMessage(err)}`);
      return;
    }
    if (!parts) return;
    const failed = parts.find((p) => p.state !== SUCCESS);
    if (failed) {
      await this.failChord(body, task, failed);
      return;
    }
    try {
      await this.apply(body, [parts.map((p) => p.result)], { parent: this.parent(task) });
    } catch (err) {
      this.log.error(`chord ${task.group}: could not send its body ${body.task}: ${errorMessage(err)}`);
    }
  }

  /**
   * A header task failed: the body is not run; it fails with ChordError and its errbacks run.
   * The failure is stored under the id the chord resolves to (a chain body: its last step, which
   * the client holds) and, if different, the body's first task.
   */
  private async failChord(body: SignatureJson, task: DecodedTask, culprit: ChordPart): Promise<void> {
    const bodyCanvas: Canvas = fromJson(body);
    const bodyId = resultIdOf(bodyCanvas) ?? String(body.options?.task_id ?? '');
    const firstId = Chain.firstTaskId(bodyCanvas);
    const cause = isExceptionInfo(culprit.result) ? `${culprit.result.exc_type}(${pyRepr(exceptionMessageText(culprit.result))})` : String(culprit.result);
    const error: SerializedError = {
      type: 'ChordError',
      message: `Dependency ${culprit.taskId} raised ${cause}`,
      module: 'celery.exceptions',
      stack: null,
    };
    this.log.error(`chord ${task.group} failed: ${error.message}`);
    for (const id of new Set([bodyId, firstId ?? ''])) {
      if (!id) continue;
      await this.backend
        .storeResult({
          status: FAILURE,
          result: toExceptionInfo(error),
          traceback: null,
          children: [],
          date_done: toNaiveIso(this.app.clock.now()),
          task_id: id,
        })
        .catch((err) => this.log.error(`chord ${task.group}: could not store the body's failure: ${errorMessage(err)}`));
    }
    const errbacks = bodyCanvas instanceof Signature ? (bodyCanvas.options.link_error ?? []) : [];
    const run = { id: bodyId, name: body.task } as TaskRun;
    await this.errbacks(errbacks, run, bodyId, task.rootId, error);
  }

  private failed(what: string, json: SignatureJson, task: DecodedTask, err: unknown): void {
    this.log.error(`${task.task}[${task.id}]: could not send its ${what} ${json.task}: ${errorMessage(err)}`);
  }
}
