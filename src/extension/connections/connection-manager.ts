/**
 * The connections the views show: the embedded broker first, then the ones the
 * user added. Commands act on the one picked (or the only one).
 */
import * as vscode from 'vscode';
import type { Logger } from '../../runtime/log';
import { Disposable } from '../util/disposable';
import { ConnectionStore, type SavedConnection } from './connection-store';
import { LiveConnection, type ChangeKind } from './live-connection';

export const EMBEDDED_ID = 'embedded';

export class ConnectionManager extends Disposable {
  private readonly live = new Map<string, LiveConnection>();
  private readonly failed = new Map<string, string>();
  private readonly changed = this._register(new vscode.EventEmitter<{ connection?: LiveConnection; kind: ChangeKind | 'list' }>());
  readonly onDidChange = this.changed.event;

  constructor(
    readonly store: ConnectionStore,
    private readonly log: Logger,
    private readonly maxTasks: () => number,
  ) {
    super();
    this._register({ dispose: () => this.live.forEach((c) => c.dispose()) });
  }

  get connections(): LiveConnection[] {
    return [...this.live.values()];
  }

  get embedded(): LiveConnection | undefined {
    return this.live.get(EMBEDDED_ID);
  }

  /** Saved connections that could not be opened, with why. */
  get failures(): ReadonlyMap<string, string> {
    return this.failed;
  }

  private add(conn: LiveConnection): void {
    this.live.set(conn.id, conn);
    conn.onDidChange((kind) => this.changed.fire({ connection: conn, kind }));
    this.changed.fire({ kind: 'list' });
  }

  async openEmbedded(): Promise<LiveConnection> {
    const conn = await LiveConnection.open({
      id: EMBEDDED_ID,
      label: 'Embedded (memory://)',
      kind: 'embedded',
      brokerUrl: 'memory://',
      maxTasks: this.maxTasks(),
      log: this.log,
    });
    this.add(conn);
    return conn;
  }

  async open(saved: SavedConnection): Promise<LiveConnection> {
    const urls = await this.store.resolve(saved);
    try {
      const conn = await LiveConnection.open({
        id: saved.id,
        label: saved.label,
        kind: 'remote',
        brokerUrl: urls.broker,
        backendUrl: urls.backend,
        maxTasks: this.maxTasks(),
        log: this.log,
      });
      this.failed.delete(saved.id);
      this.add(conn);
      return conn;
    } catch (err) {
      this.failed.set(saved.id, (err as Error).message);
      this.changed.fire({ kind: 'list' });
      throw err;
    }
  }

  async openSaved(): Promise<void> {
    for (const saved of this.store.list()) {
      await this.open(saved).catch((err) => this.log.warn(`cannot connect to ${saved.label}: ${(err as Error).message}`));
    }
  }

  async remove(id: string): Promise<void> {
    this.live.get(id)?.dispose();
    this.live.delete(id);
    this.failed.delete(id);
    await this.store.remove(id);
    this.changed.fire({ kind: 'list' });
  }

  /** The connection a command acts on: the given one, the only one, or the user's pick. */
  async pick(given?: LiveConnection): Promise<LiveConnection | undefined> {
    if (given) return given;
    const all = this.connections;
    if (all.length <= 1) return all[0];
    const choice = await vscode.window.showQuickPick(
      all.map((c) => ({ label: c.label, description: c.url, connection: c })),
      { placeHolder: 'Which broker?' },
    );
    return choice?.connection;
  }
}
