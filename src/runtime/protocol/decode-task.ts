/**
 * Celery message protocol v2 for task messages: reading one, defensively.
 * Any message from the wire may be wrong; the result is either a task request
 * or a reason that names what is wrong, never a throw.
 */
import { bodyByteLength, type BrokerMessage } from './message';
import { deserializeBody } from './serializer';
import { parseIso } from './iso-time';
import type { Embed, SignatureJson, TimeLimit } from './task-message';

export interface DecodedTask {
  id: string;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: Embed;
  retries: number;
  /** As received (ISO string), and parsed. */
  eta: string | null;
  etaMs: number | null;
  expires: string | null;
  expiresMs: number | null;
  timeLimit: TimeLimit;
  rootId: string;
  parentId: string | null;
  group: string | null;
  groupIndex: number | null;
  shadow: string | null;
  origin: string | null;
  ignoreResult: boolean;
  argsrepr: string | null;
  kwargsrepr: string | null;
  lang: string | null;
  replyTo: string | null;
  correlationId: string | null;
  priority: number | null;
  /** All headers as received, including ones this runtime does not interpret. */
  headers: Record<string, unknown>;
}

export type DecodeResult = { ok: true; task: DecodedTask } | { ok: false; reason: string; id: string | null };

export interface DecodeLimits {
  /** Bodies larger than this are rejected (bytes). */
  maxBodyBytes: number;
}

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const OPTIONAL_STRING_HEADERS = ['eta', 'expires', 'parent_id', 'group', 'shadow', 'origin', 'argsrepr', 'kwargsrepr', 'lang', 'root_id'] as const;

function firstNonString(h: Record<string, unknown>): string | undefined {
  for (const key of OPTIONAL_STRING_HEADERS) {
    const v = h[key];
    if (v !== undefined && v !== null && typeof v !== 'string') return key;
  }
  return undefined;
}

function optNumber(v: unknown): number | null | undefined {
  if (v === undefined || v === null) return null;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isSignature(v: unknown): v is SignatureJson {
  return isPlainObject(v) && typeof v.task === 'string';
}

function decodeSignatureList(v: unknown, field: string): SignatureJson[] | null | Error {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every(isSignature)) return new Error(`embed.${field} must be a list of signatures`);
  return v;
}

function decodeEmbed(v: unknown): Embed | Error {
  if (v === undefined || v === null) return { callbacks: null, errbacks: null, chain: null, chord: null };
  if (!isPlainObject(v)) return new Error('body[2] (embed) must be an object');
  const callbacks = decodeSignatureList(v.callbacks, 'callbacks');
  if (callbacks instanceof Error) return callbacks;
  const errbacks = decodeSignatureList(v.errbacks, 'errbacks');
  if (errbacks instanceof Error) return errbacks;
  const chain = decodeSignatureList(v.chain, 'chain');
  if (chain instanceof Error) return chain;
  const chord = v.chord === undefined || v.chord === null ? null : v.chord;
  if (chord !== null && !isSignature(chord)) return new Error('embed.chord must be a signature');
  return { callbacks, errbacks, chain, chord };
}

/** The best id to name a message by in a log line, even when it is malformed. */
export function messageIdForLog(message: BrokerMessage): string | null {
  const h = message.headers;
  if (isPlainObject(h) && typeof h.id === 'string') return h.id;
  const cid = message.properties?.correlation_id;
  if (typeof cid === 'string' && cid) return cid;
  const tag = message.properties?.delivery_tag;
  return typeof tag === 'string' || typeof tag === 'number' ? String(tag) : null;
}

/** Not a closure in decodeTaskMessage: that runs for every message received. */
function failure(id: string | null, reason: string): DecodeResult {
  return { ok: false, reason, id };
}

export function decodeTaskMessage(message: BrokerMessage, limits?: DecodeLimits): DecodeResult {
  let id: string | null = null;
  try {
    if (typeof message !== 'object' || message === null) return failure(id, 'not a message');
    id = messageIdForLog(message);
    const max = limits?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const size = bodyByteLength(message.body ?? '');
    if (size > max) return failure(id, `body is ${size} bytes, over the limit of ${max} bytes (task_message_max_bytes)`);

    const h = message.headers;
    if (!isPlainObject(h)) return failure(id, 'message has no headers: not a Celery protocol v2 task message');
    if (typeof h.task !== 'string' || h.task === '') {
      return failure(id, 
        h.task === undefined
          ? "missing header 'task': not a Celery protocol v2 task message (protocol v1 is not supported)"
          : "header 'task' must be a non-empty string",
      );
    }
    if (typeof h.id !== 'string' || h.id === '') return failure(id, "missing header 'id' (the task id)");

    const body = deserializeBody(message);
    if (!body.ok) return failure(id, body.reason);
    const b = body.value;
    if (!Array.isArray(b) || b.length < 2 || b.length > 3) {
      return failure(id, 'body must be a JSON list [args, kwargs, embed]');
    }
    const [args, kwargs, rawEmbed] = b as [unknown, unknown, unknown];
    if (!Array.isArray(args)) return failure(id, 'body[0] (args) must be a list');
    if (!isPlainObject(kwargs)) return failure(id, 'body[1] (kwargs) must be an object');
    const embed = decodeEmbed(rawEmbed);
    if (embed instanceof Error) return failure(id, embed.message);

    // Optional string headers: absent or null means null; anything else but a string is an error.
    const badString = firstNonString(h);
    if (badString) return failure(id, `header '${badString}' must be a string or null, got ${typeof h[badString]}`);
    const strings = h as Record<(typeof OPTIONAL_STRING_HEADERS)[number], string | null | undefined>;
    const eta = strings.eta ?? null;
    const expires = strings.expires ?? null;
    let etaMs: number | null = null;
    if (eta !== null) {
      const parsed = parseIso(eta);
      if (parsed === undefined) return failure(id, `header 'eta' is not an ISO-8601 time: '${eta}'`);
      etaMs = parsed;
    }
    let expiresMs: number | null = null;
    if (expires !== null) {
      const parsed = parseIso(expires);
      if (parsed === undefined) return failure(id, `header 'expires' is not an ISO-8601 time: '${expires}'`);
      expiresMs = parsed;
    }
    const retries = h.retries === undefined || h.retries === null ? 0 : h.retries;
    if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0) {
      return failure(id, "header 'retries' must be a non-negative integer");
    }
    let timeLimit: TimeLimit = [null, null];
    if (h.timelimit !== undefined && h.timelimit !== null) {
      const tl = h.timelimit;
      const hard = Array.isArray(tl) ? optNumber(tl[0]) : undefined;
      const soft = Array.isArray(tl) ? optNumber(tl[1]) : undefined;
      if (!Array.isArray(tl) || tl.length !== 2 || hard === undefined || soft === undefined) {
        return failure(id, "header 'timelimit' must be [hard, soft] seconds (numbers or null)");
      }
      timeLimit = [hard, soft];
    }
    const groupIndex = optNumber(h.group_index);
    if (groupIndex === undefined) return failure(id, "header 'group_index' must be a number or null");

    const props = message.properties ?? {};
    const priority = optNumber(props.priority);
    return {
      ok: true,
      task: {
        id: h.id,
        task: h.task,
        args,
        kwargs,
        embed,
        retries,
        eta,
        etaMs,
        expires,
        expiresMs,
        timeLimit,
        rootId: strings.root_id ?? h.id,
        parentId: strings.parent_id ?? null,
        group: strings.group ?? null,
        groupIndex,
        shadow: strings.shadow ?? null,
        origin: strings.origin ?? null,
        ignoreResult: h.ignore_result === true,
        argsrepr: strings.argsrepr ?? null,
        kwargsrepr: strings.kwargsrepr ?? null,
        lang: strings.lang ?? null,
        replyTo: typeof props.reply_to === 'string' ? props.reply_to : null,
        correlationId: typeof props.correlation_id === 'string' ? props.correlation_id : null,
        priority: priority ?? null,
        headers: h,
      },
    };
  } catch (err) {
    // Defensive: nothing above should throw, but a worker must never die of a message.
    return failure(id, `could not decode message (${(err as Error).message})`);
  }
}
