/**
 * A chord: a group (the header) and a task (the body) that runs once every
 * header task has finished, with their results as its first argument, in
 * order. The join uses Celery's keys in the result backend
 * (`celery-taskset-meta-<gid>.s/.j/.t`), so Python and TS header tasks can
 * take part in one chord and either side can run the body.
 */
import { randomUUID } from 'node:crypto';
import type { ApplyOptions } from '../app/task-options';
import { AsyncResult } from '../app/async-result';
import { ConfigError } from '../errors';
import type { SignatureJson } from '../protocol/task-message';
import { currentCanvasApp, type CanvasApp } from './canvas-app';
import { Canvas } from './signature';
import { Group } from './group';
import { Chain, resultIdOf, withResultId } from './chain';

export class Chord extends Canvas {
  readonly subtaskType = 'chord';

  constructor(
    readonly header: Group,
    readonly body: Canvas,
    readonly options: Record<string, unknown> = {},
    private readonly app?: CanvasApp,
  ) {
    super();
  }

  withApp(app: CanvasApp): Chord {
    return new Chord(this.header.withApp(app), this.body.withApp(app), this.options, app);
  }

  /** The same chord with the id of its body's result (a chain body: its last step) fixed in advance. */
  withBodyId(id: string, replyTo: string): Chord {
    return new Chord(this.header, withResultId(this.body, id, replyTo), this.options, this.app);
  }

  override ownApp(): CanvasApp | undefined {
    return this.app ?? this.header.ownApp() ?? this.body.ownApp();
  }

  toJSON(): SignatureJson {
    return {
      task: 'celery.chord',
      args: [],
      kwargs: { kwargs: {}, header: this.header.toJSON(), body: this.body.toJSON() },
      options: { ...this.options },
      subtask_type: 'chord',
      immutable: false,
    };
  }

  /**
   * Apply the header; resolves to the body's result. `options.chain` (the
   * rest of an enclosing chain) runs after the body.
   */
  async applyAsync(args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: ApplyOptions = {}): Promise<AsyncResult> {
    const app = this.ownApp() ?? currentCanvasApp();
    const backend = await app.connectBackend();
    if (!backend.enabled) {
      throw new ConfigError('a chord needs a result backend to join its header (set result_backend, e.g. redis://…)');
    }
    const groupId = options.groupId ?? randomUUID();
    let body: Canvas = this.body;
    if (options.chain?.length) body = Chain.fromRest(body, options.chain);
    // The chord resolves to its body's result: for a chain body, its last step (as Celery's freeze).
    const bodyId = resultIdOf(body) ?? randomUUID();
    const bodyJson = withResultId(body, bodyId, app.oid).toJSON();
    await backend.setChordSize(groupId, this.header.tasks.length);
    const { chain: _rest, ...headerOptions } = options;
    for (const [index, member] of this.header.tasks.entries()) {
      await member.applyAsync(args, kwargs, { ...headerOptions, groupId, groupIndex: index, chord: bodyJson });
    }
    return new AsyncResult(bodyId, () => app.connectBackend());
  }
}

export function chord(header: Canvas[] | Group, body: Canvas): Chord {
  return new Chord(header instanceof Group ? header : new Group(header), body);
}
