/**
 * The embedded `memory://` broker lives in the extension host, so queued tasks
 * survive worker restarts; worker processes reach it through a socket.
 */
import * as vscode from 'vscode';
import { getLocalHub } from '../../runtime/brokers/memory/memory-hub';
import { serveHub, type HubServer } from '../../runtime/brokers/memory/hub-server';

export async function startEmbeddedHub(): Promise<HubServer & vscode.Disposable> {
  const server = await serveHub(getLocalHub());
  return Object.assign(server, { dispose: () => void server.close() });
}
