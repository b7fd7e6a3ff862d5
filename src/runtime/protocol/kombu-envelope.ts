/**
 * kombu's virtual-transport envelope: how a message sits in a Redis list (and in
 * `unacked`): JSON with the body base64-encoded and delivery data in properties.
 */
import type { BrokerMessage, MessageProperties } from './message';

export interface DeliveryInfo {
  exchange: string;
  routing_key: string;
  [key: string]: unknown;
}

export interface KombuEnvelope {
  body: string;
  'content-encoding': string;
  'content-type': string;
  headers: Record<string, unknown>;
  properties: MessageProperties & {
    delivery_info: DeliveryInfo;
    body_encoding: string;
    delivery_tag: string;
  };
}

export interface DecodedEnvelope {
  message: BrokerMessage;
  deliveryTag: string;
  deliveryInfo: DeliveryInfo;
}

function toBase64(body: string | Uint8Array): string {
  return (typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)).toString('base64');
}

// Properties that the envelope places itself (after the publisher's own ones).
const PLACED = new Set(['body_encoding', 'delivery_info', 'delivery_tag', 'delivery_mode', 'expiration', 'priority']);

export function encodeKombuEnvelope(
  message: BrokerMessage,
  delivery: { exchange: string; routingKey: string; deliveryTag: string; redelivered?: boolean },
): string {
  const given = message.properties;
  // Property order as kombu writes it: the publisher's own properties (correlation_id,
  // reply_to, and extras such as a retry's replaced_task_nesting/origin) in their order,
  // then delivery_mode, expiration, delivery_info, priority. (A plain loop: this runs
  // for every message published.)
  const properties: Record<string, unknown> = {};
  for (const key in given) if (!PLACED.has(key)) properties[key] = given[key];
  if (given.delivery_mode !== undefined) properties.delivery_mode = given.delivery_mode;
  if (given.expiration !== undefined) properties.expiration = given.expiration;
  // kombu's restore of an unacked message marks it here as well as in the headers.
  properties.delivery_info = delivery.redelivered
    ? { exchange: delivery.exchange, routing_key: delivery.routingKey, redelivered: true }
    : { exchange: delivery.exchange, routing_key: delivery.routingKey };
  if (given.priority !== undefined) properties.priority = given.priority;
  properties.body_encoding = 'base64';
  properties.delivery_tag = delivery.deliveryTag;
  const body = given.body_encoding === 'base64' && typeof message.body === 'string' ? message.body : toBase64(message.body);
  return JSON.stringify({
    body,
    'content-encoding': message.contentEncoding,
    'content-type': message.contentType,
    headers: message.headers,
    properties,
  });
}

export type EnvelopeResult = ({ ok: true } & DecodedEnvelope) | { ok: false; reason: string; id: string | null };

/** String(v), '' for null/undefined, and '' for JSON like {"toString": 1} that String() would throw on. */
function lenientString(v: unknown): string {
  try {
    return String(v ?? '');
  } catch {
    return '';
  }
}

/** Parse an envelope string; malformed input yields a reason, never a throw. */
export function decodeKombuEnvelope(raw: string): EnvelopeResult {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    return { ok: false, reason: `envelope is not valid JSON (${(err as Error).message})`, id: null };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { ok: false, reason: 'envelope is not a JSON object', id: null };
  }
  const env = v as Partial<KombuEnvelope>;
  const headers = typeof env.headers === 'object' && env.headers !== null && !Array.isArray(env.headers) ? env.headers : {};
  const props = typeof env.properties === 'object' && env.properties !== null && !Array.isArray(env.properties) ? env.properties : ({} as KombuEnvelope['properties']);
  const id = typeof headers.id === 'string' ? headers.id : typeof props.correlation_id === 'string' ? props.correlation_id : null;
  if (typeof env.body !== 'string') return { ok: false, reason: "envelope has no string 'body'", id };
  const di = props.delivery_info;
  const deliveryInfo: DeliveryInfo =
    typeof di === 'object' && di !== null
      ? { ...di, exchange: lenientString(di.exchange), routing_key: lenientString(di.routing_key) }
      : { exchange: '', routing_key: '' };
  return {
    ok: true,
    deliveryTag: typeof props.delivery_tag === 'string' ? props.delivery_tag : lenientString(props.delivery_tag),
    deliveryInfo,
    message: {
      body: env.body,
      contentType: typeof env['content-type'] === 'string' ? env['content-type'] : '',
      contentEncoding: typeof env['content-encoding'] === 'string' ? env['content-encoding'] : '',
      headers,
      properties: props,
    },
  };
}
