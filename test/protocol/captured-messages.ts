/**
 * Finds the messages inside the Celery 5.2 captures (test/fixtures/celery, see its
 * README): every kombu envelope string on the Redis side, every basic.publish /
 * basic.deliver / basic.get / firehose copy on the AMQP side, and every stored or
 * published result. Walks the whole JSON of each file, so a message is found
 * wherever the capture put it; `path` says where.
 */
import type { BrokerMessage } from '../../src/runtime/protocol';
import { loadFixture } from '../helpers/fixtures';

export type Transport = 'redis' | 'amqp';

/** A task message as captured, and the BrokerMessage a transport would hand to the decoder. */
export interface CapturedTask {
  file: string;
  path: string;
  source: string;
  transport: Transport;
  message: BrokerMessage;
  /** Headers exactly as captured (key order included). */
  headers: Record<string, any>;
  /** The body, JSON-parsed from the captured bytes. */
  body: any;
  /** Captured properties: AMQP basic properties, or the kombu envelope's properties. */
  properties: Record<string, any>;
}

/** A kombu envelope string as it sat in Redis (list element, unacked hash value, pub/sub payload). */
export interface CapturedEnvelope {
  file: string;
  path: string;
  source: string;
  raw: string;
  /** For `HSET unacked` values `[envelope, exchange, routing_key]`: the last two. */
  unackedRoute?: { exchange: string; routingKey: string };
}

/** A result as a backend stored or sent it. */
export interface CapturedResult {
  file: string;
  path: string;
  source: string;
  /** `celery-task-meta-<id>` / `celery-taskset-meta-<id>` key, or `rpc` for an rpc:// reply. */
  key: string;
  raw: string;
}

const META_KEY = /^celery-task(set)?-meta-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Visit = (node: unknown, path: string, key: string, parent: unknown) => void;

function walk(node: unknown, path: string, visit: Visit, key = '', parent: unknown = undefined): void {
  visit(node, path, key, parent);
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${path}[${i}]`, visit, String(i), node));
  else if (isObject(node)) for (const [k, v] of Object.entries(node)) walk(v, `${path}.${k}`, visit, k, node);
}

/**
 * Where in a capture a message was: the Redis command that carried it (`LPUSH`,
 * `RPUSH`, `HSET`, `PUBLISH`), else the capture's top-level key (`published`,
 * `messages`, `firehose`, `db5_after`, `pubsub_messages`, ...).
 */
function sourceOf(path: string, parent: unknown): string {
  if (/^\.redis_commands\[\d+\]\.cmd\[\d+\]$/.test(path) && Array.isArray(parent)) return String(parent[0]);
  return /^\.([^.[]+)/.exec(path)?.[1] ?? path;
}

/** AMQP field tables were captured as `[type_tag, value]`; this drops the tags. */
function untype(typed: any): any {
  if (!Array.isArray(typed) || typed.length !== 2 || typeof typed[0] !== 'string') return typed;
  const [tag, value] = typed;
  if (tag === 'A') return (value as any[]).map(untype);
  if (tag === 'F') return untypeTable(value);
  return value;
}

function untypeTable(table: Record<string, any>): Record<string, any> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, untype(v)]));
}

/** The properties of an AMQP message node, with headers, whichever way the capture stored them. */
function amqpProperties(node: Record<string, any>): Record<string, any> | undefined {
  if (isObject(node.properties)) {
    return isObject(node.headers) && !node.properties.headers ? { ...node.properties, headers: node.headers } : node.properties;
  }
  if (isObject(node.properties_typed)) {
    return { ...node.properties_typed, headers: untypeTable(node.properties_typed.headers ?? {}) };
  }
  return undefined;
}

function isAmqpMessageNode(node: unknown): node is Record<string, any> {
  return isObject(node) && ('body' in node || 'body_decoded' in node) && amqpProperties(node) !== undefined;
}

function amqpBrokerMessage(node: Record<string, any>): BrokerMessage {
  const { content_type, content_encoding, headers, ...rest } = amqpProperties(node)!;
  return {
    // Two basic.get captures in amqp_beat kept only `body_decoded`, not the body bytes.
    body: typeof node.body === 'string' ? node.body : JSON.stringify(node.body_decoded),
    contentType: content_type,
    contentEncoding: content_encoding,
    headers: headers ?? {},
    properties: rest,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isEnvelopeObject(v: unknown): v is Record<string, any> {
  return isObject(v) && typeof v.body === 'string' && 'content-type' in v && isObject(v.headers) && isObject(v.properties);
}

/** A string that is a kombu envelope, or an `unacked` hash value wrapping one. */
function envelopeIn(s: string): { raw: string; unackedRoute?: CapturedEnvelope['unackedRoute'] } | undefined {
  if (!s.startsWith('{"body"') && !s.startsWith('[{"body"')) return undefined;
  const v = parseJson(s);
  if (isEnvelopeObject(v)) return { raw: s };
  if (Array.isArray(v) && v.length === 3 && isEnvelopeObject(v[0])) {
    return { raw: JSON.stringify(v[0]), unackedRoute: { exchange: v[1], routingKey: v[2] } };
  }
  return undefined;
}

export function redisEnvelopes(file: string): CapturedEnvelope[] {
  const out: CapturedEnvelope[] = [];
  if (!file.startsWith('redis_')) return out;
  walk(loadFixture(file), '', (node, path, _key, parent) => {
    if (typeof node !== 'string') return;
    const env = envelopeIn(node);
    if (env) out.push({ file, path, source: sourceOf(path, parent), ...env });
  });
  return out;
}

function envelopeTask(file: string, env: CapturedEnvelope): CapturedTask | undefined {
  const e = JSON.parse(env.raw);
  if (!('task' in e.headers)) return undefined;
  const { body_encoding: _be, delivery_info: _di, delivery_tag: _dt, ...props } = e.properties;
  return {
    file,
    path: env.path,
    source: env.source,
    transport: 'redis',
    message: {
      body: e.body,
      contentType: e['content-type'],
      contentEncoding: e['content-encoding'],
      headers: e.headers,
      properties: e.properties,
    },
    headers: e.headers,
    body: JSON.parse(Buffer.from(e.body, 'base64').toString('utf8')),
    properties: props,
  };
}

export function taskMessages(file: string): CapturedTask[] {
  if (file.startsWith('redis_')) {
    return redisEnvelopes(file).flatMap((env) => envelopeTask(file, env) ?? []);
  }
  const out: CapturedTask[] = [];
  walk(loadFixture(file), '', (node, path) => {
    if (!isAmqpMessageNode(node)) return;
    const message = amqpBrokerMessage(node);
    if (!('task' in message.headers)) return;
    out.push({
      file,
      path,
      source: sourceOf(path, undefined),
      transport: 'amqp',
      message,
      headers: message.headers,
      body: JSON.parse(message.body as string),
      properties: message.properties,
    });
  });
  return out;
}

export function capturedResults(file: string): CapturedResult[] {
  const out: CapturedResult[] = [];
  walk(loadFixture(file), '', (node, path, key) => {
    const add = (source: string, k: string, raw: string) => out.push({ file, path, source, key: k, raw });
    // SETEX <key> <ttl> <value> / PUBLISH <key> <value> in the MONITOR stream.
    if (Array.isArray(node) && (node[0] === 'SETEX' || node[0] === 'PUBLISH') && META_KEY.test(node[1])) {
      add(node[0], node[1], node[node.length - 1]);
    }
    // Snapshots of the keyspace: { "<key>": { type: "string", value: "<json>" } }.
    if (META_KEY.test(key) && isObject(node) && node.type === 'string' && typeof node.value === 'string') {
      add(sourceOf(path, undefined), key, node.value);
    }
    // What a client's pub/sub subscription received.
    if (isObject(node) && typeof node.channel === 'string' && META_KEY.test(node.channel) && typeof node.data === 'string') {
      add(sourceOf(path, undefined), node.channel, node.data);
    }
    // rpc:// replies: messages without a `task` header whose body has task_id and status.
    if (isAmqpMessageNode(node) && typeof node.body === 'string') {
      const body = parseJson(node.body);
      if (!('task' in amqpBrokerMessage(node).headers) && isObject(body) && 'task_id' in body && 'status' in body) {
        add(sourceOf(path, undefined), 'rpc', node.body);
      }
    }
  });
  return out;
}
