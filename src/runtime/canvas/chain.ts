/**
 * A chain: each task runs after the previous one succeeded, with its result
 * as the first argument. Encoded as Celery does: the first task's message
 * carries the remaining steps in `embed.chain`, in reverse order (the next
 * step last), each with its task id assigned up front. A group followed by a
 * step becomes a chord, as in Celery.
 */
import { randomUUID } from 'node:crypto';
import type { ApplyOptions } from '../app/task-options';
import { AsyncResult } from '../app/async-result';
import { GroupResult } from '../app/group-result';
import type { SignatureJson } from '../protocol/task-message';
import { currentCanvasApp, type CanvasApp } from './canvas-app';
import { Canvas, Signature } from './signature';
import { Group } from './group';
import { Chord } from './chord';
import { fromJson } from './from-json';

export class Chain extends Canvas {
  readonly subtaskType = 'chain';

  constructor(
    readonly steps: readonly Canvas[],
    readonly options: Record<string, unknown> = {},
    private readonly app?: CanvasApp,
  ) {
    super();
  }

  withApp(app: CanvasApp): Chain {
    return new Chain(
      this.steps.map((s) => s.withApp(app)),
      this.options,
      app,
    );
  }

  toJSON(): SignatureJson {
    return {
      task: 'celery.chain',
      args: [],
      kwargs: { tasks: this.steps.map((s) => s.toJSON()) },
      options: { ...this.options },
      subtask_type: 'chain',
      immutable: false,
    };
  }

  /** `body` followed by a chain's remaining steps (given next-last, as in `embed.chain`). */
  static fromRest(body: Canvas, rest: readonly SignatureJson[]): Chain {
    return new Chain([body, ...[...rest].reverse().map((j) => fromJson(j))]);
  }

  /** The id the first task will have, if assigned. */
  static firstTaskId(c: Canvas): string | undefined {
    if (c instanceof Signature) return c.options.task_id;
    if (c instanceof Chain) return c.steps[0] ? Chain.firstTaskId(c.steps[0]) : undefined;
    return undefined;
  }

  withFirstTaskId(id: string, replyTo: string): Chain {
    const [first, ...rest] = this.steps;
    const fixed = first instanceof Signature ? first.set({ task_id: id, reply_to: replyTo }) : first instanceof Chain ? first.withFirstTaskId(id, replyTo) : first;
    return new Chain([fixed, ...rest], this.options, this.app);
  }

  override ownApp(): CanvasApp | undefined {
    return this.app ?? this.steps[0]?.ownApp();
  }

  /** Steps with `group → step` turned into chords and nested chains flattened. */
  private normalized(): Canvas[] {
    const flat = this.steps.flatMap((s) => (s instanceof Chain ? s.normalized() : [s]));
    const out: Canvas[] = [];
    for (let i = 0; i < flat.length; i++) {
      const step = flat[i];
      if (step instanceof Group && i + 1 < flat.length) {
        out.push(new Chord(step, flat[i + 1]));
        i++;
      } else out.push(step);
    }
    return out;
  }

  /** Apply the first step; resolves to the last step's result (a GroupResult if it is a group). */
  async applyAsync(args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: ApplyOptions = {}): Promise<AsyncResult | GroupResult> {
    const app = this.ownApp() ?? currentCanvasApp();
    const steps = this.normalized();
    if (steps.length === 0) throw new Error('an empty chain has nothing to run');
    // Ids up front, so the caller holds the last result before anything runs.
    const fixed = steps.map((s, i) => {
      if (i === 0) return s;
      if (s instanceof Signature && !s.options.task_id) return s.set({ task_id: randomUUID(), reply_to: app.oid });
      if (s instanceof Chord && !resultIdOf(s)) return s.withBodyId(randomUUID(), app.oid);
      // A group can only be the last step (group → step became a chord): its ids up front too.
      if (s instanceof Group) return withResultIds(s, app.oid);
      return s;
    });
    const [first, ...rest] = fixed;
    const last = fixed[fixed.length - 1];
    // The group/chord options of an enclosing canvas belong to the last step.
    const { groupId, groupIndex, chord, chain: outerRest, ...firstOptions } = options;
    const tail = rest.map((s) => s.toJSON());
    if (last instanceof Signature && tail.length) {
      const lastJson = tail[tail.length - 1];
      tail[tail.length - 1] = {
        ...lastJson,
        options: {
          ...lastJson.options,
          ...(groupId ? { group_id: groupId } : {}),
          ...(groupIndex !== undefined ? { group_index: groupIndex } : {}),
          ...(chord ? { chord } : {}),
        },
      };
    }
    // A stack (Celery pops the next step off the end): what the outer chain runs later goes first.
    const chainRest = (outerRest ?? []).concat([...tail].reverse());
    const firstApply: ApplyOptions =
      tail.length === 0 ? options : { ...firstOptions, chain: chainRest.length ? chainRest : undefined };
    const firstResult = await first.applyAsync(args, kwargs, firstApply);
    if (fixed.length === 1) return firstResult as AsyncResult | GroupResult;
    const backend = () => app.connectBackend();
    // Each step's result knows the one before it, so get() on the last ends
    // with the error of a step that failed instead of waiting forever.
    let parent = firstResult instanceof AsyncResult ? firstResult : undefined;
    for (const step of fixed.slice(1, -1)) {
      const id = step instanceof Signature ? step.options.task_id : step instanceof Chord ? resultIdOf(step) : undefined;
      if (id) parent = new AsyncResult(id, backend, parent);
    }
    if (last instanceof Signature) return new AsyncResult(last.options.task_id!, backend, parent);
    if (last instanceof Chord) return new AsyncResult(resultIdOf(last) ?? '', backend, parent);
    if (last instanceof Group) {
      const groupId = String(last.options.group_id ?? last.options.task_id);
      return new GroupResult(groupId, groupMemberIds(last).map((id) => new AsyncResult(id, backend)), backend);
    }
    return firstResult as AsyncResult | GroupResult;
  }
}

/** The id of the result a canvas resolves to, if assigned up front (a chain: its last step's; a chord: its body's). */
export function resultIdOf(c: Canvas): string | undefined {
  if (c instanceof Signature) return c.options.task_id;
  if (c instanceof Chain) return c.steps.length ? resultIdOf(c.steps[c.steps.length - 1]) : undefined;
  if (c instanceof Chord) return resultIdOf(c.body);
  return undefined;
}

/** The canvas with the id of the result it resolves to fixed in advance (see resultIdOf). */
export function withResultId(c: Canvas, id: string, replyTo: string): Canvas {
  if (c instanceof Signature) return c.set({ task_id: id, reply_to: replyTo });
  if (c instanceof Chain && c.steps.length) {
    const steps = [...c.steps];
    steps[steps.length - 1] = withResultId(steps[steps.length - 1], id, replyTo);
    return new Chain(steps, c.options, c.ownApp());
  }
  if (c instanceof Chord) return c.withBodyId(id, replyTo);
  return c;
}

/** A group with its own id (options.task_id, as Celery's freeze) and every member's result id assigned. */
function withResultIds(g: Group, replyTo: string): Group {
  const tasks = g.tasks.map((t) => (t instanceof Group ? withResultIds(t, replyTo) : resultIdOf(t) ? t : withResultId(t, randomUUID(), replyTo)));
  const options = g.options.task_id || g.options.group_id ? g.options : { ...g.options, task_id: randomUUID() };
  return new Group(tasks, options, g.ownApp());
}

/** Member result ids of a group prepared by withResultIds (nested groups flattened, as GroupResult does). */
function groupMemberIds(g: Group): string[] {
  return g.tasks.flatMap((t) => (t instanceof Group ? groupMemberIds(t) : [resultIdOf(t) ?? '']));
}

export function chain(...steps: (Canvas | Canvas[])[]): Chain {
  return new Chain(steps.flat());
}
