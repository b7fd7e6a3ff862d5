/**
 * The extension's composition root: build the services, register every
 * disposable, return. The embedded broker lives here (so queued tasks survive
 * worker restarts); workers run as child processes, never in this process.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import type { Services } from './commands/command';
import { ConnectionManager } from './connections/connection-manager';
import { ConnectionStore } from './connections/connection-store';
import { startEmbeddedHub } from './embedded/embedded-hub';
import { WorkerSupervisor } from './embedded/worker-supervisor';
import { createLogChannel, runtimeLogger } from './log';
import { ReadonlyDocuments } from './readonly-documents';
import { readFolderSettings, readGlobalSettings } from './settings';
import { StatusBar } from './status-bar';
import { TimelineController } from './timeline/timeline-controller';
import { QueuesView } from './views/queues-view';
import { RegisteredView } from './views/registered-view';
import { TasksView } from './views/tasks-view';
import { WorkersView } from './views/workers-view';

/** What activation exposes, for the extension's own tests. */
export interface CeleriacApi {
  services: Services;
  /** The tree views' providers (the extension's own tests read what they show). */
  views: { queues: QueuesView; workers: WorkersView; tasks: TasksView; registered: RegisteredView };
  activationMs: number;
}

export async function activate(context: vscode.ExtensionContext): Promise<CeleriacApi> {
  const started = performance.now();
  const log = createLogChannel();
  context.subscriptions.push(log);
  const hub = await startEmbeddedHub();
  context.subscriptions.push(hub);

  const connections = new ConnectionManager(new ConnectionStore(context.globalState, context.secrets), runtimeLogger(log), () => readGlobalSettings().maxTasks);
  context.subscriptions.push(connections);
  const supervisor = new WorkerSupervisor({ cliEntry: path.join(context.extensionPath, 'dist', 'runtime', 'cli', 'bin.js'), hubSocket: hub.path, log });
  context.subscriptions.push(supervisor);
  const documents = new ReadonlyDocuments();
  context.subscriptions.push(documents);
  const timeline = new TimelineController(connections, {
    extensionUri: context.extensionUri,
    supervisor,
    log,
    maxTasks: () => readGlobalSettings().timelineMaxTasks,
  });
  context.subscriptions.push(timeline);

  const queues = new QueuesView(connections, () => readGlobalSettings().refreshIntervalMs);
  const workers = new WorkersView(connections, supervisor);
  const tasks = new TasksView(connections);
  const registered = new RegisteredView(supervisor);
  context.subscriptions.push(queues, workers, tasks, registered, new StatusBar(connections, supervisor));

  const services: Services = {
    context,
    connections,
    supervisor,
    log,
    documents,
    timeline,
    refreshViews: () => {
      queues.refresh();
      workers.refresh();
      tasks.refresh();
    },
  };
  context.subscriptions.push(...registerCommands(services));

  const embedded = await connections.openEmbedded();
  embedded.addKnownQueues(supervisor.queues);
  timeline.registerSerializer();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('celeriac.taskModules')) void supervisor.discover();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void supervisor.discover()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void startWorkers(supervisor)),
  );
  // Slow work after activation returns: the views fill in as it completes.
  void (async () => {
    await connections.openSaved();
    await supervisor.discover();
    await startWorkers(supervisor);
  })().catch((err) => log.error(`start-up: ${(err as Error).message}`));

  const activationMs = performance.now() - started;
  log.info(`Celeriac activated in ${activationMs.toFixed(1)} ms; embedded broker at ${hub.path}`);
  return { services, views: { queues, workers, tasks, registered }, activationMs };
}

/** Start the embedded workers of folders that want it, in a trusted workspace only. */
async function startWorkers(supervisor: WorkerSupervisor): Promise<void> {
  if (!vscode.workspace.isTrusted) return;
  const wanted = supervisor.all.filter((w) => readFolderSettings(w.o.folder).autoStartWorkers);
  await Promise.all(wanted.map((w) => supervisor.start(w).catch(() => undefined)));
}

export function deactivate(): void {}
