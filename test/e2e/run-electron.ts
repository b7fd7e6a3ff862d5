/**
 * `npm run test:electron`: the same in-extension-host mocha suite as
 * `npm run test:vscode` (test/extension/), run in desktop VS Code through
 * @vscode/test-electron. It downloads VS Code, so it only works on machines that
 * can reach update.code.visualstudio.com (and have a display, or xvfb-run);
 * CI here uses test:vscode (code-server) instead.
 *
 * VSCODE_TEST_VERSION picks the VS Code version (default: stable).
 */
import { runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  for (const script of ['scripts/build.mjs', 'scripts/e2e/build-extension-tests.mjs']) {
    try {
      execFileSync(process.execPath, [path.join(root, script)], { stdio: 'inherit', cwd: root });
    } catch {
      console.error(`test:electron: ${script} failed; see its output above`);
      return 1;
    }
  }
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-electron-e2e-'));
  try {
    // The tests edit the workspace: give them a copy.
    const workspace = path.join(runDir, 'workspace');
    fs.cpSync(path.join(root, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
    const userData = path.join(runDir, 'user-data');
    fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ 'files.autoSave': 'off', 'workbench.startupEditor': 'none' }));
    await runTests({
      version: process.env.VSCODE_TEST_VERSION ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out', 'test-extension', 'index.js'),
      launchArgs: [
        workspace,
        '--disable-workspace-trust',
        '--disable-extensions',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir',
        userData,
        '--extensions-dir',
        path.join(runDir, 'extensions'),
      ],
    });
    return 0;
  } catch (err) {
    console.error(`test:electron failed: ${(err as Error).message ?? err}`);
    return 1;
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
