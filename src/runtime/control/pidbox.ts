/**
 * Celery's remote-control messages (kombu's "pidbox"): requests broadcast on the
 * `celery.pidbox` fanout exchange, replies published to the direct exchange
 * `reply.celery.pidbox` with the requester's id as routing key.
 */
import type { BrokerMessage } from '../protocol/message';
import { deserializeBody, JSON_CONTENT_TYPE, UTF8 } from '../protocol/serializer';

export const CONTROL_EXCHANGE = 'celery.pidbox';
export const REPLY_EXCHANGE = 'reply.celery.pidbox';

export interface ControlRequest {
  method: string;
  arguments: Record<string, unknown>;
  /** Node names that should answer; null for all. */
  destination: string[] | null;
  pattern: string | null;
  matcher: string | null;
  ticket: string;
  reply_to: { exchange: string; routing_key: string } | null;
}

export function requestMessage(request: ControlRequest, clock: number, timeoutSeconds: number): BrokerMessage {
  return {
    body: JSON.stringify(request),
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: UTF8,
    headers: { clock, expires: Date.now() / 1000 + timeoutSeconds },
    properties: { delivery_mode: 2 },
  };
}

export function replyMessage(nodename: string, value: unknown, ticket: string, clock: number): BrokerMessage {
  return {
    body: JSON.stringify({ [nodename]: value }),
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: UTF8,
    headers: { ticket, clock },
    properties: { delivery_mode: 1 },
  };
}

export function decodeRequest(message: BrokerMessage): ControlRequest | undefined {
  const body = deserializeBody(message);
  if (!body.ok || typeof body.value !== 'object' || body.value === null) return undefined;
  const v = body.value as Partial<ControlRequest>;
  if (typeof v.method !== 'string') return undefined;
  const dest = Array.isArray(v.destination) ? v.destination.filter((d): d is string => typeof d === 'string') : null;
  const replyTo = v.reply_to && typeof v.reply_to === 'object' && typeof v.reply_to.routing_key === 'string' ? v.reply_to : null;
  return {
    method: v.method,
    arguments: v.arguments && typeof v.arguments === 'object' ? v.arguments : {},
    destination: dest,
    pattern: typeof v.pattern === 'string' ? v.pattern : null,
    matcher: typeof v.matcher === 'string' ? v.matcher : null,
    ticket: typeof v.ticket === 'string' ? v.ticket : '',
    reply_to: replyTo ? { exchange: String(replyTo.exchange ?? REPLY_EXCHANGE), routing_key: replyTo.routing_key } : null,
  };
}

/** A reply body `{nodename: value}`; undefined when it is not one. */
export function decodeReply(message: BrokerMessage): Record<string, unknown> | undefined {
  const body = deserializeBody(message);
  return body.ok && typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)
    ? (body.value as Record<string, unknown>)
    : undefined;
}

/** Should the node `hostname` handle this request (destination, or a glob/regex pattern)? */
export function addressedTo(request: ControlRequest, hostname: string): boolean {
  if (request.destination && request.destination.length) return request.destination.includes(hostname);
  if (request.pattern) {
    try {
      if (request.matcher === 'pcre') return new RegExp(request.pattern).test(hostname);
      const re = new RegExp('^' + request.pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
      return re.test(hostname);
    } catch {
      return false;
    }
  }
  return true;
}
