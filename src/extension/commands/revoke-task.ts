import * as vscode from 'vscode';
import { ActiveTaskItem } from '../views/workers-view';
import { TaskItem } from '../views/tasks-view';
import type { CommandFactory } from './command';

/** Revoke Task: never run it; optionally stop it if it is running. */
export const revokeTaskCommand: CommandFactory = (s) => ({
  id: 'celeriac.revokeTask',
  async execute(node?: TaskItem | ActiveTaskItem) {
    const connection = await s.connections.pick(node?.connection);
    if (!connection) return;
    const id =
      node?.task.uuid ??
      (await vscode.window.showInputBox({ prompt: 'Task id to revoke', validateInput: (v) => (v.trim() ? undefined : 'Enter a task id') }))?.trim();
    if (!id) return;
    const running = node?.task.state === 'STARTED';
    const how = await vscode.window.showQuickPick(
      [
        { label: 'Revoke', description: 'workers will not run it', terminate: false },
        { label: 'Revoke and terminate', description: 'also stop it if it is running now', terminate: true },
      ],
      { title: `Revoke ${node?.task.name ?? id}`, placeHolder: running ? 'It is running now' : undefined },
    );
    if (!how) return;
    const replies = await connection.revoke(id, how.terminate);
    const nodes = Object.keys(replies);
    s.log.info(`revoked ${id}${how.terminate ? ' (terminate)' : ''}: ${nodes.length} worker(s) acknowledged`);
    void vscode.window.showInformationMessage(
      nodes.length
        ? `Celeriac: ${nodes.length} worker${nodes.length === 1 ? '' : 's'} will not run ${id}.`
        : `Celeriac: no worker answered; ${id} is revoked only for workers that were listening.`,
    );
    return replies;
  },
});
