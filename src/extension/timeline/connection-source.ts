/** The timeline of a live broker connection: its events so far, then as they come; actions go to the broker. */
import * as vscode from 'vscode';
import { errorMessage } from '../../runtime/errors';
import type { TimelineEvent, TimelineStoredResult } from '../../shared/timeline-protocol';
import type { LiveConnection } from '../connections/live-connection';
import { Disposable } from '../util/disposable';
import { metaToStoredResult, snapshotToEvents, toTimelineEvent, workerToEvent } from './timeline-events';
import type { ActionOutcome, TimelineSource } from './timeline-source';

export class ConnectionTimelineSource extends Disposable implements TimelineSource {
  private readonly emitter = this._register(new vscode.EventEmitter<TimelineEvent>());
  readonly onDidReceiveEvent = this.emitter.event;

  constructor(readonly connection: LiveConnection) {
    super();
    this._register(
      connection.onDidReceiveEvent((e) => {
        const event = toTimelineEvent(e);
        if (event) this.emitter.fire(event);
      }),
    );
  }

  get id(): string {
    return this.connection.id;
  }

  get label(): string {
    return this.connection.label;
  }

  history(): TimelineEvent[] {
    const state = this.connection.state;
    const events: TimelineEvent[] = [...state.workers.values()].map(workerToEvent);
    for (const task of state.tasks.values()) events.push(...snapshotToEvents(task));
    return events.sort((a, b) => a.time - b.time);
  }

  taskNames(): string[] {
    const names = new Set<string>();
    for (const t of this.connection.state.tasks.values()) if (t.name) names.add(t.name);
    return [...names];
  }

  async retry(name: string, args: unknown[], kwargs: Record<string, unknown>, queue: string | undefined): Promise<ActionOutcome> {
    try {
      const id = await this.connection.send(name, args, kwargs, queue ? { queue } : {});
      return { ok: true, message: `sent ${name} again as ${id}`, newTaskId: id };
    } catch (err) {
      return { ok: false, message: `could not send ${name}: ${errorMessage(err)}` };
    }
  }

  async revoke(taskId: string, terminate: boolean): Promise<ActionOutcome> {
    try {
      const n = Object.keys(await this.connection.revoke(taskId, terminate)).length;
      return {
        ok: true,
        message: n ? `revoked on ${n} worker${n === 1 ? '' : 's'}${terminate ? ' (terminate)' : ''}` : 'revoked, but no worker answered: only workers listening now will skip it',
      };
    } catch (err) {
      return { ok: false, message: `could not revoke ${taskId}: ${errorMessage(err)}` };
    }
  }

  async storedResults(ids: string[]): Promise<TimelineStoredResult[]> {
    const metas = await this.connection.taskMetas(ids);
    return metas.map(metaToStoredResult).filter((r) => r !== undefined);
  }
}
