/**
 * How to start a Node child running one of the runtime's own entry files:
 * the built `.js` in a package, or the `.ts` source (through tsx) when the
 * runtime itself runs from source, as in this repository's tests.
 */
import * as path from 'node:path';

export interface ChildEntry {
  file: string;
  execArgv: string[];
}

// Debugger flags would make every child fight for the same inspector port.
function inheritableExecArgv(): string[] {
  return process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
}

/** `relative` is a path from the runtime root without extension, e.g. 'worker/pools/pool-child'. */
export function childEntry(relative: string): ChildEntry {
  const fromSource = __filename.endsWith('.ts');
  const file = path.join(__dirname, relative + (fromSource ? '.ts' : '.js'));
  const execArgv = inheritableExecArgv();
  if (fromSource && !execArgv.some((a) => a.includes('tsx'))) {
    execArgv.push('--require', require.resolve('tsx/cjs'));
  }
  return { file, execArgv };
}
