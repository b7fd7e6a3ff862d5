#!/usr/bin/env node
// Installs code-server (a real VS Code workbench with a Node extension host) into
// the ignored folder .vscode-e2e/tools, for `npm run test:vscode`. Not a
// devDependency: its ~300 MB postinstall would run on every `npm ci`.
// See shared VSCODE-E2E.md for why each environment variable below is needed.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_VERSION = '1.15.11'; // @vscode/ripgrep pinned by code-server 4.100.3
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = path.join(root, '.vscode-e2e');
const tools = path.join(base, 'tools');
const marker = path.join(tools, `.installed-${CODE_SERVER_VERSION}`);
export const codeServerEntry = path.join(tools, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

const log = (m) => console.log(`[install-code-server] ${m}`);
function fail(m) {
  console.error(`[install-code-server] ERROR: ${m}`);
  process.exit(1);
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export function isInstalled() {
  return fs.existsSync(marker) && fs.existsSync(codeServerEntry);
}

function main() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20) fail(`code-server ${CODE_SERVER_VERSION} needs Node 20 (its postinstall checks the major); this is Node ${process.versions.node}.`);
  const chromium = which('chromium');
  if (!chromium) fail('chromium not found: install the Debian package `chromium` (apt-get install chromium).');
  const rg = which('rg');
  if (!rg) fail('rg not found: install the Debian package `ripgrep` (apt-get install ripgrep).');
  if (!fs.existsSync('/usr/include/krb5.h') && !fs.existsSync('/usr/include/gssapi/gssapi.h')) {
    fail('Kerberos headers not found (code-server builds the native `kerberos` module): install the Debian package `libkrb5-dev`.');
  }
  if (isInstalled()) {
    log(`code-server ${CODE_SERVER_VERSION} already installed in ${path.relative(root, tools)}`);
    return;
  }
  const started = Date.now();
  fs.mkdirSync(tools, { recursive: true });
  const tmp = path.join(base, 'install-tmp');
  fs.mkdirSync(tmp, { recursive: true });
  // @vscode/ripgrep downloads rg from GitHub unless its cache already holds the archive.
  const cache = path.join(tmp, `vscode-ripgrep-cache-${RIPGREP_VERSION}`);
  fs.mkdirSync(cache, { recursive: true });
  log(`ripgrep cache from ${rg}`);
  execFileSync('tar', ['czf', path.join(cache, RIPGREP_ASSET), '-C', path.dirname(rg), path.basename(rg)]);
  if (!fs.existsSync(path.join(tools, 'package.json'))) {
    fs.writeFileSync(path.join(tools, 'package.json'), JSON.stringify({ name: 'celeriac-e2e-tools', private: true }, null, 2) + '\n');
  }
  log(`npm install code-server@${CODE_SERVER_VERSION} into ${path.relative(root, tools)} (about a minute cold)…`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: tools,
    stdio: 'inherit',
    env: {
      ...process.env,
      TMPDIR: tmp,
      npm_config_unsafe_perm: 'true', // code-server refuses to install as root otherwise
      npm_config_yes: 'true', // a postinstall runs `npx node-gyp`
      npm_config_update_notifier: 'false',
    },
  });
  if (r.status !== 0) fail(`npm install code-server@${CODE_SERVER_VERSION} failed (exit ${r.status ?? r.signal}); see the output above.`);
  if (!fs.existsSync(codeServerEntry)) fail(`installed, but ${codeServerEntry} is missing`);
  fs.writeFileSync(marker, new Date().toISOString() + '\n');
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
