/** One command: an id and what it does. All are registered through `registerCommands`. */
import type * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/connection-manager';
import type { WorkerSupervisor } from '../embedded/worker-supervisor';
import type { ReadonlyDocuments } from '../readonly-documents';
import type { TimelineController } from '../timeline/timeline-controller';

export interface Services {
  context: vscode.ExtensionContext;
  connections: ConnectionManager;
  supervisor: WorkerSupervisor;
  log: vscode.LogOutputChannel;
  documents: ReadonlyDocuments;
  timeline: TimelineController;
  refreshViews(): void;
}

export interface Command {
  readonly id: string;
  execute(...args: any[]): unknown;
}

export type CommandFactory = (s: Services) => Command;
