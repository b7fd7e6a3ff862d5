/** A signature as it arrives in a message (`embed`), back as a canvas object. */
import type { SignatureJson } from '../protocol/task-message';
import type { CanvasApp } from './canvas-app';
import { Canvas, Signature } from './signature';
import { Group } from './group';
import { Chord } from './chord';
import { Chain } from './chain';

export function fromJson(json: SignatureJson, app?: CanvasApp): Canvas {
  const kwargs = (json.kwargs ?? {}) as Record<string, unknown>;
  const options = (json.options ?? {}) as Record<string, unknown>;
  let c: Canvas;
  switch (json.subtask_type) {
    case 'group':
      c = new Group(((kwargs.tasks as SignatureJson[]) ?? []).map((t) => fromJson(t, app)), options);
      break;
    case 'chain':
      c = new Chain(((kwargs.tasks as SignatureJson[]) ?? []).map((t) => fromJson(t, app)), options);
      break;
    case 'chord': {
      const header = fromJson(kwargs.header as SignatureJson, app);
      c = new Chord(header instanceof Group ? header : new Group([header]), fromJson(kwargs.body as SignatureJson, app), options);
      break;
    }
    default:
      c = new Signature(json.task, json.args ?? [], kwargs, options, Boolean(json.immutable));
  }
  return app ? c.withApp(app) : c;
}
