/**
 * Run Simulation…: run a scenario (`*.sim.ts`) with `celeriac sim` in a child
 * process (user code never runs in the extension host), with progress and
 * cancel; then show the report and open the run in the timeline.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SimulationResult } from '../../runtime/sim/run-simulation';
import { SimRunTimelineSource } from '../timeline/sim-run-source';
import type { CommandFactory, Services } from './command';

const SCENARIO_GLOB = '**/*.sim.{ts,js,mts,mjs}';

async function pickScenario(given?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (given) return given;
  const active = vscode.window.activeTextEditor?.document.uri;
  const found = await vscode.workspace.findFiles(SCENARIO_GLOB, '**/node_modules/**', 200);
  if (active && /\.sim\.[mc]?[tj]s$/.test(active.fsPath) && !found.some((u) => u.fsPath === active.fsPath)) found.unshift(active);
  if (found.length === 0) {
    void vscode.window.showInformationMessage('Celeriac: no simulation scenarios (*.sim.ts) in this workspace. See examples/sim in the Celeriac README.');
    return undefined;
  }
  const items = found
    .map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri, true), uri }))
    .sort((a, b) => (a.uri.fsPath === active?.fsPath ? -1 : b.uri.fsPath === active?.fsPath ? 1 : a.description.localeCompare(b.description)));
  return (await vscode.window.showQuickPick(items, { title: 'Run Simulation', placeHolder: 'Scenario to run' }))?.uri;
}

interface SimProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(s: Services, args: string[], cwd: string, token: vscode.CancellationToken): Promise<SimProcessResult> {
  const cli = path.join(s.context.extensionPath, 'dist', 'runtime', 'cli', 'bin.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      // The extension host's executable may be Electron: run it as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const cancel = token.onCancellationRequested(() => child.kill('SIGTERM'));
    child.once('error', (err) => {
      cancel.dispose();
      reject(err);
    });
    child.once('exit', (code) => {
      cancel.dispose();
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run a scenario and show it; resolves to the run (undefined when cancelled or failed). */
export async function runScenario(s: Services, scenario: vscode.Uri): Promise<SimulationResult | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(scenario);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-sim-')), 'run.json');
  const name = path.basename(scenario.fsPath);
  try {
    const ran = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Celeriac: simulating ${name}`, cancellable: true },
      (_progress, token) => runCli(s, ['sim', scenario.fsPath, '--out', out], folder?.uri.fsPath ?? path.dirname(scenario.fsPath), token),
    );
    // 0: all well; 1: it ran and found something. Anything else: it could not run.
    if ((ran.code !== 0 && ran.code !== 1) || !fs.existsSync(out)) {
      if (ran.code === null) return undefined; // cancelled
      const reason = ran.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${ran.code}`;
      s.log.error(`simulation of ${scenario.fsPath} failed:\n${ran.stderr}`);
      void vscode.window.showErrorMessage(`Celeriac: the simulation of ${name} could not run: ${reason}`, 'Show Log').then((c) => c && s.log.show());
      return undefined;
    }
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as SimulationResult;
    s.log.info(`simulation of ${name}:\n${ran.stdout}`);
    s.timeline.show(new SimRunTimelineSource(result, scenario.fsPath));
    const t = result.report.tasks;
    const findings = result.report.diagnoses.length + result.report.idempotency.filter((i) => i.failed).length + (t.lost ? 1 : 0);
    const summary = `${t.sent} sent, ${t.succeeded} succeeded, ${t.failed} failed, ${t.lost} lost` + (findings ? ` — ${findings} finding${findings === 1 ? '' : 's'}` : ' — nothing went wrong');
    void (findings ? vscode.window.showWarningMessage : vscode.window.showInformationMessage)(`Celeriac: ${name}: ${summary}.`, 'Show Report').then(
      (choice) => choice && s.documents.showText(`simulation ${name}`, ran.stdout),
    );
    return result;
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

export const runSimulationCommand: CommandFactory = (s) => ({
  id: 'celeriac.runSimulation',
  async execute(uri?: vscode.Uri) {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Celeriac: a simulation runs your workspace’s task code, so it needs a trusted workspace.');
      return;
    }
    const scenario = await pickScenario(uri instanceof vscode.Uri ? uri : undefined);
    if (!scenario) return;
    return runScenario(s, scenario);
  },
});
