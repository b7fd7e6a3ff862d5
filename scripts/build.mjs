// Builds dist/: the runtime transpiled file by file (library + CLI + pool child),
// the extension and webview bundles, and the runtime's type declarations.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');

function listFiles(dir, keep) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listFiles(p, keep);
    return keep(e.name) ? [p] : [];
  });
}
const listTs = (dir) => listFiles(dir, (n) => n.endsWith('.ts') && !n.endsWith('.d.ts'));

// Lua scripts (Redis) are read at run time next to the code that loads them.
function copyLua() {
  const src = path.join(root, 'src', 'runtime');
  for (const file of listFiles(src, (n) => n.endsWith('.lua'))) {
    const out = path.join(dist, 'runtime', path.relative(src, file));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.copyFileSync(file, out);
  }
}

// The extension loads the runtime from dist/runtime (not a bundled copy): one
// runtime per process, and its Lua scripts and pool-child entry next to it.
const runtimeStaysOutside = {
  name: 'runtime-stays-outside',
  setup(build) {
    const runtimeDir = path.join(root, 'src', 'runtime');
    build.onResolve({ filter: /runtime\// }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      if (!target.startsWith(runtimeDir + path.sep)) return undefined;
      const rel = path.relative(runtimeDir, target).split(path.sep).join('/');
      return { path: `./runtime/${rel}.js`, external: true };
    });
  },
};

fs.rmSync(dist, { recursive: true, force: true });
const started = Date.now();

const builds = [
  {
    entryPoints: listTs(path.join(root, 'src', 'runtime')),
    outdir: path.join(dist, 'runtime'),
    outbase: path.join(root, 'src', 'runtime'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
  },
  {
    entryPoints: [path.join(root, 'src', 'extension', 'extension.ts')],
    outfile: path.join(dist, 'extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    external: ['vscode'],
    plugins: [runtimeStaysOutside],
  },
  {
    entryPoints: [path.join(root, 'webview', 'src', 'main.ts')],
    outfile: path.join(dist, 'webview', 'timeline.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: true,
  },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  copyLua();
  console.log('watching for changes…');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  copyLua();
  // Declarations for library users (`import { createApp } from 'celeriac'`).
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (fs.existsSync(tsc)) execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  console.log(`built dist/ in ${Date.now() - started} ms`);
}
