/**
 * Opens timeline panels (one per connection or simulation run), brings the
 * embedded broker's back after a window reload, and closes a connection's
 * panel when the connection goes away.
 */
import * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/connection-manager';
import type { LiveConnection } from '../connections/live-connection';
import { Disposable } from '../util/disposable';
import { ConnectionTimelineSource } from './connection-source';
import { TIMELINE_VIEW_TYPE, TimelinePanel, timelineWebviewOptions, titleOf, type TimelineDeps } from './timeline-panel';
import type { TimelineSource } from './timeline-source';

export class TimelineController extends Disposable {
  private readonly panels = new Map<string, TimelinePanel>();

  constructor(
    private readonly connections: ConnectionManager,
    private readonly deps: TimelineDeps,
  ) {
    super();
    this._register({ dispose: () => [...this.panels.values()].forEach((p) => p.dispose()) });
    this._register(
      connections.onDidChange((e) => {
        if (e.kind !== 'list') return;
        const live = new Set(connections.connections.map((c) => c.id));
        for (const [id, panel] of this.panels) if (panel.source instanceof ConnectionTimelineSource && !live.has(id)) panel.dispose();
      }),
    );
  }

  /** Restore panels VS Code kept across a reload (call once the connections are open). */
  registerSerializer(): void {
    this._register(
      vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
          // The page's saved state is its view (zoom, filters); the data is the embedded broker's.
          const connection = this.connections.embedded;
          if (!connection || this.panels.has(connection.id)) {
            panel.dispose();
            return;
          }
          this.open(panel, new ConnectionTimelineSource(connection));
        },
      }),
    );
  }

  /** Show the timeline of a live connection, reusing its panel if it is open. */
  showConnection(connection: LiveConnection): TimelinePanel {
    return this.panels.get(connection.id) ?? this.show(new ConnectionTimelineSource(connection));
  }

  /** Show any source (a simulation run): replaces a panel of the same id. */
  show(source: TimelineSource & Partial<vscode.Disposable>): TimelinePanel {
    const open = this.panels.get(source.id);
    if (open) {
      open.panel.reveal();
      if (open.source === source) return open;
      open.dispose();
    }
    const panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, titleOf(source), vscode.ViewColumn.Active, timelineWebviewOptions(this.deps.extensionUri));
    return this.open(panel, source);
  }

  /** The panel open for a source id (a connection id), if any. */
  panelOf(id: string): TimelinePanel | undefined {
    return this.panels.get(id);
  }

  private open(webviewPanel: vscode.WebviewPanel, source: TimelineSource & Partial<vscode.Disposable>): TimelinePanel {
    const panel = new TimelinePanel(webviewPanel, source, this.deps);
    this.panels.set(source.id, panel);
    panel.onDidClose(() => {
      if (this.panels.get(source.id) === panel) this.panels.delete(source.id);
      source.dispose?.();
    });
    return panel;
  }
}
