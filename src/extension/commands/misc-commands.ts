import * as vscode from 'vscode';
import type { RegisteredTaskItem } from '../views/registered-view';
import type { TaskItem } from '../views/tasks-view';
import type { CommandFactory } from './command';
import { LiveConnection } from '../connections/live-connection';

export const goToDefinitionCommand: CommandFactory = () => ({
  id: 'celeriac.goToDefinition',
  async execute(node?: RegisteredTaskItem) {
    if (!node) return;
    const pos = new vscode.Position(node.task.line, node.task.column);
    await vscode.window.showTextDocument(vscode.Uri.file(node.task.file), { selection: new vscode.Range(pos, pos) });
  },
});

export const showTaskCommand: CommandFactory = (s) => ({
  id: 'celeriac.showTask',
  async execute(node?: TaskItem) {
    if (!node) return;
    const meta = await node.connection.taskMeta(node.task.uuid).catch((err: Error) => ({ error: err.message }));
    await s.documents.show(`task ${node.task.name ?? ''} ${node.task.uuid.slice(0, 8)}`, { events: node.task, resultBackend: meta ?? null });
  },
});

export const refreshCommand: CommandFactory = (s) => ({
  id: 'celeriac.refresh',
  execute: () => s.refreshViews(),
});

export const showLogCommand: CommandFactory = (s) => ({
  id: 'celeriac.showLog',
  execute: () => s.log.show(),
});

/** Open Timeline: every task of a broker over time, in a panel (one per broker). */
export const openTimelineCommand: CommandFactory = (s) => ({
  id: 'celeriac.openTimeline',
  async execute(node?: LiveConnection | { connection?: LiveConnection }) {
    // From a view's menu the argument is the clicked node; from the palette, nothing.
    const given = node instanceof LiveConnection ? node : node?.connection instanceof LiveConnection ? node.connection : undefined;
    const picked = await s.connections.pick(given);
    if (!picked) return;
    return s.timeline.showConnection(picked);
  },
});
