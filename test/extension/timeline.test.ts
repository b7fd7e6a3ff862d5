/**
 * The timeline panel in a real VS Code: the page loads under its CSP and asks
 * for its data; a simulation run from the workspace opens in its own panel.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TimelinePanel } from '../../src/extension/timeline/timeline-panel';
import { runScenario } from '../../src/extension/commands/run-simulation';
import { celeriac, embedded, runningWorker, waitFor, workspaceFile } from './helpers';

function becomesReady(panel: TimelinePanel, timeoutMs = 20_000): Promise<void> {
  if (panel.loads > 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the timeline page of ${panel.source.label} did not load within ${timeoutMs} ms`)), timeoutMs);
    panel.onDidBecomeReady(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('timeline panel', () => {
  before(async () => {
    await runningWorker();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens for the embedded broker from the command, and the page loads and asks for its data', async () => {
    const { services } = await celeriac();
    const connection = await embedded();
    const opened = (await vscode.commands.executeCommand('celeriac.openTimeline', connection)) as TimelinePanel;
    assert.ok(opened, 'the command returns the panel');
    assert.equal(services.timeline.panelOf(connection.id), opened);
    await becomesReady(opened);
    assert.match(opened.panel.title, /^Timeline — /);
    // Opening again reveals the same panel.
    assert.equal(await vscode.commands.executeCommand('celeriac.openTimeline', connection), opened);
  });

  it('runs a scenario of the workspace in virtual time and opens the run in the timeline', async () => {
    const { services } = await celeriac();
    const scenario = workspaceFile('smoke.sim.ts');
    const result = await runScenario(services, scenario);
    assert.ok(result, 'the simulation ran');
    assert.equal(result.report.tasks.sent, 20);
    assert.equal(result.report.tasks.succeeded + result.report.tasks.failed, 20);
    assert.ok(result.report.tasks.failed > 0, 'the flaky fault failed some');
    const panel = await waitFor('the run’s timeline panel', () => services.timeline.panelOf(`sim:${scenario.fsPath}`));
    await becomesReady(panel);
    assert.match(panel.panel.title, /simulation of smoke\.sim\.ts \(seed 1\)/);
    assert.equal(panel.source.history().filter((e) => e.type === 'task-sent').length, 20);
  });
});
