/**
 * One code-server (VS Code 1.100.3's workbench + a Node extension host) for a
 * test session: its own HOME/XDG/TMPDIR, user data and extensions folders, and
 * its own process group (session), so that stopping it also ends the extension
 * host, the file watcher and every worker the extension forked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { waitFor } from './wait';

export interface CodeServerOptions {
  /** code-server's out/node/entry.js. */
  entry: string;
  /** A fresh folder for this server's HOME, data, extensions and temp files. */
  dir: string;
  /** Whether to pass --disable-workspace-trust (every workspace trusted). */
  disableWorkspaceTrust: boolean;
  /** Written to the user settings before start. */
  userSettings: Record<string, unknown>;
  /** Server output lines (stdout + stderr). */
  onOutput?: (line: string) => void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Processes of a session (process group leader = session leader = `sid`), with their command lines. */
export function processesInSession(sid: number): { pid: number; args: string }[] {
  const out: { pid: number; args: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) !== sid) continue; // field 6: session id
      if (fields[0] === 'Z') continue;
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(entry), args });
    } catch {
      // The process went away while we looked.
    }
  }
  return out;
}

export class CodeServer {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process group (and session) id: code-server runs as its leader. */
  get pgid(): number {
    return this.child.pid!;
  }

  static async start(o: CodeServerOptions): Promise<CodeServer> {
    const dirs = {
      home: path.join(o.dir, 'home'),
      data: path.join(o.dir, 'data'),
      exts: path.join(o.dir, 'exts'),
      tmp: path.join(o.dir, 'tmp'),
    };
    for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
    fs.mkdirSync(path.join(dirs.data, 'User'), { recursive: true });
    fs.writeFileSync(path.join(dirs.data, 'User', 'settings.json'), JSON.stringify(o.userSettings, null, 2));
    const port = await freePort();
    const args = [
      o.entry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      dirs.data,
      '--extensions-dir',
      dirs.exts,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      ...(o.disableWorkspaceTrust ? ['--disable-workspace-trust'] : []),
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: dirs.home,
      XDG_CONFIG_HOME: path.join(dirs.home, '.config'),
      XDG_DATA_HOME: path.join(dirs.home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(dirs.home, '.cache'),
      XDG_RUNTIME_DIR: dirs.tmp,
      TMPDIR: dirs.tmp,
    };
    // Variables of the surrounding test run must not reach the extension host or its workers.
    for (const k of Object.keys(env)) if (/^(VSCODE_|ELECTRON_|NODE_OPTIONS$|MOCHA_|npm_)/.test(k)) delete env[k];
    // detached: the child calls setsid(), so it leads a new session and process group.
    const child = spawn(process.execPath, args, { env, cwd: dirs.home, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new CodeServer(child, port, o.dir);
    for (const stream of [child.stdout!, child.stderr!]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const line of lines) o.onOutput?.(line);
      });
    }
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = `code-server exited (${signal ?? `code ${code}`})`));
    await waitFor(
      'code-server /healthz',
      async () => {
        if (exited) throw new Error(exited);
        try {
          const res = await fetch(`${server.url}/healthz`);
          return res.ok;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    return server;
  }

  /** The workbench URL that opens `folder` with this repo's extension loaded from source. */
  workbenchUrl(folder: string, extensionPath: string, extensionTestsPath?: string): string {
    const remote = (p: string) => `vscode-remote://127.0.0.1:${this.port}${p}`;
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', remote(extensionPath)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
    return `${this.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }

  processes(): { pid: number; args: string }[] {
    return processesInSession(this.pgid);
  }

  /** SIGTERM the whole process group, SIGKILL what is left, and check nothing of it survives. */
  async stop(): Promise<void> {
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-this.pgid, sig);
      } catch {
        // The group is already gone.
      }
    };
    signalGroup('SIGTERM');
    try {
      await waitFor('code-server process group to exit', () => this.processes().length === 0, { timeoutMs: 5000, intervalMs: 100 });
    } catch {
      signalGroup('SIGKILL');
      // Also any member that left the group but stayed in the session.
      for (const p of this.processes()) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      await waitFor('code-server process group to die', () => this.processes().length === 0, { timeoutMs: 5000, intervalMs: 100 });
    }
  }
}
