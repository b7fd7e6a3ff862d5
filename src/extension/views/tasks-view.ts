/**
 * The Tasks view: recent tasks from the brokers' events, grouped by state
 * (running first), each with its name, an args preview and its runtime.
 */
import * as vscode from 'vscode';
import type { TaskEventState, TaskSnapshot } from '../../runtime/events/event-state';
import type { ConnectionManager } from '../connections/connection-manager';
import type { LiveConnection } from '../connections/live-connection';
import { formatDuration } from '../../shared/format-duration';
import { Disposable } from '../util/disposable';

const GROUPS: { state: TaskEventState; label: string; icon: string; color?: string }[] = [
  { state: 'STARTED', label: 'Running', icon: 'loading~spin' },
  { state: 'RECEIVED', label: 'Received', icon: 'inbox' },
  { state: 'RETRY', label: 'Retrying', icon: 'debug-rerun', color: 'editorWarning.foreground' },
  { state: 'PENDING', label: 'Sent', icon: 'send' },
  { state: 'FAILURE', label: 'Failed', icon: 'error', color: 'testing.iconFailed' },
  { state: 'SUCCESS', label: 'Succeeded', icon: 'pass', color: 'testing.iconPassed' },
  { state: 'REVOKED', label: 'Revoked', icon: 'circle-slash' },
  { state: 'REJECTED', label: 'Rejected', icon: 'x' },
];

/** Most tasks listed per group (the rest are counted). */
const PER_GROUP = 200;

export class TaskGroupItem extends vscode.TreeItem {
  constructor(
    readonly state: TaskEventState,
    label: string,
    icon: string,
    color: string | undefined,
    readonly tasks: { connection: LiveConnection; task: TaskSnapshot }[],
  ) {
    super(label, state === 'STARTED' || state === 'FAILURE' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `group:${state}`;
    this.description = String(tasks.length);
    this.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    this.contextValue = 'taskGroup';
  }
}

function preview(text: string | null, max = 60): string {
  if (!text) return '';
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

export class TaskItem extends vscode.TreeItem {
  constructor(
    readonly connection: LiveConnection,
    readonly task: TaskSnapshot,
  ) {
    super(task.name ?? task.uuid, vscode.TreeItemCollapsibleState.None);
    this.id = `task:${connection.id}:${task.uuid}`;
    const runtime = task.runtime !== null ? ` · ${formatDuration(task.runtime * 1000)}` : '';
    this.description = `${preview(task.args)}${task.kwargs && task.kwargs !== '{}' ? ' ' + preview(task.kwargs, 30) : ''}${runtime}`;
    this.contextValue = `task.${task.state.toLowerCase()}`;
    this.tooltip = new vscode.MarkdownString(
      [
        `**${task.name ?? '?'}** \`${task.uuid}\``,
        `- state: ${task.state}${task.hostname ? ` on ${task.hostname}` : ''}`,
        `- args: \`${task.args ?? ''}\`  kwargs: \`${task.kwargs ?? ''}\``,
        task.result !== null ? `- result: \`${preview(task.result, 200)}\`` : '',
        task.exception ? `- exception: \`${task.exception}\`` : '',
        task.retries ? `- retries: ${task.retries}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    this.command = { command: 'celeriac.showTask', title: 'Show Task', arguments: [this] };
  }
}

type Node = TaskGroupItem | TaskItem;

export class TasksView extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this._register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<Node>;

  constructor(private readonly connections: ConnectionManager) {
    super();
    this.view = this._register(vscode.window.createTreeView('celeriac.tasks', { treeDataProvider: this }));
    this._register(connections.onDidChange((e) => (e.kind === 'tasks' || e.kind === 'list') && this.view.visible && this.refresh()));
    this._register(this.view.onDidChangeVisibility((e) => e.visible && this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node;
  }

  getChildren(node?: Node): Node[] {
    if (node instanceof TaskGroupItem) {
      return node.tasks
        .slice(-PER_GROUP)
        .reverse()
        .map(({ connection, task }) => new TaskItem(connection, task));
    }
    if (node) return [];
    const byState = new Map<TaskEventState, { connection: LiveConnection; task: TaskSnapshot }[]>();
    for (const connection of this.connections.connections) {
      for (const task of connection.state.tasks.values()) {
        const list = byState.get(task.state) ?? [];
        list.push({ connection, task });
        byState.set(task.state, list);
      }
    }
    return GROUPS.filter((g) => byState.get(g.state)?.length).map(
      (g) => new TaskGroupItem(g.state, g.label, g.icon, g.color, byState.get(g.state)!),
    );
  }
}
