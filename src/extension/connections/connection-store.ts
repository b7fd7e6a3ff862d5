/**
 * Brokers the user connected to. The list (id, label, URL without password)
 * lives in global state; passwords live only in SecretStorage and are put back
 * into the URL at connect time — never in settings, never in logs.
 */
import { randomUUID } from 'node:crypto';
import type * as vscode from 'vscode';

export interface SavedConnection {
  id: string;
  label: string;
  /** The broker URL with any password removed. */
  url: string;
  /** Result backend URL without password, if different from the broker. */
  backendUrl?: string;
}

const LIST_KEY = 'celeriac.connections';
const secretKey = (id: string, which: 'broker' | 'backend') => `celeriac.connection.${id}.${which}`;

/** Split `scheme://user:pass@host…` into the URL without the password and the password. */
export function splitPassword(url: string): { url: string; password: string | undefined } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*):([^@/]*)@/i.exec(url);
  if (!m) return { url, password: undefined };
  return { url: url.replace(m[0], `${m[1]}${m[2]}@`), password: decodeURIComponent(m[3]) };
}

export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*)@/i, (_, scheme: string, user: string) => `${scheme}${user}:${encodeURIComponent(password)}@`);
}

export class ConnectionStore {
  constructor(
    private readonly state: vscode.Memento,
    private readonly secrets: vscode.SecretStorage,
  ) {}

  list(): SavedConnection[] {
    return this.state.get<SavedConnection[]>(LIST_KEY, []);
  }

  async add(brokerUrl: string, backendUrl?: string): Promise<SavedConnection> {
    const broker = splitPassword(brokerUrl.trim());
    const backend = backendUrl ? splitPassword(backendUrl.trim()) : undefined;
    const id = randomUUID();
    const conn: SavedConnection = { id, label: broker.url, url: broker.url, ...(backend ? { backendUrl: backend.url } : {}) };
    if (broker.password !== undefined) await this.secrets.store(secretKey(id, 'broker'), broker.password);
    if (backend?.password !== undefined) await this.secrets.store(secretKey(id, 'backend'), backend.password);
    await this.state.update(LIST_KEY, [...this.list(), conn]);
    return conn;
  }

  async remove(id: string): Promise<void> {
    await this.state.update(
      LIST_KEY,
      this.list().filter((c) => c.id !== id),
    );
    await this.secrets.delete(secretKey(id, 'broker'));
    await this.secrets.delete(secretKey(id, 'backend'));
  }

  /** The URLs with their passwords, for connecting only. */
  async resolve(conn: SavedConnection): Promise<{ broker: string; backend: string | undefined }> {
    const broker = withPassword(conn.url, await this.secrets.get(secretKey(conn.id, 'broker')));
    const backend = conn.backendUrl ? withPassword(conn.backendUrl, await this.secrets.get(secretKey(conn.id, 'backend'))) : undefined;
    return { broker, backend };
  }
}
