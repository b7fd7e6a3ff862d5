/** Status bar: embedded workers' state and the total of waiting messages. */
import * as vscode from 'vscode';
import type { ConnectionManager } from './connections/connection-manager';
import type { WorkerSupervisor } from './embedded/worker-supervisor';
import { Disposable } from './util/disposable';

export class StatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('celeriac.status', vscode.StatusBarAlignment.Left, 50));

  constructor(
    private readonly connections: ConnectionManager,
    private readonly supervisor: WorkerSupervisor,
  ) {
    super();
    this.item.name = 'Celeriac';
    this.item.command = 'workbench.view.extension.celeriac';
    this._register(connections.onDidChange((e) => e.kind !== 'tasks' && this.update()));
    this._register(supervisor.onDidChange(() => this.update()));
    this.update();
    this.item.show();
  }

  update(): void {
    const workers = this.supervisor.all;
    const running = workers.filter((w) => w.state === 'running').length;
    const busy = workers.some((w) => w.state === 'starting' || w.state === 'restarting');
    const failed = workers.some((w) => w.state === 'failed');
    const ready = this.connections.connections.reduce((n, c) => n + c.queueStats.reduce((m, q) => m + q.ready, 0), 0);
    const icon = busy ? '$(sync~spin)' : failed ? '$(error)' : '$(server-process)';
    this.item.text = `${icon} ${running}/${workers.length} workers · ${ready} ready`;
    this.item.tooltip = workers.length
      ? workers.map((w) => `${w.name}: ${w.state}${w.lastError ? ` (${w.lastError})` : ''}`).join('\n')
      : 'No embedded workers (no task modules found)';
    this.item.backgroundColor = failed ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }
}
