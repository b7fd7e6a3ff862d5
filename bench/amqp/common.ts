/**
 * Shared pieces of the AMQP suite: the RabbitMQ it runs on, the workload
 * (20,000 no-op tasks of ~300 B enqueued, then drained by a fresh worker at
 * concurrency 100, then sequential enqueue→start samples), Celery-format task
 * messages for the systems that publish raw, a queue of its own per system and
 * round (deleted afterwards with its exchange), and the meters.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as amqp from 'amqplib';

/** The broker every system uses (the tests' variable; guest/guest on loopback by default). */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Tasks enqueued, then drained. */
export const DRAIN_TASKS = 20_000;
/** Worker concurrency for the drain (and the running worker of the latency test). */
export const CONCURRENCY = 100;
/** Prefetch of the raw amqplib consumer (basic.qos). */
export const RAW_PREFETCH = 100;
/** Publishes waiting for their confirm at once, for the enqueue of Celeriac and raw amqplib. */
export const ENQUEUE_WINDOW = 500;
/** Sequential enqueue→start samples. */
export const LATENCY_SAMPLES = 500;

/** The task argument: a 250-character string (≈300 B of JSON with the body around it). */
export const PAYLOAD = 'x'.repeat(250);

/** A queue name of its own for one system in one round: `celeriac-bench.<pid>.<system>.<round>`. */
export function benchQueue(system: string, round: number): string {
  return `celeriac-bench.${process.pid}.${system}.${round}`;
}

/** What one system measured in one round; undefined fields were not measured. */
export interface SystemSample {
  /** Tasks (or raw messages) per second put on the broker by the system's own client. */
  enqueuePerSec?: number;
  /** Tasks (or raw messages) per second for the drain of DRAIN_TASKS. */
  drainPerSec: number;
  /** Worker CPU µs per task during the drain (user + system). */
  cpuUsPerTask?: number;
  /** RabbitMQ CPU µs per task during the drain (the whole server: other clients of it count too). */
  brokerCpuUsPerTask?: number;
  /** Enqueue→start latencies in ms. */
  latenciesMs: number[];
  /** Other figures a system reports (e.g. the Python worker's start-up time). */
  extra?: Record<string, number>;
}

/** Thrown by a system that cannot run here (missing dependency). */
export class Skip extends Error {}

export interface BenchSystem {
  /** Row label in the table. */
  name: string;
  /** Column label when Celeriac is compared with it. */
  short: string;
  /** Enqueue, drain and latency on `queue` (new, unused), closing everything it opened. */
  run(queue: string): Promise<SystemSample>;
}

/** A connection as the bench's own tools use it (Nagle off: see PERF-NOTES). */
export async function connect(): Promise<amqp.ChannelModel> {
  try {
    const conn = await amqp.connect(AMQP_URL, { noDelay: true });
    conn.on('error', () => undefined);
    return conn;
  } catch (err) {
    throw new Error(`the amqp bench needs RabbitMQ at ${AMQP_URL.replace(/\/\/[^@]*@/, '//')}: ${(err as Error).message}`);
  }
}

/** Celery's layout for a task queue `q`: a durable direct exchange `q`, a durable queue `q`, bound with key `q`. */
export async function declareCeleryQueue(ch: amqp.Channel, queue: string): Promise<void> {
  await ch.assertExchange(queue, 'direct', { durable: true, autoDelete: false });
  await ch.assertQueue(queue, { durable: true, autoDelete: false, exclusive: false });
  await ch.bindQueue(queue, queue, queue);
}

/**
 * Run `fn`, then delete `queue` and the exchange of the same name (Celery and
 * Celeriac declare one per queue). Exchanges named in `alsoExchanges` are
 * deleted too, if `fn` created them (they did not exist before).
 */
export async function withQueue<T>(queue: string, fn: () => Promise<T>, alsoExchanges: readonly string[] = []): Promise<T> {
  const admin = await connect();
  try {
    const preexisting = new Set<string>();
    for (const ex of alsoExchanges) if (await exchangeExists(admin, ex)) preexisting.add(ex);
    try {
      return await fn();
    } finally {
      await withChannel(admin, (ch) => ch.deleteQueue(queue));
      await withChannel(admin, (ch) => ch.deleteExchange(queue));
      for (const ex of alsoExchanges) if (!preexisting.has(ex)) await withChannel(admin, (ch) => ch.deleteExchange(ex));
    }
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** `fn` on a channel of its own (a failed check or delete closes it), errors ignored. */
async function withChannel(conn: amqp.ChannelModel, fn: (ch: amqp.Channel) => Promise<unknown>): Promise<boolean> {
  let ch: amqp.Channel | undefined;
  try {
    ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await fn(ch);
    return true;
  } catch {
    return false;
  } finally {
    await ch?.close().catch(() => undefined);
  }
}

function exchangeExists(conn: amqp.ChannelModel, name: string): Promise<boolean> {
  return withChannel(conn, (ch) => ch.checkExchange(name));
}

export { sleep, signal, waitUntil, within } from '../waiting';

/**
 * Run `count` calls of `send` with at most `window` unsettled at once (a new
 * one starts as each settles), as a producer streaming confirms does. Resolves
 * with the seconds taken.
 */
export function streamed(count: number, window: number, send: () => Promise<unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let started = 0;
    let settled = 0;
    let failed = false;
    const next = (): void => {
      if (failed) return;
      if (settled === count) return resolve((performance.now() - t0) / 1000);
      if (started < count) {
        started++;
        send().then(
          () => {
            settled++;
            next();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
    };
    for (let i = 0; i < Math.min(window, count); i++) next();
    if (count === 0) resolve(0);
  });
}

/** Publish on a confirm channel; resolves on the broker's confirm. */
export function publishConfirmed(ch: amqp.ConfirmChannel, queue: string, m: CeleryMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    ch.publish('', queue, m.content, m.options, (err) => (err ? reject(err) : resolve()));
  });
}

/** Publish `count` messages made by `make` to `queue` with streamed confirms (a prefill; returns seconds). */
export async function prefill(queue: string, count: number, make: () => CeleryMessage): Promise<number> {
  const conn = await connect();
  try {
    const ch = await conn.createConfirmChannel();
    await declareCeleryQueue(ch, queue);
    return await streamed(count, ENQUEUE_WINDOW, () => publishConfirmed(ch, queue, make()));
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** A task message as AMQP carries it: the body and the basic properties. */
export interface CeleryMessage {
  id: string;
  content: Buffer;
  options: amqp.Options.Publish;
}

const ORIGIN = `gen${process.pid}@bench`;
const REPLY_TO = randomUUID();
const EMBED = { callbacks: null, errbacks: null, chain: null, chord: null };

/**
 * One task message as Celery 5.2 / py-amqp publish it (shared/fixtures/celery
 * README §1 and §4): protocol v2 headers in Celery's order, the body
 * `[args, kwargs, embed]` as UTF-8 JSON, and the basic properties.
 */
export function celeryTaskMessage(task: string, args: unknown[]): CeleryMessage {
  const id = randomUUID();
  return {
    id,
    content: Buffer.from(JSON.stringify([args, {}, EMBED]), 'utf8'),
    options: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 0,
      correlationId: id,
      replyTo: REPLY_TO,
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
    },
  };
}

/** Python's repr of an args tuple, for display only (strings and numbers are enough here). */
function pyReprArgs(args: unknown[]): string {
  const items = args.map((a) => (typeof a === 'string' ? `'${a.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(a)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** CPU time (user + system) of this process in µs. */
export function processCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** USER_HZ: /proc times are in 1/100 s on Linux. */
const CLK_TCK = 100;

let brokerPids: number[] | undefined;

/**
 * CPU µs (user + system) of the RabbitMQ server (its `beam.smp` processes,
 * read from /proc); NaN when none is visible (e.g. RabbitMQ in another container).
 */
export function brokerCpuUs(): number {
  brokerPids ??= fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e) && readOr(`/proc/${e}/comm`).trim() === 'beam.smp').map(Number);
  if (brokerPids.length === 0) return NaN;
  let ticks = 0;
  for (const pid of brokerPids) {
    const stat = readOr(`/proc/${pid}/stat`);
    if (!stat) return NaN; // restarted meanwhile
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1e6) / CLK_TCK;
}

function readOr(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Times a drain: wall clock, worker CPU (`workerCpuUs`) and RabbitMQ CPU. */
export class DrainMeter {
  private readonly broker0: number;
  private readonly cpu0: number;
  private readonly t0: number;

  constructor(private readonly workerCpuUs: () => number = processCpuUs) {
    this.broker0 = brokerCpuUs();
    this.cpu0 = workerCpuUs();
    this.t0 = performance.now();
  }

  stop(tasks: number): Pick<SystemSample, 'drainPerSec' | 'cpuUsPerTask' | 'brokerCpuUsPerTask'> {
    const seconds = (performance.now() - this.t0) / 1000;
    const cpuUs = this.workerCpuUs() - this.cpu0;
    const brokerUs = brokerCpuUs() - this.broker0;
    return { drainPerSec: tasks / seconds, cpuUsPerTask: cpuUs / tasks, brokerCpuUsPerTask: brokerUs / tasks };
  }
}
