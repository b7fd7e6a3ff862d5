/** Every command, registered with one error handler that logs and offers the log. */
import * as vscode from 'vscode';
import type { CommandFactory, Services } from './command';
import { connectCommand } from './connect';
import { disconnectCommand } from './disconnect';
import { enqueueTaskCommand } from './enqueue-task';
import { purgeQueueCommand } from './purge-queue';
import { inspectWorkersCommand } from './inspect-workers';
import { revokeTaskCommand } from './revoke-task';
import { retryTaskCommand } from './retry-task';
import { runSimulationCommand } from './run-simulation';
import { restartWorkerCommand, startWorkerCommand, stopWorkerCommand } from './worker-commands';
import { goToDefinitionCommand, openTimelineCommand, refreshCommand, showLogCommand, showTaskCommand } from './misc-commands';

const COMMANDS: CommandFactory[] = [
  connectCommand,
  disconnectCommand,
  enqueueTaskCommand,
  purgeQueueCommand,
  inspectWorkersCommand,
  revokeTaskCommand,
  retryTaskCommand,
  startWorkerCommand,
  stopWorkerCommand,
  restartWorkerCommand,
  goToDefinitionCommand,
  showTaskCommand,
  refreshCommand,
  showLogCommand,
  openTimelineCommand,
  runSimulationCommand,
];

export function registerCommands(s: Services): vscode.Disposable[] {
  return COMMANDS.map((factory) => {
    const command = factory(s);
    return vscode.commands.registerCommand(command.id, async (...args: unknown[]) => {
      try {
        return await command.execute(...args);
      } catch (err) {
        const message = (err as Error)?.message ?? String(err);
        s.log.error(`${command.id}: ${(err as Error)?.stack ?? message}`);
        const choice = await vscode.window.showErrorMessage(`Celeriac: ${message}`, 'Show Log');
        if (choice) s.log.show();
        return undefined;
      }
    });
  });
}
