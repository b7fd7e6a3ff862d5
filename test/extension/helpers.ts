/** Shared by the in-host tests: the extension's API, waiting, and the workspace's task module. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LiveConnection } from '../../src/extension/connections/live-connection';
import type { EmbeddedWorker } from '../../src/extension/embedded/embedded-worker';
import type { CeleriacApi } from '../../src/extension/extension';
export { waitFor } from '../e2e/wait';
import { waitFor } from '../e2e/wait';

export const EXTENSION_ID = 'celeriac.celeriac';

export async function celeriac(): Promise<CeleriacApi> {
  const ext = vscode.extensions.getExtension<CeleriacApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

/** A line the harness (test/e2e/run.ts) picks up from the console and prints in its summary. */
export function reportMetric(name: string, value: number): void {
  console.log(`[celeriac-test] CELERIAC_E2E_METRIC ${JSON.stringify({ name, value })}`);
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder');
  return vscode.Uri.file(path.join(folder.uri.fsPath, name));
}

export async function embedded(): Promise<LiveConnection> {
  const { services } = await celeriac();
  return waitFor('the embedded connection', () => services.connections.embedded);
}

/** The embedded worker of the fixture's tasks.ts once it consumes. */
export async function runningWorker(timeoutMs = 20_000): Promise<EmbeddedWorker> {
  const { services } = await celeriac();
  return waitFor(
    'the tasks.ts worker to run',
    () => {
      const w = services.supervisor.all.find((x) => path.basename(x.o.module) === 'tasks.ts');
      if (w?.state === 'failed') throw new Error(`worker failed: ${w.lastError}`);
      return w?.state === 'running' ? w : undefined;
    },
    { timeoutMs },
  );
}

/** Send a task on the embedded broker and wait for its result in the result backend. */
export async function runTask(name: string, args: unknown[] = [], timeoutMs = 15_000): Promise<unknown> {
  const connection = await embedded();
  const id = await connection.send(name, args, {}, {});
  const meta = await waitFor(
    `${name}[${id}] to finish`,
    async () => {
      const m = await connection.taskMeta(id);
      return m && (m.status === 'SUCCESS' || m.status === 'FAILURE') ? m : undefined;
    },
    { timeoutMs },
  );
  assert.equal(meta.status, 'SUCCESS', `${name} failed: ${JSON.stringify(meta.result)}`);
  return meta.result;
}

/** Replace text in an open document through a workspace edit (like typing), without saving. */
export async function replaceInDocument(doc: vscode.TextDocument, from: string, to: string): Promise<void> {
  const text = doc.getText();
  const at = text.indexOf(from);
  assert.ok(at >= 0, `'${from}' not found in ${doc.uri.fsPath}`);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + from.length)), to);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the edit was not applied');
}
