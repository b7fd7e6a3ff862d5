/** The remote-control methods a worker answers, with Celery's names and reply shapes. */
import * as os from 'node:os';
import type { Worker } from '../worker/worker';

/** Returned by a handler that must not reply (shutdown, as Celery). */
export const NO_REPLY = Symbol('no reply');

type Handler = (worker: Worker, args: Record<string, unknown>) => unknown | Promise<unknown>;

function ids(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return typeof v === 'string' ? [v] : [];
}

/**
 * A signal named as Celery's clients name it ('SIGKILL', 'KILL' or 9, as
 * Python's signal module accepts), in Node's spelling; SIGTERM when none is given.
 */
function signalName(v: unknown): NodeJS.Signals {
  if (v === null || v === undefined || v === '') return 'SIGTERM';
  const known = os.constants.signals as Record<string, number>;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) {
    const name = Object.keys(known).find((k) => known[k] === Number(v));
    if (name) return name as NodeJS.Signals;
  } else if (typeof v === 'string') {
    const upper = v.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (name in known) return name as NodeJS.Signals;
  }
  throw new Error(`unknown signal ${JSON.stringify(v)}`);
}

function optNumber(v: unknown): number | null {
  return v === null || v === undefined || v === '' ? null : Number(v);
}

export const CONTROL_HANDLERS: Record<string, Handler> = {
  ping: () => ({ ok: 'pong' }),
  hello: (w, a) => {
    // A worker does not greet itself.
    if (a.from_node === w.hostname) return NO_REPLY;
    return { revoked: w.revokedForMingle(), clock: w.clock.current };
  },
  active: (w) => w.inspectRequests('active'),
  reserved: (w) => w.inspectRequests('reserved'),
  scheduled: (w) => w.inspectRequests('scheduled'),
  registered: (w) => [...w.app.tasks.keys()].sort(),
  stats: (w) => w.stats(),
  revoked: (w) => w.revokedIds(),
  active_queues: (w) =>
    w.queues.map((name) => ({
      name,
      exchange: { name, type: 'direct', durable: true, auto_delete: false, passive: false, arguments: null },
      routing_key: name,
      queue_arguments: null,
      binding_arguments: null,
      consumer_arguments: null,
      durable: true,
      exclusive: false,
      auto_delete: false,
      no_ack: false,
      alias: null,
      bindings: [],
      no_declare: null,
      expires: null,
      message_ttl: null,
      max_length: null,
      max_length_bytes: null,
      max_priority: null,
    })),
  query_task: (w, a) => w.queryTasks(ids(a.ids ?? a.id)),
  revoke: (w, a) => {
    const taskIds = ids(a.task_id);
    const signal = a.terminate ? signalName(a.signal) : 'SIGTERM';
    const terminated = w.revoke(taskIds, { terminate: Boolean(a.terminate), signal });
    return {
      ok: `tasks ${taskIds.join(', ')} flagged as revoked` + (a.terminate ? `; terminated: ${terminated.join(', ') || 'none running here'}` : ''),
    };
  },
  terminate: (w, a) => {
    const taskIds = ids(a.task_id);
    w.revoke(taskIds, { terminate: true, signal: signalName(a.signal) });
    return { ok: `terminate: tasks ${taskIds.join(', ')} flagged as revoked` };
  },
  rate_limit: (w, a) => {
    const name = String(a.task_name);
    if (!w.app.tasks.has(name)) return { error: `unknown task ${name}` };
    w.setRateLimit(name, (a.rate_limit as string | number | null) ?? null);
    return { ok: a.rate_limit ? 'new rate limit set successfully' : 'rate limit disabled successfully' };
  },
  time_limit: (w, a) => {
    const name = String(a.task_name);
    if (!w.app.tasks.has(name)) return { error: `unknown task ${name}` };
    w.setTimeLimit(name, optNumber(a.soft), optNumber(a.hard));
    return { ok: 'time limits set successfully' };
  },
  add_consumer: async (w, a) => {
    const queue = String(a.queue);
    return (await w.addConsumer(queue)) ? { ok: `add consumer ${queue}` } : { ok: `already consuming from ${queue}` };
  },
  cancel_consumer: async (w, a) => {
    const queue = String(a.queue);
    return (await w.cancelConsumer(queue)) ? { ok: `no longer consuming from ${queue}` } : { error: `not consuming from ${queue}` };
  },
  pool_restart: async (w) => {
    await w.restartPool();
    return { ok: 'reload started' };
  },
  shutdown: (w) => {
    // Celery answers nothing: the worker just goes (warm).
    setImmediate(() => void w.stop());
    return NO_REPLY;
  },
};
