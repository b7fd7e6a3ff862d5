import * as vscode from 'vscode';
import type { EmbeddedWorker } from '../embedded/embedded-worker';
import { EmbeddedWorkerItem } from '../views/workers-view';
import type { CommandFactory, Services } from './command';

async function pickWorker(s: Services, node: unknown, filter: (w: EmbeddedWorker) => boolean): Promise<EmbeddedWorker[]> {
  if (node instanceof EmbeddedWorkerItem) return [node.worker];
  await s.supervisor.discover();
  const candidates = s.supervisor.all.filter(filter);
  if (candidates.length === 0) {
    const settings = 'Open Settings';
    const choice = await vscode.window.showInformationMessage(
      s.supervisor.all.length ? 'Celeriac: no worker is in a state for that.' : 'Celeriac: no task modules found (set celeriac.taskModules).',
      ...(s.supervisor.all.length ? [] : [settings]),
    );
    if (choice === settings) void vscode.commands.executeCommand('workbench.action.openSettings', 'celeriac.taskModules');
    return [];
  }
  if (candidates.length === 1) return candidates;
  const picks = await vscode.window.showQuickPick(
    candidates.map((w) => ({ label: w.name, description: w.state, worker: w })),
    { canPickMany: true, placeHolder: 'Workers' },
  );
  return picks?.map((p) => p.worker) ?? [];
}

function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage('Celeriac: workers run workspace code, so they only start in a trusted workspace.', 'Manage Trust').then(
    (c) => c && vscode.commands.executeCommand('workbench.trust.manage'),
  );
  return false;
}

export const startWorkerCommand: CommandFactory = (s) => ({
  id: 'celeriac.startWorker',
  async execute(node?: EmbeddedWorkerItem) {
    if (!requireTrust()) return;
    const workers = await pickWorker(s, node, (w) => w.state === 'stopped' || w.state === 'failed');
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Celeriac: starting workers' }, () =>
      Promise.all(workers.map((w) => s.supervisor.start(w))),
    );
  },
});

export const stopWorkerCommand: CommandFactory = (s) => ({
  id: 'celeriac.stopWorker',
  async execute(node?: EmbeddedWorkerItem) {
    const workers = await pickWorker(s, node, (w) => w.state === 'running' || w.state === 'starting');
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Celeriac: stopping workers (running tasks finish first)' }, () =>
      Promise.all(workers.map((w) => s.supervisor.stop(w))),
    );
  },
});

export const restartWorkerCommand: CommandFactory = (s) => ({
  id: 'celeriac.restartWorker',
  async execute(node?: EmbeddedWorkerItem) {
    if (!requireTrust()) return;
    const workers = await pickWorker(s, node, () => true);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Celeriac: restarting workers' }, () =>
      Promise.all(workers.map((w) => s.supervisor.restart(w))),
    );
  },
});
