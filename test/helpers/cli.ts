/** Run the real `celeriac` CLI (from source, through tsx) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const CLI_ENTRY = path.join(__dirname, '..', '..', 'src', 'runtime', 'cli', 'bin.ts');
const TSX = require.resolve('tsx/cjs');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment without the caller's broker settings, so tests choose their own. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['CELERIAC_BROKER_URL', 'CELERY_BROKER_URL', 'CELERIAC_RESULT_BACKEND', 'CELERY_RESULT_BACKEND', 'CELERIAC_MEMORY_SOCKET', 'CELERIAC_LOG_LEVEL']) {
    delete env[k];
  }
  return { ...env, ...extra };
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): ChildProcess {
  return spawn(process.execPath, ['--require', TSX, CLI_ENTRY, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function collect(child: ChildProcess, timeoutMs = 30_000): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`celeriac ${child.spawnargs.slice(3).join(' ')} did not exit in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
}

export function runCli(args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<CliRun> {
  return collect(startCli(args, env), timeoutMs);
}

/** Resolves once the child's stdout+stderr contain `text`. */
export function waitForOutput(child: ChildProcess, text: string | RegExp, timeoutMs = 20_000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${text}' in output within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) {
        clearTimeout(timer);
        child.stdout?.off('data', on);
        child.stderr?.off('data', on);
        resolve(seen);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}
