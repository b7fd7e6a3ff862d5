/**
 * Shared pieces of the Redis suite: one Redis database (db 14) emptied before
 * and after every system, the workload (20,000 no-op tasks of ~300 B, then
 * 1,000 sequential enqueue→start samples), and the result each system returns.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { sleep } from '../waiting';

export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 6379;
/** The only database this suite touches (FLUSHDB before and after each system). */
export const REDIS_DB = 14;
export const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}/${REDIS_DB}`;

/** Tasks prefilled for the drain. */
export const DRAIN_TASKS = 20_000;
/** Worker concurrency for the drain (and the running worker of the latency test). */
export const CONCURRENCY = 100;
/** Sequential enqueue→start samples. */
export const LATENCY_SAMPLES = 1_000;
/** Queue (or list) name used by every system. */
export const QUEUE = 'bench';

/**
 * The task argument: a 250-character string. With the JSON around it each task
 * carries ≈300 B of application payload (Celery's envelope adds its headers).
 */
export const PAYLOAD = 'x'.repeat(250);

/** What one system measured in one round; undefined fields were not measured. */
export interface SystemSample {
  /** Tasks (or raw messages) per second for the drain of DRAIN_TASKS. */
  drainPerSec: number;
  /** Worker CPU µs per task during the drain (user + system). */
  cpuUsPerTask?: number;
  /** Redis server CPU µs per task during the drain (the whole server: other clients of it count too). */
  redisCpuUsPerTask?: number;
  /** Enqueue→start latencies in ms. */
  latenciesMs: number[];
  /** Other figures a system reports (e.g. the Python worker's start-up time). */
  extra?: Record<string, number>;
}

/** Thrown by a system that cannot run here (missing dependency, broker not written yet). */
export class Skip extends Error {}

export interface BenchSystem {
  /** Row label in the table. */
  name: string;
  /** Column label when Celeriac is compared with it. */
  short: string;
  /** One drain + one latency run, on an emptied db 14, closing everything it opened. */
  run(): Promise<SystemSample>;
}

/** A plain connection to db 14, for prefill, polling and FLUSHDB. */
export function adminClient(): Redis {
  return new Redis({ host: REDIS_HOST, port: REDIS_PORT, db: REDIS_DB, maxRetriesPerRequest: 2, lazyConnect: true });
}

/** Connect or fail with a message that says what the suite needs. */
export async function connectAdmin(): Promise<Redis> {
  const client = adminClient();
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new Error(`the redis bench needs Redis at ${REDIS_HOST}:${REDIS_PORT}: ${(err as Error).message}`);
  }
  return client;
}

/**
 * FLUSHDB of db 14 (and only db 14) around `fn`; afterwards, say so if `label`
 * left connections to db 14 open (each system must close what it opened).
 */
export async function withCleanDb<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const admin = await connectAdmin();
  try {
    await admin.flushdb();
    return await fn();
  } finally {
    await admin.flushdb().catch(() => undefined);
    const left = await leftoverClients(admin).catch(() => []);
    if (left.length) process.stdout.write(`  warning: ${label} left ${left.length} connection(s) to db ${REDIS_DB} open (last commands: ${left.join(', ')})\n`);
    await admin.quit().catch(() => admin.disconnect());
  }
}

/** Last commands of the other connections on db 14, after giving closing ones up to 2 s to go. */
async function leftoverClients(admin: Redis): Promise<string[]> {
  const me = String(await admin.client('ID'));
  let left: string[] = [];
  for (let i = 0; i < 40; i++) {
    const list = String(await admin.client('LIST'));
    left = list
      .split('\n')
      .filter((l) => new RegExp(`\\bdb=${REDIS_DB}\\b`).test(l) && !l.startsWith(`id=${me} `))
      .map((l) => /\bcmd=(\S+)/.exec(l)?.[1] ?? '?');
    if (!left.length) break;
    await sleep(50);
  }
  return left;
}

export { sleep, signal, waitUntil, within } from '../waiting';

/** CPU time (user + system) of the Redis server in µs (INFO cpu: all its threads, all clients). */
export async function redisServerCpuUs(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const field = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/**
 * Times a drain: wall clock, worker CPU (`workerCpuUs`) and Redis server CPU.
 * The INFO round trips happen before the clock starts and after it stops.
 */
export class DrainMeter {
  private t0 = 0;
  private cpu0 = 0;
  private redis0 = 0;

  private constructor(
    private readonly client: Redis,
    private readonly workerCpuUs: () => number,
  ) {}

  static async start(workerCpuUs: () => number = processCpuUs): Promise<DrainMeter> {
    const meter = new DrainMeter(await connectAdmin(), workerCpuUs);
    meter.redis0 = await redisServerCpuUs(meter.client);
    meter.cpu0 = workerCpuUs();
    meter.t0 = performance.now();
    return meter;
  }

  async stop(tasks: number): Promise<Pick<SystemSample, 'drainPerSec' | 'cpuUsPerTask' | 'redisCpuUsPerTask'>> {
    const seconds = (performance.now() - this.t0) / 1000;
    const cpuUs = this.workerCpuUs() - this.cpu0;
    try {
      const redisUs = (await redisServerCpuUs(this.client)) - this.redis0;
      return { drainPerSec: tasks / seconds, cpuUsPerTask: cpuUs / tasks, redisCpuUsPerTask: redisUs / tasks };
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** CPU time (user + system) of this process in µs. */
export function processCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * One task message as Celery 5.2 / kombu 5.2 put it on a Redis list
 * (test/fixtures/celery/README.md §1 and §2.1): protocol v2 headers, a base64
 * JSON body `[args, kwargs, embed]`, and the kombu envelope properties.
 */
export function kombuTaskEnvelope(task: string, args: unknown[], kwargs: Record<string, unknown> = {}, queue = QUEUE): string {
  const id = randomUUID();
  const body = JSON.stringify([args, kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }]);
  return JSON.stringify({
    body: Buffer.from(body, 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: {
      lang: 'py',
      task,
      id,
      shadow: null,
      eta: null,
      expires: null,
      group: null,
      group_index: null,
      retries: 0,
      timelimit: [null, null],
      root_id: id,
      parent_id: null,
      argsrepr: pyReprArgs(args),
      kwargsrepr: '{}',
      origin: ORIGIN,
      ignore_result: true,
    },
    properties: {
      correlation_id: id,
      reply_to: REPLY_TO,
      delivery_mode: 2,
      delivery_info: { exchange: '', routing_key: queue },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID(),
    },
  });
}

const ORIGIN = `gen${process.pid}@bench`;
const REPLY_TO = randomUUID();

/** Python's repr of an args tuple, for display only (strings and numbers are enough here). */
function pyReprArgs(args: unknown[]): string {
  const items = args.map((a) => (typeof a === 'string' ? `'${a.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(a)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** LPUSH `messages` to `key`, 1,000 per command, oldest served first (prefill; not timed). */
export async function bulkLpush(client: Redis, key: string, messages: readonly string[], batch = 1000): Promise<void> {
  for (let i = 0; i < messages.length; i += batch) {
    await client.lpush(key, ...messages.slice(i, i + batch));
  }
}
