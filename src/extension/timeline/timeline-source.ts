/**
 * What a timeline panel shows: a broker the extension is connected to (live),
 * or a finished simulation run (fixed). The panel only talks to this.
 */
import type * as vscode from 'vscode';
import type { TimelineEvent, TimelineStoredResult } from '../../shared/timeline-protocol';

export interface ActionOutcome {
  ok: boolean;
  message: string;
  newTaskId?: string;
}

export interface TimelineSource {
  /** One panel per source id. */
  readonly id: string;
  readonly label: string;
  /** Everything known so far, in time order. */
  history(): TimelineEvent[];
  /** New events as they happen; absent for a run that is over. */
  readonly onDidReceiveEvent?: vscode.Event<TimelineEvent>;
  /** Task names seen (for the retry editor), beyond the workspace's own. */
  taskNames(): string[];
  retry(name: string, args: unknown[], kwargs: Record<string, unknown>, queue: string | undefined): Promise<ActionOutcome>;
  revoke(taskId: string, terminate: boolean): Promise<ActionOutcome>;
  storedResults(ids: string[]): Promise<TimelineStoredResult[]>;
}
