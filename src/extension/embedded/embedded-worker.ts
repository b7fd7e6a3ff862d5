/**
 * One worker process running a workspace task module: `celeriac worker` as a
 * child of the extension host (user code never runs in the extension host),
 * attached to the embedded broker through its socket. Its log lines go to the
 * Celeriac channel; a restart starts the next generation while the previous
 * one finishes its running tasks (up to the grace) and gives the rest back.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as vscode from 'vscode';
import { MEMORY_SOCKET_ENV } from '../../runtime/brokers/memory/memory-hub';
import { forwardWorkerLine } from '../log';
import type { FolderSettings } from '../settings';
import { Disposable } from '../util/disposable';

export type EmbeddedWorkerState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

export interface EmbeddedWorkerOptions {
  /** Absolute path of the task module. */
  module: string;
  folder: vscode.WorkspaceFolder;
  /** dist/runtime/cli/bin.js of this extension. */
  cliEntry: string;
  hubSocket: string;
  log: vscode.LogOutputChannel;
}

/** Hard stop of a previous generation that ignores its grace period. */
const KILL_AFTER_GRACE_MS = 5000;

export class EmbeddedWorker extends Disposable {
  private child: ChildProcess | undefined;
  private stateValue: EmbeddedWorkerState = 'stopped';
  private generation = 0;
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  /** Node names used by every generation, so views can tell embedded workers apart. */
  readonly hostnames = new Set<string>();
  lastError: string | undefined;
  pid: number | undefined;

  constructor(readonly o: EmbeddedWorkerOptions) {
    super();
    this._register({ dispose: () => void this.stop(0) });
  }

  get state(): EmbeddedWorkerState {
    return this.stateValue;
  }

  get name(): string {
    return path.relative(this.o.folder.uri.fsPath, this.o.module) || path.basename(this.o.module);
  }

  /** The node name of the current generation. */
  get hostname(): string {
    return `${path.basename(this.o.module).replace(/\.[^.]+$/, '')}-${this.generation}@${os.hostname()}`;
  }

  private setState(state: EmbeddedWorkerState): void {
    this.stateValue = state;
    this.changed.fire();
  }

  private spawn(settings: FolderSettings): { child: ChildProcess; ready: Promise<void> } {
    this.generation++;
    const hostname = this.hostname;
    this.hostnames.add(hostname);
    const args = [
      'worker',
      '-A',
      this.o.module,
      '-n',
      hostname,
      '-c',
      String(settings.concurrency),
      '-P',
      settings.pool,
      '-E',
      '-l',
      settings.logLevel,
      '--shutdown-timeout',
      String(settings.restartGraceMs / 1000),
    ];
    if (settings.queues.length) args.push('-Q', settings.queues.join(','));
    const child = fork(this.o.cliEntry, args, {
      cwd: this.o.folder.uri.fsPath,
      // The extension host's executable may be Electron: run it as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', [MEMORY_SOCKET_ENV]: this.o.hubSocket },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const label = hostname.split('@')[0];
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => forwardWorkerLine(this.o.log, label, line));
    }
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: { type?: string }) => {
        if (m?.type === 'celeriac-worker-ready') resolve();
      });
      child.once('exit', (code, signal) => reject(new Error(`worker ${label} exited during start-up (${signal ?? `code ${code}`})`)));
    });
    child.once('exit', (code, signal) => {
      if (this.child !== child) return; // an earlier generation going away
      this.child = undefined;
      this.pid = undefined;
      if (this.stateValue === 'running') {
        this.lastError = `exited unexpectedly (${signal ?? `code ${code}`})`;
        this.o.log.error(`[${label}] ${this.lastError}`);
        this.setState('failed');
      }
    });
    return { child, ready };
  }

  async start(settings: FolderSettings): Promise<void> {
    if (this.child) return;
    this.setState('starting');
    const { child, ready } = this.spawn(settings);
    this.child = child;
    this.pid = child.pid;
    try {
      await ready;
      this.lastError = undefined;
      this.setState('running');
    } catch (err) {
      this.child = undefined;
      this.lastError = (err as Error).message;
      this.setState('failed');
      throw err;
    }
  }

  /**
   * Warm restart: the running generation stops consuming at once and finishes
   * its tasks (up to the grace period) while the next one starts. Resolves
   * when the new generation consumes.
   */
  async restart(settings: FolderSettings): Promise<void> {
    const previous = this.child;
    this.setState('restarting');
    if (previous) this.retire(previous, settings.restartGraceMs);
    const { child, ready } = this.spawn(settings);
    this.child = child;
    this.pid = child.pid;
    try {
      await ready;
      this.lastError = undefined;
      this.setState('running');
    } catch (err) {
      this.child = undefined;
      this.lastError = (err as Error).message;
      this.setState('failed');
      throw err;
    }
  }

  /** SIGTERM: warm shutdown with the grace passed at spawn; SIGKILL if it overstays. */
  private retire(child: ChildProcess, graceMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs + KILL_AFTER_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  async stop(graceMs: number): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.pid = undefined;
    if (child) await this.retire(child, graceMs);
    if (!this.isDisposed) this.setState('stopped');
  }
}
