/**
 * Loads a user's task module (.ts or .js) on the fly: esbuild bundles the
 * user's own files, packages stay external and resolve from the module's
 * folder, and `celeriac` resolves to this very runtime, so the module's app and
 * tasks are the ones the CLI and workers see (one registry, one memory hub).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Module from 'node:module';
import { createHash, randomUUID } from 'node:crypto';
import type { App } from '../app/app';
import { ConfigError, CeleriacError } from '../errors';

export interface BuildProblem {
  file: string | null;
  line: number | null;
  column: number | null;
  text: string;
}

/** The task module does not compile; `problems` point at file, line and column. */
export class ModuleBuildError extends CeleriacError {
  constructor(
    readonly entry: string,
    readonly problems: BuildProblem[],
  ) {
    super(
      `cannot build task module ${entry}:\n` +
        problems.map((p) => `  ${p.file ?? entry}${p.line ? `:${p.line}:${(p.column ?? 0) + 1}` : ''}: ${p.text}`).join('\n'),
    );
  }
}

export interface BuiltModule {
  /** The source the user gave, absolute. */
  entry: string;
  /** The bundled CommonJS file to load (also given to process-pool children). */
  outfile: string;
  /** The user's own source files bundled in (absolute paths; packages excluded). */
  sources?: string[];
}

let buildDir: string | undefined;
let buildSeq = 0;

function outputDir(): string {
  if (!buildDir) {
    buildDir = path.join(os.tmpdir(), `celeriac-build-${process.pid}-${randomUUID().slice(0, 8)}`);
    fs.mkdirSync(buildDir, { recursive: true });
    const dir = buildDir;
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return buildDir;
}

/** Bundle the module with esbuild into a temporary CommonJS file. */
export async function buildTaskModule(entry: string): Promise<BuiltModule> {
  const abs = path.resolve(entry);
  if (!fs.existsSync(abs)) throw new ConfigError(`task module not found: ${abs}`);
  const esbuild = await import('esbuild');
  const hash = createHash('sha1').update(abs).digest('hex').slice(0, 8);
  const outfile = path.join(outputDir(), `${path.basename(abs).replace(/\.[^.]+$/, '')}-${hash}-${++buildSeq}.cjs`);
  let inputs: string[] = [];
  try {
    const result = await esbuild.build({
      metafile: true,
      entryPoints: [abs],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      absWorkingDir: path.dirname(abs),
      plugins: [
        {
          // Before tsconfig `paths` can point it at sources: `celeriac` must stay
          // external so it resolves to this running runtime (see requireBuilt).
          name: 'celeriac-runtime',
          setup(build) {
            build.onResolve({ filter: /^celeriac$/ }, () => ({ path: 'celeriac', external: true }));
          },
        },
      ],
    });
    inputs = Object.keys(result.metafile?.inputs ?? {}).map((f) => path.resolve(path.dirname(abs), f));
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    if (!errors) throw err;
    throw new ModuleBuildError(
      abs,
      errors.map((e) => ({
        file: e.location ? path.resolve(path.dirname(abs), e.location.file) : null,
        line: e.location?.line ?? null,
        column: e.location?.column ?? null,
        text: e.text,
      })),
    );
  }
  return { entry: abs, outfile, sources: inputs };
}

type InternalModule = Module & {
  _compile(code: string, filename: string): void;
  paths: string[];
};
type ModuleStatics = typeof Module & { _nodeModulePaths(from: string): string[] };

/**
 * Evaluate a bundle. Node's CommonJS loader is used (not vm), so stack traces
 * map back to the user's TypeScript through the inline source map.
 */
export function requireBuilt(built: BuiltModule): Record<string, unknown> {
  const code = fs.readFileSync(built.outfile, 'utf8');
  const m = new Module(built.outfile) as InternalModule;
  m.filename = built.outfile;
  // Packages resolve from the user's folder, where their node_modules are.
  m.paths = (Module as ModuleStatics)._nodeModulePaths(path.dirname(built.entry));
  const plainRequire = m.require.bind(m);
  m.require = Object.assign(
    (id: string) => (id === 'celeriac' ? runtimeExports() : plainRequire(id)),
    plainRequire,
  ) as NodeJS.Require;
  m._compile(code, built.outfile);
  return m.exports as Record<string, unknown>;
}

function runtimeExports(): unknown {
  // Lazy: the public index imports much of the runtime; loading it here at
  // module scope would make a cycle for callers inside the runtime.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../index');
}

function isApp(v: unknown): v is App {
  const { App: AppClass } = require('../app/app') as typeof import('../app/app');
  return v instanceof AppClass;
}

/** The app a module defines: `default`, `app` or `celery` export, any exported app, or the one it created. */
export function findApp(exports: Record<string, unknown>, createdDuringLoad: readonly App[]): App | undefined {
  for (const key of ['default', 'app', 'celery']) if (isApp(exports[key])) return exports[key] as App;
  for (const v of Object.values(exports)) if (isApp(v)) return v;
  return createdDuringLoad[createdDuringLoad.length - 1];
}

export interface LoadedTaskModule {
  built: BuiltModule;
  exports: Record<string, unknown>;
  /** Undefined when the module only defines shared tasks. */
  app: App | undefined;
}

export function loadBuiltModule(built: BuiltModule): LoadedTaskModule {
  const { createdApps } = require('../app/app') as typeof import('../app/app');
  const before = new Set(createdApps());
  const exports = requireBuilt(built);
  const created = [...createdApps()].filter((a) => !before.has(a));
  return { built, exports, app: findApp(exports, created) };
}

export async function loadTaskModule(entry: string): Promise<LoadedTaskModule> {
  return loadBuiltModule(await buildTaskModule(entry));
}
