// `npm run package`: a .vsix for this machine's platform. The extension ships
// esbuild (it builds task modules on save), whose binary is platform-specific,
// so the package is too (vsce --target).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const target = `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`;
const out = path.join(root, `celeriac-${target}.vsix`);
execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
execFileSync(process.execPath, [vsce, 'package', '--target', target, '--out', out], { stdio: 'inherit', cwd: root });
const size = fs.statSync(out).size;
console.log(`${path.basename(out)}: ${(size / 1024 / 1024).toFixed(2)} MB`);
