/**
 * The Workers view: the embedded workers (child processes of this window) and
 * every worker the connected brokers' events describe, Python Celery ones
 * included; expand one to see the tasks it runs now.
 */
import * as vscode from 'vscode';
import type { TaskSnapshot, WorkerSnapshot } from '../../runtime/events/event-state';
import type { ConnectionManager } from '../connections/connection-manager';
import type { LiveConnection } from '../connections/live-connection';
import type { EmbeddedWorker } from '../embedded/embedded-worker';
import type { WorkerSupervisor } from '../embedded/worker-supervisor';
import { readFolderSettings } from '../settings';
import { Disposable } from '../util/disposable';

const STATE_ICONS: Record<string, [string, string | undefined]> = {
  running: ['server-process', 'testing.iconPassed'],
  starting: ['loading~spin', undefined],
  restarting: ['sync~spin', undefined],
  stopped: ['circle-slash', 'disabledForeground'],
  failed: ['error', 'testing.iconFailed'],
};

export class EmbeddedWorkerItem extends vscode.TreeItem {
  constructor(
    readonly worker: EmbeddedWorker,
    snapshot: WorkerSnapshot | undefined,
    readonly active: TaskSnapshot[],
  ) {
    super(worker.name, active.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `embedded:${worker.o.module}`;
    const s = readFolderSettings(worker.o.folder);
    const counts = snapshot && worker.state === 'running' ? ` · ${active.length}/${s.concurrency} busy · ${snapshot.processed} done` : '';
    this.description = `${worker.state} · ${s.pool} ×${s.concurrency}${counts}`;
    this.contextValue = `worker.embedded.${worker.state === 'running' || worker.state === 'restarting' ? 'running' : worker.state === 'starting' ? 'starting' : 'stopped'}`;
    const [icon, color] = STATE_ICONS[worker.state] ?? ['server-process', undefined];
    this.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    this.tooltip = new vscode.MarkdownString(
      `**${worker.hostname}** (embedded)\n\n- module: \`${worker.o.module}\`\n- state: ${worker.state}` +
        (worker.pid ? `\n- pid: ${worker.pid}` : '') +
        (worker.lastError ? `\n- last error: ${worker.lastError}` : ''),
    );
  }
}

export class RemoteWorkerItem extends vscode.TreeItem {
  constructor(
    readonly connection: LiveConnection,
    readonly snapshot: WorkerSnapshot,
    alive: boolean,
    readonly active: TaskSnapshot[],
  ) {
    super(snapshot.hostname, active.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `remote:${connection.id}:${snapshot.hostname}`;
    const kind = snapshot.swIdent === 'py-celery' ? 'Python Celery' : snapshot.swIdent ?? 'worker';
    const pool = connection.poolOf(snapshot.hostname);
    const poolText = pool ? ` · ${pool.pool}${pool.concurrency ? ` ×${pool.concurrency}` : ''}` : '';
    const busy = pool?.concurrency ? `${snapshot.active}/${pool.concurrency}` : String(snapshot.active);
    this.description = alive ? `${kind}${poolText} · ${busy} busy · ${snapshot.processed} done` : `${kind} · offline`;
    this.contextValue = alive ? 'worker.remote.online' : 'worker.remote.offline';
    this.iconPath = new vscode.ThemeIcon('server', new vscode.ThemeColor(alive ? 'testing.iconPassed' : 'disabledForeground'));
    this.tooltip = new vscode.MarkdownString(
      `**${snapshot.hostname}** on \`${connection.url}\`\n\n- ${kind} ${snapshot.swVer ?? ''} (${snapshot.swSys ?? '?'})\n- pid: ${snapshot.pid ?? '?'}` +
        `\n- load: ${snapshot.loadavg.join(', ')}\n- last heartbeat: ${new Date(snapshot.lastHeartbeat * 1000).toLocaleTimeString()}`,
    );
  }
}

export class ActiveTaskItem extends vscode.TreeItem {
  constructor(
    readonly connection: LiveConnection,
    readonly task: TaskSnapshot,
  ) {
    super(task.name ?? task.uuid, vscode.TreeItemCollapsibleState.None);
    this.id = `active:${connection.id}:${task.uuid}`;
    this.description = `${task.args ?? ''} · running ${task.started ? `${Math.round(Date.now() / 1000 - task.started)}s` : ''}`;
    this.contextValue = 'activeTask';
    this.iconPath = new vscode.ThemeIcon('loading~spin');
    this.tooltip = task.uuid;
  }
}

type Node = EmbeddedWorkerItem | RemoteWorkerItem | ActiveTaskItem;

export class WorkersView extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this._register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<Node>;

  constructor(
    private readonly connections: ConnectionManager,
    private readonly supervisor: WorkerSupervisor,
  ) {
    super();
    this.view = this._register(vscode.window.createTreeView('celeriac.workers', { treeDataProvider: this }));
    this._register(connections.onDidChange((e) => e.kind !== 'queues' && this.refresh()));
    this._register(supervisor.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node;
  }

  private activeOn(connection: LiveConnection, hostname: string): TaskSnapshot[] {
    return [...connection.state.tasks.values()].filter((t) => t.hostname === hostname && t.state === 'STARTED');
  }

  getChildren(node?: Node): Node[] {
    if (node instanceof EmbeddedWorkerItem || node instanceof RemoteWorkerItem) {
      const connection = node instanceof RemoteWorkerItem ? node.connection : this.connections.embedded;
      return connection ? node.active.map((t) => new ActiveTaskItem(connection, t)) : [];
    }
    if (node) return [];
    const items: Node[] = [];
    const embedded = this.connections.embedded;
    // In Restricted Mode embedded workers cannot start: list none, so the view's
    // welcome (viewsWelcome, `!isWorkspaceTrusted`) says why. Granting trust
    // starts them, and their state change refreshes this view.
    for (const w of vscode.workspace.isTrusted ? this.supervisor.all : []) {
      const snapshot = embedded?.state.workers.get(w.hostname);
      items.push(new EmbeddedWorkerItem(w, snapshot, embedded ? this.activeOn(embedded, w.hostname) : []));
    }
    for (const c of this.connections.connections) {
      for (const snapshot of c.state.workers.values()) {
        if (this.supervisor.isEmbedded(snapshot.hostname)) continue;
        items.push(new RemoteWorkerItem(c, snapshot, c.state.alive(snapshot), this.activeOn(c, snapshot.hostname)));
      }
    }
    return items;
  }
}
