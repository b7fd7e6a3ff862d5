/**
 * Runs one embedded worker per task module of every trusted workspace folder,
 * and restarts them when a watched file is saved: the module is built first
 * (esbuild, nothing executed); a build error keeps the running worker and goes
 * to the Problems panel; a good build warm-restarts the worker. Celery has had
 * no autoreload since 4.0: this is it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildTaskModule, ModuleBuildError } from '../../runtime/loader/load-task-module';
import { readFolderSettings } from '../settings';
import { Disposable } from '../util/disposable';
import { showBuildErrors } from './build-diagnostics';
import { EmbeddedWorker } from './embedded-worker';
import { scanFiles, type RegisteredTask } from './task-scanner';

export interface SupervisorOptions {
  cliEntry: string;
  hubSocket: string;
  log: vscode.LogOutputChannel;
}

/** How long after a save to wait for more saves (Save All writes many files at once). */
const SAVE_DEBOUNCE_MS = 100;

export class WorkerSupervisor extends Disposable {
  private readonly workers = new Map<string, EmbeddedWorker>();
  private readonly registered = new Map<string, RegisteredTask[]>();
  private readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('celeriac'));
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  /** Workers started, stopped, restarted, or their registered tasks changed. */
  readonly onDidChange = this.changed.event;
  private readonly restarted = this._register(new vscode.EventEmitter<{ worker: EmbeddedWorker; ms: number }>());
  /** A save restarted a worker; `ms` from the save to the new worker consuming. */
  readonly onDidRestart = this.restarted.event;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly savedFolders = new Map<string, number>();

  constructor(private readonly o: SupervisorOptions) {
    super();
    this._register(vscode.workspace.onDidSaveTextDocument((doc) => this.onSaved(doc)));
    this._register({ dispose: () => this.saveTimer && clearTimeout(this.saveTimer) });
  }

  get all(): EmbeddedWorker[] {
    return [...this.workers.values()];
  }

  /** Tasks found in the task modules' sources, for the Registered view and Enqueue. */
  get registeredTasks(): RegisteredTask[] {
    return [...this.registered.values()].flat();
  }

  /** The running embedded worker whose module defines `taskName`, if any. */
  workerDefining(taskName: string): EmbeddedWorker | undefined {
    for (const [module, tasks] of this.registered) {
      if (!tasks.some((t) => t.name === taskName)) continue;
      const worker = this.workers.get(module);
      if (worker && worker.state === 'running') return worker;
    }
    return undefined;
  }

  get queues(): string[] {
    const queues = new Set<string>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) for (const q of readFolderSettings(folder).queues) queues.add(q);
    return [...queues];
  }

  /** Task modules of a folder: the setting, or `tasks.ts`/`tasks.js` files found in it. */
  async modulesOf(folder: vscode.WorkspaceFolder): Promise<string[]> {
    const configured = readFolderSettings(folder).taskModules;
    if (configured.length) return configured.map((m) => path.resolve(folder.uri.fsPath, m));
    const found = await vscode.workspace.findFiles(
      new vscode.RelativePattern(folder, '**/tasks.{ts,js}'),
      new vscode.RelativePattern(folder, '**/{node_modules,dist,out,.git}/**'),
      20,
    );
    return found.map((u) => u.fsPath).sort();
  }

  /** Find the modules and make sure each has a worker object (started or not). */
  async discover(): Promise<void> {
    const wanted = new Map<string, vscode.WorkspaceFolder>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      for (const m of await this.modulesOf(folder)) wanted.set(m, folder);
    }
    for (const [module, worker] of this.workers) {
      if (!wanted.has(module)) {
        worker.dispose();
        this.workers.delete(module);
        this.registered.delete(module);
      }
    }
    for (const [module, folder] of wanted) {
      if (this.workers.has(module)) continue;
      const worker = new EmbeddedWorker({ module, folder, cliEntry: this.o.cliEntry, hubSocket: this.o.hubSocket, log: this.o.log });
      worker.onDidChange(() => this.changed.fire());
      this.workers.set(module, worker);
      await this.rescan(worker);
    }
    this.changed.fire();
  }

  /** Build a module (without running it): registered tasks and build errors. */
  private async check(worker: EmbeddedWorker): Promise<boolean> {
    try {
      const built = await buildTaskModule(worker.o.module);
      this.diagnostics.clear();
      this.registered.set(worker.o.module, scanFiles(built.sources ?? [worker.o.module]));
      return true;
    } catch (err) {
      if (err instanceof ModuleBuildError) {
        this.diagnostics.clear();
        showBuildErrors(this.diagnostics, err);
        return false;
      }
      throw err;
    }
  }

  private async rescan(worker: EmbeddedWorker): Promise<void> {
    await this.check(worker).catch((err) => this.o.log.warn(`cannot read ${worker.o.module}: ${(err as Error).message}`));
  }

  async start(worker: EmbeddedWorker): Promise<void> {
    if (!vscode.workspace.isTrusted) throw new Error('workers run workspace code: trust this workspace first');
    if (!(await this.check(worker))) {
      throw new Error(`${worker.name} does not build: see the Problems panel`);
    }
    await worker.start(readFolderSettings(worker.o.folder));
  }

  async startAll(): Promise<void> {
    await Promise.all(
      this.all
        .filter((w) => w.state === 'stopped' || w.state === 'failed')
        .map((w) => this.start(w).catch((err) => this.o.log.error(`cannot start ${w.name}: ${(err as Error).message}`))),
    );
  }

  async stop(worker: EmbeddedWorker): Promise<void> {
    await worker.stop(readFolderSettings(worker.o.folder).restartGraceMs);
  }

  async restart(worker: EmbeddedWorker, savedAt = Date.now()): Promise<void> {
    if (!(await this.check(worker))) {
      void vscode.window.showErrorMessage(`Celeriac: ${worker.name} does not build; the running worker keeps the previous code.`, 'Show Problems').then(
        (choice) => choice && vscode.commands.executeCommand('workbench.actions.view.problems'),
      );
      return;
    }
    const settings = readFolderSettings(worker.o.folder);
    if (worker.state === 'stopped' || worker.state === 'failed') await worker.start(settings);
    else await worker.restart(settings);
    const ms = Date.now() - savedAt;
    this.o.log.info(`[${worker.name}] restarted with the saved code in ${ms} ms`);
    this.restarted.fire({ worker, ms });
  }

  private onSaved(doc: vscode.TextDocument): void {
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    if (!folder || doc.uri.scheme !== 'file' || !vscode.workspace.isTrusted) return;
    const settings = readFolderSettings(folder);
    const relative = path.relative(folder.uri.fsPath, doc.uri.fsPath).split(path.sep).join('/');
    if (!vscode.languages.match({ pattern: new vscode.RelativePattern(folder, settings.watch) }, doc)) return;
    if (relative.includes('node_modules/')) return;
    if (!this.savedFolders.has(folder.uri.toString())) this.savedFolders.set(folder.uri.toString(), Date.now());
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.restartSaved(), SAVE_DEBOUNCE_MS);
  }

  private async restartSaved(): Promise<void> {
    const saved = new Map(this.savedFolders);
    this.savedFolders.clear();
    for (const worker of this.all) {
      const savedAt = saved.get(worker.o.folder.uri.toString());
      if (savedAt === undefined || worker.state === 'stopped') continue;
      await this.restart(worker, savedAt).catch((err) => this.o.log.error(`cannot restart ${worker.name}: ${(err as Error).message}`));
    }
  }

  /** Node names of every embedded worker generation (to tell them from remote workers). */
  isEmbedded(hostname: string): boolean {
    return this.all.some((w) => w.hostnames.has(hostname));
  }

  override dispose(): void {
    for (const w of this.workers.values()) w.dispose();
    this.workers.clear();
    super.dispose();
  }
}
