/** A group: tasks applied at once, sharing a group id; their results come back as a GroupResult. */
import { randomUUID } from 'node:crypto';
import type { ApplyOptions } from '../app/task-options';
import type { AsyncResult } from '../app/async-result';
import { GroupResult } from '../app/group-result';
import type { SignatureJson } from '../protocol/task-message';
import { currentCanvasApp, type CanvasApp } from './canvas-app';
import { Canvas } from './signature';

export class Group extends Canvas {
  readonly subtaskType = 'group';

  constructor(
    readonly tasks: readonly Canvas[],
    readonly options: Record<string, unknown> = {},
    private readonly app?: CanvasApp,
  ) {
    super();
  }

  withApp(app: CanvasApp): Group {
    return new Group(
      this.tasks.map((t) => t.withApp(app)),
      this.options,
      app,
    );
  }

  override ownApp(): CanvasApp | undefined {
    return this.app ?? this.tasks[0]?.ownApp();
  }

  toJSON(): SignatureJson {
    return {
      task: 'celery.group',
      args: [],
      kwargs: { tasks: this.tasks.map((t) => t.toJSON()) },
      options: { ...this.options },
      subtask_type: 'group',
      immutable: false,
    };
  }

  async applyAsync(args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: ApplyOptions = {}): Promise<GroupResult> {
    const app = this.ownApp() ?? currentCanvasApp();
    // Celery keeps a frozen group's own id in options.task_id.
    const groupId =
      options.groupId ?? (this.options.group_id as string | undefined) ?? (this.options.task_id as string | undefined) ?? randomUUID();
    const results: AsyncResult[] = [];
    for (const task of this.tasks) {
      const r = await task.applyAsync(args, kwargs, { ...options, groupId, groupIndex: undefined });
      results.push(...(r instanceof GroupResult ? r.results : [r as AsyncResult]));
    }
    return new GroupResult(groupId, results, () => app.connectBackend());
  }
}

export function group(...tasks: (Canvas | Canvas[])[]): Group {
  return new Group(tasks.flat());
}
