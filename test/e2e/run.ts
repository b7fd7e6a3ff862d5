/**
 * `npm run test:vscode`: the extension in a real VS Code (code-server 4.100.3 =
 * VS Code 1.100.3, driven by headless Chromium through playwright-core).
 *
 *   1. build the extension (scripts/build.mjs) and the in-host mocha suite;
 *   2. trusted code-server (--disable-workspace-trust):
 *      a. the mocha suite of test/extension/ inside the extension host
 *         (`extensionTestsPath`; the page reports mocha's result through
 *         `codeAutomationExit`);
 *      b. the UI session of ui-trusted.ts (palette, views, modal, save);
 *   3. a code-server WITH workspace trust: the Restricted Mode session of ui-untrusted.ts.
 *
 * Each session opens its own copy of test/e2e/workspace in a temp folder.
 * Screenshots and logs go to test-artifacts/vscode/. Every code-server runs in
 * its own process group, killed at the end (with the extension hosts and
 * workers under it). Exits non-zero on any failure.
 *
 * Options: --update-docs-screenshot (copy the views screenshot to docs/),
 * --only=host|ui|untrusted (repeatable), --keep (keep the temp folders),
 * --skip-build (use the dist/ already built; the in-host suite is always rebuilt).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { CodeServer } from './code-server';
import { StepRunner, type StepResult } from './steps';
import { timelineUi } from './ui-timeline';
import { trustedUi } from './ui-trusted';
import { untrustedUi } from './ui-untrusted';
import { Workbench } from './workbench';

const root = path.resolve(__dirname, '..', '..');
const toolsEntry = path.join(root, '.vscode-e2e', 'tools', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const artifacts = path.join(root, 'test-artifacts', 'vscode');
const docsScreenshot = path.join(root, 'docs', 'screenshot-views.png');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOST_SUITE_TIMEOUT_MS = 120_000;

const argv = process.argv.slice(2);
const only = new Set(argv.filter((a) => a.startsWith('--only=')).flatMap((a) => a.slice(7).split(',')));
const wants = (s: string) => only.size === 0 || only.has(s);
const keep = argv.includes('--keep');

const metrics: Record<string, number> = {};
const results: StepResult[] = [];
const timings: Record<string, number> = {};
/** The in-host mocha reporter's totals. */
const mochaCounts: Record<string, number> = {};

/** Run a repo script with this Node; a failure ends the run with one clear line. */
function node(script: string): void {
  try {
    execFileSync(process.execPath, [path.join(root, script)], { stdio: 'inherit', cwd: root });
  } catch (err) {
    throw new Error(`${script} failed (${(err as { status?: number }).status ?? (err as Error).message}); see its output above`);
  }
}

function log(message: string): void {
  console.log(`[test:vscode] ${message}`);
}

async function timed<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Date.now() - started;
  }
}

/** The user settings of every session: a quiet workbench. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.enabled': false,
  'window.commandCenter': false,
  'editor.minimap.enabled': false,
  // VS Code for the web saves after a delay by default: the tests save explicitly.
  'files.autoSave': 'off',
};

let workspaceSeq = 0;
/** A fresh copy of the fixture workspace (tests edit it). */
function workspaceCopy(runDir: string): string {
  const dir = path.join(runDir, `workspace-${++workspaceSeq}`);
  fs.cpSync(path.join(root, 'test', 'e2e', 'workspace'), dir, { recursive: true });
  return dir;
}

/** Page console (the workbench's and the forwarded extension host's) into a log file; extension-host lines matched by `echo` also to stdout. */
function collectConsole(page: Page, file: string, echo?: (text: string) => void): void {
  const out = fs.createWriteStream(file);
  page.on('console', (m: ConsoleMessage) => {
    const text = m.text();
    out.write(`[${m.type()}] ${text}\n`);
    const metric = /CELERIAC_E2E_METRIC (\{.*\})/.exec(text);
    if (metric) {
      const { name, value } = JSON.parse(metric[1]) as { name: string; value: number };
      metrics[name] = value;
    }
    echo?.(text);
  });
  page.on('pageerror', (err) => out.write(`[pageerror] ${err.stack ?? err.message}\n`));
  page.on('close', () => out.end());
}

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

async function startServer(runDir: string, name: string, disableWorkspaceTrust: boolean, extraSettings: Record<string, unknown> = {}): Promise<CodeServer> {
  const serverLog = fs.createWriteStream(path.join(artifacts, `${name}.server.log`));
  return CodeServer.start({
    entry: toolsEntry,
    dir: path.join(runDir, name),
    disableWorkspaceTrust,
    userSettings: { ...USER_SETTINGS, ...extraSettings },
    onOutput: (line) => serverLog.write(line + '\n'),
  });
}

/** The mocha suite of test/extension inside the extension host; resolves with its exit code. */
async function hostSession(browser: Browser, server: CodeServer, runDir: string, testsPath: string): Promise<number> {
  const page = await newPage(browser);
  // Mocha's spec reporter lines (console.log in the extension host) reach the page console.
  collectConsole(page, path.join(artifacts, 'host.console.log'), (text) => {
    // The in-host runner marks its reporter's lines (test/extension/index.ts).
    const at = text.indexOf('[celeriac-test] ');
    if (at < 0 || text.includes('CELERIAC_E2E_METRIC')) return;
    const line = text.slice(at + 16);
    console.log(`    ${line}`);
    const count = /^\s*(\d+) (passing|failing|pending)/.exec(line);
    if (count) mochaCounts[count[2]] = Number(count[1]);
  });
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  await page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
  await page.goto(server.workbenchUrl(workspaceCopy(runDir), root, testsPath));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    exited,
    new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        log(`in-host suite did not finish in ${HOST_SUITE_TIMEOUT_MS / 1000} s`);
        resolve(124);
      }, HOST_SUITE_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  await page.screenshot({ path: path.join(artifacts, `host-end.png`) }).catch(() => undefined);
  await page.context().close();
  return code;
}

async function uiSession(
  browser: Browser,
  server: CodeServer,
  runDir: string,
  name: string,
  body: (wb: Workbench, steps: StepRunner) => Promise<void>,
): Promise<StepRunner> {
  const page = await newPage(browser);
  collectConsole(page, path.join(artifacts, `${name}.console.log`));
  const steps = new StepRunner(name, page, artifacts);
  const wb = new Workbench(page);
  await page.goto(server.workbenchUrl(workspaceCopy(runDir), root));
  await steps.step('the workbench loads', () => wb.waitReady());
  await body(wb, steps);
  results.push(...steps.results);
  await page.context().close();
  return steps;
}

async function main(): Promise<number> {
  const started = Date.now();
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });

  await timed('install code-server', () => node('scripts/e2e/install-code-server.mjs'));
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install the Debian package chromium`);
  await timed('build', () => {
    if (!argv.includes('--skip-build')) node('scripts/build.mjs');
    node('scripts/e2e/build-extension-tests.mjs');
  });
  const testsPath = path.join(root, 'out', 'test-extension', 'index.js');

  // Temp folders (server homes, workspace copies) outside the repo: the
  // fixture must not see the repo's tsconfig or git folder.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-vscode-e2e-'));
  const servers: CodeServer[] = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let failed = false;
  try {
    if (wants('host') || wants('ui')) {
      const server = await timed('start trusted code-server', () => startServer(runDir, 'trusted', true));
      servers.push(server);
      log(`code-server (trusted) at ${server.url}, process group ${server.pgid}`);
      if (wants('host')) {
        log('in-extension-host mocha suite (test/extension):');
        const code = await timed('in-host suite', () => hostSession(browser, server, runDir, testsPath));
        const counts = Object.entries(mochaCounts).map(([k, v]) => `${v} ${k}`).join(', ') || 'no reporter output';
        results.push({ session: 'host', name: `mocha suite in the extension host (${counts})`, status: code === 0 ? 'passed' : 'failed', ms: timings['in-host suite'], error: code ? `exit code ${code}` : undefined });
        if (code !== 0) failed = true;
      }
      if (wants('ui')) {
        log('UI session (trusted workspace):');
        const viewsShot = path.join(artifacts, 'views.png');
        const steps = await timed('ui session', () =>
          uiSession(browser, server, runDir, 'ui', async (wb, s) => {
            await trustedUi(wb, s, { server, viewsScreenshot: viewsShot, metric: (n, v) => (metrics[n] = v) });
            await timelineUi(wb, s, { screenshot: path.join(artifacts, 'timeline.png') });
          }),
        );
        if (!steps.ok) failed = true;
        if (argv.includes('--update-docs-screenshot') && fs.existsSync(viewsShot)) {
          fs.mkdirSync(path.dirname(docsScreenshot), { recursive: true });
          fs.copyFileSync(viewsShot, docsScreenshot);
          log(`updated ${path.relative(root, docsScreenshot)}`);
        }
      }
    }
    if (wants('untrusted')) {
      const server = await timed('start untrusted code-server', () =>
        // Workspace trust on; the folder opens in Restricted Mode without the startup dialog.
        startServer(runDir, 'untrusted', false, { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' }),
      );
      servers.push(server);
      log(`UI session (untrusted workspace, code-server at ${server.url}):`);
      const steps = await timed('untrusted session', () => uiSession(browser, server, runDir, 'untrusted', (wb, s) => untrustedUi(wb, s, server)));
      if (!steps.ok) failed = true;
    }
  } finally {
    await browser.close().catch(() => undefined);
    for (const server of servers) {
      await server.stop();
      if (server.processes().length) {
        failed = true;
        log(`ERROR: processes of code-server ${server.pgid} survived: ${JSON.stringify(server.processes())}`);
      }
    }
    if (!keep) fs.rmSync(runDir, { recursive: true, force: true });
  }

  for (const r of results) log(`  ${r.status === 'passed' ? '✔' : r.status === 'failed' ? '✘' : '-'} [${r.session}] ${r.name}`);
  const passed = results.filter((r) => r.status === 'passed').length;
  const failures = results.filter((r) => r.status === 'failed');
  const skipped = results.filter((r) => r.status === 'skipped').length;
  log('');
  log(`summary: ${passed} passed, ${failures.length} failed, ${skipped} skipped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const f of failures) log(`  FAILED [${f.session}] ${f.name}: ${f.error?.split('\n')[0]}`);
  for (const [k, v] of Object.entries(timings)) log(`  time ${k}: ${(v / 1000).toFixed(1)} s`);
  if (metrics.activationMs !== undefined) log(`  activate() took ${metrics.activationMs.toFixed(1)} ms (aim: < 100 ms)`);
  if (metrics.saveToRestartMs !== undefined) log(`  save → new worker consuming: ${metrics.saveToRestartMs} ms (in-host, onDidRestart)`);
  if (metrics.uiSaveToRestartMs !== undefined) log(`  save → new worker consuming: ${metrics.uiSaveToRestartMs} ms (UI, Celeriac log)`);
  log(`  artifacts: ${path.relative(root, artifacts)}/`);
  fs.writeFileSync(path.join(artifacts, 'summary.json'), JSON.stringify({ results, metrics, timings }, null, 2));
  return failed || failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[test:vscode] ERROR: ${(err as Error).message ?? err}`);
    process.exit(1);
  },
);
