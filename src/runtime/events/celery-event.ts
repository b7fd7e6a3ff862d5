/**
 * Celery events as they travel: a JSON object (or, for `task.multi`, a list of
 * them) published to the `celeryev` exchange with routing key `<group>.<kind>`
 * (`task-succeeded` → `task.succeeded`), header `hostname`, delivery_mode 1.
 * Field order follows Celery: hostname, utcoffset, pid, clock, the event's own
 * fields, timestamp, type.
 */
import type { BrokerMessage } from '../protocol/message';
import { deserializeBody, JSON_CONTENT_TYPE, UTF8 } from '../protocol/serializer';

export const EVENT_EXCHANGE = 'celeryev';

export type TaskEventType =
  | 'task-sent'
  | 'task-received'
  | 'task-started'
  | 'task-succeeded'
  | 'task-failed'
  | 'task-retried'
  | 'task-revoked'
  | 'task-rejected';
export type WorkerEventType = 'worker-online' | 'worker-heartbeat' | 'worker-offline';
export type EventType = TaskEventType | WorkerEventType;

/** Any event: the common fields plus whatever the type carries (`uuid`, `result`, `freq`, …). */
export interface CeleryEvent {
  type: string;
  hostname: string;
  timestamp: number;
  utcoffset?: number;
  pid?: number;
  clock?: number;
  uuid?: string;
  [field: string]: unknown;
}

/** `task-succeeded` → `task.succeeded` (the routing key Celery publishes it with). */
export function routingKeyOf(type: string): string {
  return type.replace('-', '.');
}

export function eventMessage(body: CeleryEvent | CeleryEvent[], hostname: string): BrokerMessage {
  return {
    body: JSON.stringify(body),
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: UTF8,
    headers: { hostname },
    properties: { delivery_mode: 1, priority: 0 },
  };
}

function isEvent(v: unknown): v is CeleryEvent {
  return typeof v === 'object' && v !== null && typeof (v as CeleryEvent).type === 'string';
}

/** The events in a message (one, or a `task.multi` list); malformed parts are skipped. */
export function decodeEvents(message: BrokerMessage): CeleryEvent[] {
  const body = deserializeBody(message);
  if (!body.ok) return [];
  const v = body.value;
  if (Array.isArray(v)) return v.filter(isEvent);
  return isEvent(v) ? [v] : [];
}

/** Seconds since the epoch, as Celery timestamps are. */
export function nowSeconds(ms = Date.now()): number {
  return ms / 1000;
}
