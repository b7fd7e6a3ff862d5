/** The Registered Tasks view: tasks the workspace's task modules define, each with Go to Definition. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RegisteredTask } from '../embedded/task-scanner';
import type { WorkerSupervisor } from '../embedded/worker-supervisor';
import { Disposable } from '../util/disposable';

export class RegisteredTaskItem extends vscode.TreeItem {
  constructor(readonly task: RegisteredTask) {
    super(task.name, vscode.TreeItemCollapsibleState.None);
    this.id = `registered:${task.name}:${task.file}:${task.line}`;
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(task.file));
    this.description = `${folder ? path.relative(folder.uri.fsPath, task.file) : path.basename(task.file)}:${task.line + 1}`;
    this.contextValue = 'registeredTask';
    this.iconPath = new vscode.ThemeIcon('symbol-function');
    this.command = { command: 'celeriac.goToDefinition', title: 'Go to Definition', arguments: [this] };
  }
}

export class RegisteredView extends Disposable implements vscode.TreeDataProvider<RegisteredTaskItem> {
  private readonly changed = this._register(new vscode.EventEmitter<undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<RegisteredTaskItem>;

  constructor(private readonly supervisor: WorkerSupervisor) {
    super();
    this.view = this._register(vscode.window.createTreeView('celeriac.registered', { treeDataProvider: this }));
    this._register(supervisor.onDidChange(() => this.changed.fire(undefined)));
  }

  getTreeItem(node: RegisteredTaskItem): vscode.TreeItem {
    return node;
  }

  getChildren(node?: RegisteredTaskItem): RegisteredTaskItem[] {
    return node ? [] : this.supervisor.registeredTasks.map((t) => new RegisteredTaskItem(t));
  }
}
