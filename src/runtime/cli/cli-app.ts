/**
 * What every verb does first: apply -b / --result-backend / -l to the
 * environment (so the user's app picks them up, as Celery's CLI does), load the
 * -A module, and make `memory://` mean something across processes: a worker
 * hosts the embedded broker on a per-user socket (or joins one already there),
 * and client verbs (send, result, purge) talk to it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApp, type App } from '../app/app';
import { HubConnection } from '../brokers/memory/hub-connection';
import { getLocalHub, MEMORY_SOCKET_ENV } from '../brokers/memory/memory-hub';
import { resolveMemoryUrl } from '../brokers/memory/memory-url';
import { serveHub, type HubServer } from '../brokers/memory/hub-server';
import { ConfigError } from '../errors';
import { parseLogLevel } from '../log';
import { loadTaskModule, type LoadedTaskModule } from '../loader/load-task-module';
import { urlScheme } from '../url';
import type { OptionSpec, ParsedValues } from './args';
import { UsageError } from './args';
import type { CliIO } from './io';

export const APP_OPTIONS: Record<string, OptionSpec> = {
  app: { type: 'string', short: 'A', value: 'MODULE', description: 'task module (.ts or .js) that creates the app' },
  broker: {
    type: 'string',
    short: 'b',
    value: 'URL',
    description: 'broker URL, e.g. redis://localhost:6379/0 (env CELERIAC_BROKER_URL; default memory://)',
  },
  'result-backend': { type: 'string', value: 'URL', description: 'result backend URL (env CELERIAC_RESULT_BACKEND)' },
  loglevel: { type: 'string', short: 'l', value: 'LEVEL', description: 'debug, info, warning, error or silent' },
};

/** The per-user socket where a CLI worker hosts `memory://` for other CLI processes. */
export function defaultMemorySocket(): string {
  const dir = path.join(os.tmpdir(), `celeriac-${os.userInfo().uid}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return path.join(dir, 'memory.sock');
}

async function hubAnswers(socketPath: string): Promise<boolean> {
  if (process.platform !== 'win32' && !fs.existsSync(socketPath)) return false;
  try {
    const conn = await HubConnection.connect(socketPath);
    conn.close();
    return true;
  } catch {
    return false;
  }
}

export interface CliApp {
  app: App;
  module?: LoadedTaskModule;
  /** Set when this process hosts the embedded broker for others. */
  hub?: HubServer;
  close(): Promise<void>;
}

export async function loadCliApp(values: ParsedValues, io: CliIO, role: 'worker' | 'client'): Promise<CliApp> {
  if (typeof values.broker === 'string') io.env.CELERIAC_BROKER_URL = values.broker;
  if (typeof values['result-backend'] === 'string') io.env.CELERIAC_RESULT_BACKEND = values['result-backend'];
  const level = typeof values.loglevel === 'string' ? values.loglevel : role === 'worker' ? 'info' : 'warning';
  try {
    parseLogLevel(level);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  io.env.CELERIAC_LOG_LEVEL = level;

  let module: LoadedTaskModule | undefined;
  let app: App;
  if (typeof values.app === 'string') {
    module = await loadTaskModule(values.app);
    app = module.app ?? createApp();
  } else {
    app = createApp();
  }

  let hub: HubServer | undefined;
  if (urlScheme(app.conf.brokerUrl) === 'memory') hub = await attachMemoryHub(app.conf.brokerUrl, io, role);
  return {
    app,
    module,
    hub,
    async close() {
      await app.close();
      await hub?.close();
    },
  };
}

async function attachMemoryHub(brokerUrl: string, io: CliIO, role: 'worker' | 'client'): Promise<HubServer | undefined> {
  const target = resolveMemoryUrl(brokerUrl);
  // Started by a process that hosts the hub (celeriac demo, the extension): use it as is.
  if (target.kind === 'socket' && io.env[MEMORY_SOCKET_ENV] === target.path) return undefined;
  const socketPath = target.kind === 'socket' ? target.path : defaultMemorySocket();
  if (await hubAnswers(socketPath)) {
    io.env[MEMORY_SOCKET_ENV] = socketPath;
    return undefined;
  }
  if (role === 'client') {
    throw new ConfigError(
      `no embedded broker is running at ${socketPath}: memory:// lives inside a worker process. ` +
        'Start one with `celeriac worker -A <module>` (or `celeriac demo`), or use a real broker with -b redis://… or -b amqp://…',
    );
  }
  return serveHub(getLocalHub(), socketPath);
}
