import * as vscode from 'vscode';
import { parsePyLiteral } from '../../runtime/protocol/py-literal';
import { TaskItem } from '../views/tasks-view';
import type { CommandFactory } from './command';
import { validateJson } from './enqueue-task';

/** Retry Task…: send the task again with the same arguments, which you may edit first. */
export const retryTaskCommand: CommandFactory = (s) => ({
  id: 'celeriac.retryTask',
  async execute(node?: TaskItem) {
    if (!node?.task.name) {
      void vscode.window.showInformationMessage('Celeriac: pick a task in the Tasks view to retry it.');
      return;
    }
    const { task, connection } = node;
    const name = task.name!;
    // Events carry Python reprs of the arguments: read them back as JSON where possible.
    const args = parsePyLiteral(task.args ?? '()');
    const kwargs = parsePyLiteral(task.kwargs ?? '{}');
    const argsText = await vscode.window.showInputBox({
      title: `Retry ${name}`,
      prompt: Array.isArray(args) ? 'Positional arguments (JSON list); edit before sending' : `Could not read back ${task.args}; enter the arguments`,
      value: JSON.stringify(Array.isArray(args) ? args : []),
      validateInput: validateJson('list'),
    });
    if (argsText === undefined) return;
    const kwargsText = await vscode.window.showInputBox({
      title: `Retry ${name}`,
      prompt: 'Keyword arguments (JSON object)',
      value: JSON.stringify(kwargs && typeof kwargs === 'object' && !Array.isArray(kwargs) ? kwargs : {}),
      validateInput: validateJson('object'),
    });
    if (kwargsText === undefined) return;
    const id = await connection.send(name, JSON.parse(argsText || '[]'), JSON.parse(kwargsText || '{}'), task.queue ? { queue: task.queue } : {});
    s.log.info(`retried ${name} as ${id} (was ${task.uuid})`);
    void vscode.window.showInformationMessage(`Celeriac: sent ${name} again (${id}).`);
    return id;
  },
});
