/**
 * ioredis clients as the runtime uses them: connect with a deadline and a
 * clear error, log connection loss and recovery once (not every retry), and
 * carry the Lua scripts of scripts/ as commands (EVALSHA, loaded once per connection).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Redis, { type RedisOptions } from 'ioredis';
import { ConnectionError } from '../../errors';
import { settledWithin } from '../../deadline';
import type { Logger } from '../../log';

export interface ScriptCommands {
  fetch(numKeys: number, ...args: (string | number)[]): Promise<(string | number)[]>;
  adopt(holding: string, unacked: string, index: string, list: string, ...args: (string | ((err: Error | null) => void))[]): Promise<number>;
  returnHolding(holding: string, list: string, guard: string, registry: string, ...args: (string | number)[]): Promise<number>;
  requeue(unacked: string, index: string, ...args: string[]): Promise<number>;
  restore(unacked: string, index: string, mutex: string, ...args: (string | number)[]): Promise<number>;
  storeResult(key: string, value: string, ttl: number): Promise<number>;
  lockRenew(key: string, owner: string, ttlMs: number): Promise<number>;
  lockRelease(key: string, owner: string): Promise<number>;
  rateToken(key: string, nowMs: number, intervalMs: number, burst: number): Promise<number>;
  chordPart(joined: string, adjust: string, size: string, index: number, part: string, ttl: number): Promise<(number | string)[]>;
}

export type ScriptedRedis = Redis & ScriptCommands;

const SCRIPTS: { name: keyof ScriptCommands; file: string; keys?: number }[] = [
  { name: 'fetch', file: 'fetch.lua' },
  { name: 'adopt', file: 'adopt.lua', keys: 4 },
  { name: 'returnHolding', file: 'return-holding.lua', keys: 4 },
  { name: 'requeue', file: 'requeue.lua', keys: 2 },
  { name: 'restore', file: 'restore.lua', keys: 3 },
  { name: 'storeResult', file: 'store-result.lua', keys: 1 },
  { name: 'lockRenew', file: 'lock-renew.lua', keys: 1 },
  { name: 'lockRelease', file: 'lock-release.lua', keys: 1 },
  { name: 'rateToken', file: 'rate-token.lua', keys: 1 },
  { name: 'chordPart', file: 'chord-part.lua', keys: 3 },
];

let scriptSources: Map<string, string> | undefined;

function loadScripts(): Map<string, string> {
  if (!scriptSources) {
    scriptSources = new Map(SCRIPTS.map((s) => [s.file, fs.readFileSync(path.join(__dirname, 'scripts', s.file), 'utf8')]));
  }
  return scriptSources;
}

/** Create a client (not yet connected) with the scripts defined on it. */
export function createClient(options: RedisOptions, role: string): ScriptedRedis {
  const client = new Redis({ ...options, connectionName: `${options.connectionName ?? 'celeriac'}:${role}` });
  const sources = loadScripts();
  for (const s of SCRIPTS) {
    const lua = sources.get(s.file)!;
    client.defineCommand(s.name, s.keys === undefined ? { lua } : { lua, numberOfKeys: s.keys });
  }
  return client as ScriptedRedis;
}

/**
 * Report connection loss and recovery once each; ioredis keeps retrying in
 * between. Without an 'error' listener ioredis would crash the process.
 */
export function watchConnection(client: Redis, display: string, log: Logger, role: string): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) {
      down = true;
      log.warn(`lost ${role} connection to ${display} (${err.message}); reconnecting`);
    }
  });
  client.on('ready', () => {
    if (down) {
      down = false;
      log.info(`${role} connection to ${display} is back`);
    }
  });
}

/** Connect, or fail with an error that names the URL (never the password) within `timeoutMs`. */
export async function connectClient(client: Redis, display: string, timeoutMs = 10_000): Promise<void> {
  let lastError: Error | undefined;
  const onError = (err: Error) => (lastError = err);
  client.on('error', onError);
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new ConnectionError(`cannot connect to ${display} within ${timeoutMs / 1000}s (${lastError?.message ?? 'no answer'})`)),
          timeoutMs,
        ).unref(),
      ),
    ]);
  } catch (err) {
    client.disconnect();
    if (err instanceof ConnectionError) throw err;
    // ioredis gives up with a bare "Connection is closed."; the socket's own error says why (ECONNREFUSED, …).
    throw new ConnectionError(`cannot connect to ${display}: ${(lastError ?? (err as Error)).message}`);
  } finally {
    client.off('error', onError);
  }
}

/** Longest a QUIT may take before the connection is simply dropped. */
const QUIT_MS = 2000;

/**
 * QUIT (replies still on their way arrive first), or drop the connection when
 * Redis is not there to answer: a QUIT queued for a server that is down would
 * wait for its return.
 */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status !== 'ready' || !(await settledWithin(client.quit(), QUIT_MS))) client.disconnect();
}
