/**
 * A timeline panel: loads the webview bundle under a strict CSP, replays what
 * its source has (a live connection, or a simulation run), then forwards new
 * events in batches, and carries out what the page asks (retry, revoke, go to
 * source, stored results). One panel per source.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { errorMessage } from '../../runtime/errors';
import type { WorkerSupervisor } from '../embedded/worker-supervisor';
import type { HostToWebviewMessage, TimelineEvent, WebviewToHostMessage } from '../../shared/timeline-protocol';
import { isMessageOf } from '../../shared/timeline-protocol';
import { Disposable } from '../util/disposable';
import { makeNonce, timelineHtml } from './timeline-html';
import type { TimelineSource } from './timeline-source';

export const TIMELINE_VIEW_TYPE = 'celeriac.timeline';

/** Live events are sent at most this often (one message per batch keeps the page's frame budget). */
const FLUSH_MS = 50;
/** History goes in slices, so the page can paint the first while the rest arrives. */
const HISTORY_SLICE = 5_000;
/** Most ids looked up in the result backend per request. */
const MAX_FETCH = 500;

const REQUESTS = ['ready', 'retry', 'revoke', 'open-source', 'fetch-results'] as const;

export interface TimelineDeps {
  extensionUri: vscode.Uri;
  supervisor: WorkerSupervisor;
  log: vscode.LogOutputChannel;
  maxTasks: () => number;
}

/** Webview options: scripts on, only the bundle reachable. */
export function timelineWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    // The page rebuilds from a replay and its own saved view state when shown again.
    retainContextWhenHidden: false,
  };
}

export class TimelinePanel extends Disposable {
  private pending: TimelineEvent[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** The page said `ready`: until then (and while it is hidden and unloaded) events are not sent. */
  private listening = false;
  private readonly closed = this._register(new vscode.EventEmitter<void>());
  readonly onDidClose = this.closed.event;
  private readonly readyEmitter = this._register(new vscode.EventEmitter<void>());
  /** The page loaded, asked for its data and got it (tests wait on it). */
  readonly onDidBecomeReady = this.readyEmitter.event;
  /** Times the page loaded and got its data (again after being hidden and shown). */
  loads = 0;

  /** `panel` is new or restored by VS Code; the source's lifetime is its owner's. */
  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly source: TimelineSource,
    private readonly deps: TimelineDeps,
  ) {
    super();
    panel.webview.options = timelineWebviewOptions(deps.extensionUri);
    panel.title = titleOf(source);
    this._register({ dispose: () => this.flushTimer && clearTimeout(this.flushTimer) });
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)));
    this._register(
      panel.onDidChangeViewState(() => {
        // A hidden page is unloaded (retainContextWhenHidden is off); it says ready again when shown.
        if (!panel.visible) this.listening = false;
      }),
    );
    if (source.onDidReceiveEvent) this._register(source.onDidReceiveEvent((e) => this.onEvent(e)));
    panel.webview.html = this.html();
    deps.log.info(`timeline opened for ${source.label}`);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.closed.fire();
    super.dispose();
    this.panel.dispose();
  }

  private html(): string {
    const webview = this.panel.webview;
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview', 'timeline.js'));
    return timelineHtml({ cspSource: webview.cspSource, scriptUri: script.toString(), nonce: makeNonce((n) => randomBytes(n)), title: titleOf(this.source) });
  }

  private post(message: HostToWebviewMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  private onEvent(event: TimelineEvent): void {
    if (!this.listening) return;
    this.pending.push(event);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (!this.pending.length || !this.listening) return;
    const events = this.pending;
    this.pending = [];
    void this.post({ type: 'events', events });
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isMessageOf<WebviewToHostMessage>(raw, REQUESTS)) return;
    const m = raw;
    switch (m.type) {
      case 'ready':
        return this.replay();
      case 'retry': {
        const outcome = await this.source.retry(m.name, m.args, m.kwargs, m.queue);
        if (outcome.ok) this.deps.log.info(`timeline: retried ${m.name} (was ${m.taskId}): ${outcome.message}`);
        await this.post({ type: 'action-result', requestId: m.requestId, ...outcome });
        return;
      }
      case 'revoke': {
        const outcome = await this.source.revoke(m.taskId, m.terminate);
        await this.post({ type: 'action-result', requestId: m.requestId, ...outcome });
        return;
      }
      case 'open-source':
        return this.openSource(m.name);
      case 'fetch-results':
        return this.fetchResults(m.ids);
    }
  }

  /** Everything the source has, then live events from here on. */
  private async replay(): Promise<void> {
    this.listening = false;
    this.pending = [];
    await this.post({ type: 'init', maxTasks: this.deps.maxTasks(), connection: this.source.label, now: Date.now() });
    const history = this.source.history();
    for (let i = 0; i < history.length; i += HISTORY_SLICE) await this.post({ type: 'events', events: history.slice(i, i + HISTORY_SLICE) });
    await this.post({ type: 'registered', tasks: this.registered() });
    this.listening = true;
    this.loads++;
    this.readyEmitter.fire();
  }

  private registered(): { name: string; hasSource: boolean }[] {
    const names = new Map<string, boolean>();
    for (const t of this.deps.supervisor.registeredTasks) names.set(t.name, true);
    // Tasks only other workers (e.g. Python ones) know: retry works, there is no source here.
    for (const name of this.source.taskNames()) if (!names.has(name)) names.set(name, false);
    return [...names].map(([name, hasSource]) => ({ name, hasSource })).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async openSource(name: string): Promise<void> {
    const task = this.deps.supervisor.registeredTasks.find((t) => t.name === name);
    if (!task) {
      void vscode.window.showInformationMessage(`Celeriac: ${name} is not defined in this workspace's task modules (a Python worker may run it).`);
      return;
    }
    const pos = new vscode.Position(task.line, task.column);
    await vscode.window.showTextDocument(vscode.Uri.file(task.file), { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.Beside });
  }

  private async fetchResults(ids: string[]): Promise<void> {
    const wanted = ids.filter((id) => typeof id === 'string').slice(0, MAX_FETCH);
    if (!wanted.length) return;
    try {
      const results = await this.source.storedResults(wanted);
      if (results.length) await this.post({ type: 'stored-results', results });
    } catch (err) {
      this.deps.log.warn(`timeline: reading ${wanted.length} results from the result backend failed: ${errorMessage(err)}`);
    }
  }
}

export function titleOf(source: { label: string }): string {
  return `Timeline — ${source.label}`;
}
