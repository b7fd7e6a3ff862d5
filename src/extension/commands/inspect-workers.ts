import * as vscode from 'vscode';
import type { CommandFactory } from './command';

const METHODS = ['active', 'reserved', 'scheduled', 'registered', 'stats', 'revoked', 'active_queues', 'ping'];

/** Inspect Workers…: ask every worker (Celeriac and Python) and show the replies as read-only JSON. */
export const inspectWorkersCommand: CommandFactory = (s) => ({
  id: 'celeriac.inspectWorkers',
  async execute(method?: string) {
    const connection = await s.connections.pick();
    if (!connection) return;
    const chosen =
      method ??
      (await vscode.window.showQuickPick(METHODS, { title: 'Inspect Workers', placeHolder: 'What to ask the workers' }));
    if (!chosen) return;
    const replies = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Celeriac: inspect ${chosen}` },
      () => connection.inspect(chosen, chosen === 'registered' ? { taskinfoitems: [] } : {}),
    );
    if (Object.keys(replies).length === 0) {
      void vscode.window.showWarningMessage(`Celeriac: no worker on ${connection.url} replied to '${chosen}' within 1 s.`);
    }
    await s.documents.show(`inspect ${chosen}`, replies);
    return replies;
  },
});
