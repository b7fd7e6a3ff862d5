import * as vscode from 'vscode';
import type { ConnectionItem } from '../views/queues-view';
import type { CommandFactory } from './command';

export const disconnectCommand: CommandFactory = (s) => ({
  id: 'celeriac.disconnect',
  async execute(node?: ConnectionItem) {
    if (!node || node.connection.kind === 'embedded') return;
    const choice = await vscode.window.showWarningMessage(`Disconnect from ${node.connection.url} and forget it?`, { modal: true }, 'Disconnect');
    if (choice === 'Disconnect') await s.connections.remove(node.connection.id);
  },
});
