/**
 * A throw-away redis-server (or sentinel) on a spare port, for tests that need
 * to stop, restart or configure a server: started inside the test, stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  pid: number;
  process: ChildProcess;
  dir: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Start `redis-server <args>`; resolves once it logs `readyLine`. */
export async function startRedisServer(
  args: string[],
  options: { port?: number; readyLine?: RegExp; configFile?: string } = {},
): Promise<RedisServer> {
  const port = options.port ?? (await sparePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-redis-'));
  const argv = [
    ...(options.configFile ? [options.configFile] : []),
    ...(args.includes('--tls-port') ? [] : ['--port', String(port)]),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    ...args,
  ];
  const child = spawn('redis-server', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const ready = options.readyLine ?? /Ready to accept connections/;
    const timer = setTimeout(() => reject(new Error(`redis-server ${argv.join(' ')} did not start:\n${log}`)), 10_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (ready.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${log}`));
    });
  });
  return {
    port,
    pid: child.pid!,
    process: child,
    dir,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
