/**
 * Celery message protocol v2 for task messages: building one.
 * Header order and defaults follow what Celery 5.2 writes (see the captures in
 * shared/fixtures/celery and its README §1).
 */
import type { BrokerMessage, MessageProperties } from './message';
import { argsRepr, kwargsRepr } from './pyrepr';
import { parseIso, toCeleryIso } from './iso-time';
import { JSON_CONTENT_TYPE, UTF8 } from './serializer';

/** A signature as it travels inside `embed` (callbacks, errbacks, chain, chord). */
export interface SignatureJson {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  subtask_type: string | null;
  immutable: boolean;
  [key: string]: unknown;
}

export interface Embed {
  callbacks: SignatureJson[] | null;
  errbacks: SignatureJson[] | null;
  /** Remaining chain steps in reverse order: the next step is the last element. */
  chain: SignatureJson[] | null;
  chord: SignatureJson | null;
}

export type TaskBody = [unknown[], Record<string, unknown>, Embed];

export type TimeLimit = [hard: number | null, soft: number | null];

export interface TaskMessageFields {
  id: string;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed?: Partial<Embed>;
  /** ISO string as received, or ms since epoch. */
  eta?: string | number | null;
  expires?: string | number | null;
  retries?: number;
  timeLimit?: TimeLimit;
  rootId?: string | null;
  parentId?: string | null;
  group?: string | null;
  groupIndex?: number | null;
  shadow?: string | null;
  origin: string;
  ignoreResult?: boolean;
  argsrepr?: string;
  kwargsrepr?: string;
  lang?: string;
  replyTo?: string;
  correlationId?: string;
  priority?: number;
  deliveryMode?: number;
  /** Extra headers (e.g. `redelivered`, stamps) kept after Celery's own. */
  extraHeaders?: Record<string, unknown>;
  /** Now, for computing `expiration` (ms); defaults to Date.now(). */
  now?: number;
}

export const EMPTY_EMBED: Readonly<Embed> = Object.freeze({ callbacks: null, errbacks: null, chain: null, chord: null });

function isoOrNull(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? toCeleryIso(value) : value;
}

export function buildTaskBody(args: unknown[], kwargs: Record<string, unknown>, embed?: Partial<Embed>): TaskBody {
  return [
    args,
    kwargs,
    embed
      ? {
          callbacks: embed.callbacks ?? null,
          errbacks: embed.errbacks ?? null,
          chain: embed.chain ?? null,
          chord: embed.chord ?? null,
        }
      : { callbacks: null, errbacks: null, chain: null, chord: null },
  ];
}

export function buildTaskHeaders(f: TaskMessageFields): Record<string, unknown> {
  const headers: Record<string, unknown> = {
    lang: f.lang ?? 'js',
    task: f.task,
    id: f.id,
    shadow: f.shadow ?? null,
    eta: isoOrNull(f.eta),
    expires: isoOrNull(f.expires),
    group: f.group ?? null,
    group_index: f.groupIndex ?? null,
    retries: f.retries ?? 0,
    timelimit: f.timeLimit ?? [null, null],
    root_id: f.rootId ?? f.id,
    parent_id: f.parentId ?? null,
    argsrepr: f.argsrepr ?? argsRepr(f.args),
    kwargsrepr: f.kwargsrepr ?? kwargsRepr(f.kwargs),
    origin: f.origin,
    ignore_result: f.ignoreResult ?? false,
  };
  if (f.extraHeaders) Object.assign(headers, f.extraHeaders);
  return headers;
}

export function buildTaskProperties(f: TaskMessageFields): MessageProperties {
  const props: MessageProperties = {
    correlation_id: f.correlationId ?? f.id,
    reply_to: f.replyTo ?? '',
    delivery_mode: f.deliveryMode ?? 2,
    priority: f.priority ?? 0,
  };
  if (f.expires !== null && f.expires !== undefined) {
    // parseIso, not Date.parse: a string without an offset is UTC (as decodeTaskMessage reads it), not local time.
    const expiresMs = typeof f.expires === 'number' ? f.expires : parseIso(f.expires);
    if (expiresMs !== undefined && !Number.isNaN(expiresMs)) {
      props.expiration = String(Math.max(0, Math.floor(expiresMs - (f.now ?? Date.now()))));
    }
  }
  return props;
}

/** A complete protocol v2 task message, JSON-serialized. */
export function encodeTaskMessage(f: TaskMessageFields): BrokerMessage {
  return {
    body: JSON.stringify(buildTaskBody(f.args, f.kwargs, f.embed)),
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: UTF8,
    headers: buildTaskHeaders(f),
    properties: buildTaskProperties(f),
  };
}
