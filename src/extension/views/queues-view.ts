/** The Queues view: each connection, and under it each queue with ready / unacked counts and consumers. */
import * as vscode from 'vscode';
import type { QueueStats } from '../../runtime/brokers/broker';
import type { ConnectionManager } from '../connections/connection-manager';
import type { LiveConnection } from '../connections/live-connection';
import { Disposable } from '../util/disposable';

export class ConnectionItem extends vscode.TreeItem {
  constructor(readonly connection: LiveConnection) {
    super(connection.label, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `connection:${connection.id}`;
    this.description = connection.kind === 'embedded' ? undefined : connection.url;
    this.contextValue = connection.kind === 'embedded' ? 'connection' : 'connection.removable';
    this.iconPath = new vscode.ThemeIcon(connection.error ? 'warning' : connection.kind === 'embedded' ? 'vm' : 'plug');
    this.tooltip = connection.error ? `${connection.url}\n${connection.error}` : connection.url;
  }
}

export class QueueItem extends vscode.TreeItem {
  constructor(
    readonly connection: LiveConnection,
    readonly stats: QueueStats,
  ) {
    super(stats.queue, vscode.TreeItemCollapsibleState.None);
    this.id = `queue:${connection.id}:${stats.queue}`;
    const consumers = stats.consumers === null ? '' : ` · ${stats.consumers} consumer${stats.consumers === 1 ? '' : 's'}`;
    const inFlight = stats.unacked === null ? '' : ` · ${stats.unacked} in flight`;
    this.description = `${stats.ready} ready${inFlight}${consumers}`;
    this.contextValue = 'queue';
    this.iconPath = new vscode.ThemeIcon(stats.ready > 0 ? 'inbox' : 'list-unordered');
    this.tooltip = new vscode.MarkdownString(
      `**${stats.queue}** on \`${connection.url}\`\n\n- ready: ${stats.ready}` +
        (stats.unacked === null ? '' : `\n- unacked (in flight): ${stats.unacked}`) +
        (stats.consumers === null ? '' : `\n- consumers: ${stats.consumers}`),
    );
  }
}

type Node = ConnectionItem | QueueItem;

export class QueuesView extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this._register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<Node>;

  constructor(
    private readonly connections: ConnectionManager,
    private readonly refreshIntervalMs: () => number,
  ) {
    super();
    this.view = this._register(vscode.window.createTreeView('celeriac.queues', { treeDataProvider: this, showCollapseAll: false }));
    this._register(
      connections.onDidChange((e) => {
        if (e.kind === 'queues' || e.kind === 'list') this.changed.fire(undefined);
        if (e.kind === 'list') this.updatePolling();
      }),
    );
    this._register(this.view.onDidChangeVisibility(() => this.updatePolling()));
    this.updatePolling();
  }

  /** Poll queue counts only while the view is visible: it costs a round trip per queue. */
  private updatePolling(): void {
    for (const c of this.connections.connections) {
      if (this.view.visible) c.startPolling(this.refreshIntervalMs());
      else c.stopPolling();
    }
  }

  refresh(): void {
    for (const c of this.connections.connections) void c.refreshQueues();
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node;
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.connections.connections.map((c) => new ConnectionItem(c));
    if (node instanceof ConnectionItem) return node.connection.queueStats.map((s) => new QueueItem(node.connection, s));
    return [];
  }
}
