/**
 * Frames between a hub (the process hosting `memory://`) and processes that use
 * it over a socket: one JSON object per line, typed here for both ends.
 */
import type { BrokerMessage, Route } from '../../protocol/message';
import type { QueueStats } from '../broker';

export interface WireMessage {
  body: string;
  /** The body was bytes, sent as base64. */
  b64?: true;
  contentType: string;
  contentEncoding: string;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
}

export type ClientFrame =
  | { op: 'publish'; rid: number; route: Route; msg: WireMessage }
  | { op: 'consume'; rid: number; tag: string; queues: string[]; prefetch: number }
  | { op: 'prefetch'; tag: string; prefetch: number }
  | { op: 'ack'; tag: string; dtag: number }
  | { op: 'reject'; tag: string; dtag: number; requeue: boolean }
  | { op: 'cancel'; rid: number; tag: string }
  | { op: 'close'; rid: number; tag: string }
  | { op: 'purge'; rid: number; queue: string }
  | { op: 'bind'; rid: number; queue: string; exchange: string; routingKey: string }
  | { op: 'delq'; rid: number; queue: string; exchange?: string; routingKey?: string }
  | { op: 'stats'; rid: number; queues: string[] }
  | { op: 'queues'; rid: number }
  | { op: 'get'; rid: number; key: string }
  | { op: 'mget'; rid: number; keys: string[] }
  | { op: 'store'; rid: number; key: string; value: string; ttl: number }
  | { op: 'setnx'; rid: number; key: string; value: string; ttlMs: number }
  | { op: 'renew'; rid: number; key: string; owner: string; ttlMs: number }
  | { op: 'release'; rid: number; key: string; owner: string }
  | { op: 'token'; rid: number; key: string; intervalMs: number; burst: number }
  | { op: 'chord'; rid: number; base: string; index: number; part: string; ttl: number }
  | { op: 'set'; rid: number; key: string; value: string; ttl?: number; publish?: string }
  | { op: 'del'; rid: number; key: string }
  | { op: 'incr'; rid: number; key: string; by: number; ttl?: number }
  | { op: 'pub'; rid: number; channel: string; message: string }
  | { op: 'sub'; rid: number; channel: string }
  | { op: 'bcast'; rid: number; exchange: string; routingKey: string; msg: WireMessage }
  | { op: 'bsub'; rid: number; sid: number; exchange: string; pattern: string }
  | { op: 'bunsub'; sid: number }
  | { op: 'unsub'; channel: string };

export type ServerFrame =
  | { op: 'reply'; rid: number; value?: unknown }
  | { op: 'error'; rid: number; message: string }
  | {
      op: 'deliver';
      tag: string;
      dtag: number;
      queue: string;
      redelivered: boolean;
      exchange: string;
      routingKey: string;
      msg: WireMessage;
    }
  | { op: 'message'; channel: string; message: string }
  | { op: 'broadcast'; sid: number; routingKey: string; msg: WireMessage };

export type ReplyValue = string | number | boolean | null | undefined | string[] | (string | null)[] | QueueStats[];

export function toWire(m: BrokerMessage): WireMessage {
  const base = {
    contentType: m.contentType,
    contentEncoding: m.contentEncoding,
    headers: m.headers,
    properties: m.properties as Record<string, unknown>,
  };
  return typeof m.body === 'string'
    ? { body: m.body, ...base }
    : { body: Buffer.from(m.body).toString('base64'), b64: true, ...base };
}

export function fromWire(w: WireMessage): BrokerMessage {
  return {
    body: w.b64 ? Buffer.from(w.body, 'base64') : w.body,
    contentType: w.contentType,
    contentEncoding: w.contentEncoding,
    headers: w.headers,
    properties: w.properties,
  };
}
