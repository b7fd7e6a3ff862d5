// Bundles the in-extension-host mocha suite (test/extension/) into
// out/test-extension/: index.js (the runner VS Code loads from
// `extensionTestsPath`) and one *.test.js per test file. `vscode` is provided by
// the extension host and `mocha` resolves from the repo's node_modules.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const outDir = path.join(root, 'out', 'test-extension');

export async function buildExtensionTests() {
  const src = path.join(root, 'test', 'extension');
  const entryPoints = fs
    .readdirSync(src)
    .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
    .map((f) => path.join(src, f));
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return path.join(outDir, 'index.js');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildExtensionTests();
  console.log(`built ${path.relative(root, outDir)}/ in ${Date.now() - started} ms`);
}
