/**
 * Saving a task file restarts the worker with the new code; a save that does
 * not build keeps the running worker and puts the error in the Problems panel.
 * Edits the workspace's tasks.ts (the harness gives each run a fresh copy).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { celeriac, replaceInDocument, reportMetric, runningWorker, runTask, waitFor, workspaceFile } from './helpers';

function celeriacProblems(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'celeriac');
}

describe('save → restart', () => {
  let doc: vscode.TextDocument;

  before(async () => {
    await runningWorker();
    doc = await vscode.workspace.openTextDocument(workspaceFile('tasks.ts'));
    await vscode.window.showTextDocument(doc);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('restarts the worker when tasks.ts is saved, and the new code runs', async () => {
    const { services } = await celeriac();
    assert.equal(await runTask('e2e.code_version'), 'v1');
    const before = await runningWorker();
    const oldPid = before.pid;
    const restarted = new Promise<number>((resolve) => {
      const sub = services.supervisor.onDidRestart((e) => {
        sub.dispose();
        resolve(e.ms);
      });
    });
    await replaceInDocument(doc, "() => 'v1'", "() => 'v2'");
    assert.ok(await doc.save(), 'save failed');
    const ms = await restarted;
    reportMetric('saveToRestartMs', ms);
    const after = await runningWorker();
    assert.notEqual(after.pid, oldPid, 'a new worker process runs');
    assert.equal(await runTask('e2e.code_version'), 'v2');
  });

  it('keeps the running worker when a save does not build, and shows the error', async () => {
    const { services } = await celeriac();
    const worker = await runningWorker();
    const pid = worker.pid;
    let restarts = 0;
    const sub = services.supervisor.onDidRestart(() => restarts++);
    try {
      await replaceInDocument(doc, "() => 'v2'", "() => 'v3' +");
      assert.ok(await doc.save(), 'save failed');
      const problems = await waitFor('a celeriac diagnostic on tasks.ts', () => {
        const p = celeriacProblems(doc.uri);
        return p.length ? p : undefined;
      });
      assert.equal(problems[0].severity, vscode.DiagnosticSeverity.Error);
      // The old worker still runs the old code.
      assert.equal(await runTask('e2e.code_version'), 'v2');
      assert.equal(worker.state, 'running');
      assert.equal(worker.pid, pid, 'the worker was not replaced');
      assert.equal(restarts, 0, 'no restart happened');
    } finally {
      sub.dispose();
    }
  });

  it('restarts again once the file builds, and clears the problem', async () => {
    const { services } = await celeriac();
    const restarted = new Promise<number>((resolve) => {
      const sub = services.supervisor.onDidRestart((e) => {
        sub.dispose();
        resolve(e.ms);
      });
    });
    await replaceInDocument(doc, "() => 'v3' +", "() => 'v4'");
    assert.ok(await doc.save(), 'save failed');
    reportMetric('saveToRestartAfterFixMs', await restarted);
    assert.deepEqual(celeriacProblems(doc.uri), []);
    assert.equal(await runTask('e2e.code_version'), 'v4');
  });
});
