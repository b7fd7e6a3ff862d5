/**
 * Remote control from the client side (`celery inspect` / `celery control`):
 * declare a reply queue bound to `reply.celery.pidbox`, broadcast the request
 * on `celery.pidbox`, collect `{node: reply}` answers until the timeout (or
 * until every addressed node answered), then remove the reply queue. Python
 * Celery workers and Celeriac workers answer alike.
 */
import { randomUUID } from 'node:crypto';
import type { Broker } from '../brokers/broker';
import { LamportClock } from '../events/lamport-clock';
import { CONTROL_EXCHANGE, decodeReply, REPLY_EXCHANGE, requestMessage, type ControlRequest } from './pidbox';

export interface BroadcastOptions {
  /** Seconds to wait for replies (Celery's default: 1). */
  timeout?: number;
  /** Node names to address; all when omitted. */
  destination?: string[];
  /** Stop waiting after this many replies. */
  limit?: number;
  /** Wait for replies at all (false for fire-and-forget commands). */
  reply?: boolean;
  clock?: LamportClock;
}

/** Replies keyed by node name. */
export type Replies = Record<string, unknown>;

export async function broadcastControl(
  broker: Broker,
  method: string,
  args: Record<string, unknown> = {},
  options: BroadcastOptions = {},
): Promise<Replies> {
  const timeout = options.timeout ?? 1;
  const clock = options.clock ?? new LamportClock();
  const ticket = randomUUID();
  const replyId = randomUUID();
  const replyQueue = `${replyId}.reply.celery.pidbox`;
  const wantReply = options.reply ?? true;
  const request: ControlRequest = {
    method,
    arguments: args,
    destination: options.destination?.length ? options.destination : null,
    pattern: null,
    matcher: null,
    ticket,
    reply_to: wantReply ? { exchange: REPLY_EXCHANGE, routing_key: replyId } : null,
  };
  const message = requestMessage(request, clock.forward(), timeout);
  if (!wantReply) {
    await broker.broadcast(CONTROL_EXCHANGE, '', message);
    return {};
  }

  const replies: Replies = {};
  const expected = options.limit ?? options.destination?.length;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  await broker.bindQueue(replyQueue, REPLY_EXCHANGE, replyId);
  const consumer = await broker.consume([replyQueue], { prefetch: 0 }, (d) => {
    d.ack();
    if (d.message.headers.ticket !== undefined && d.message.headers.ticket !== ticket) return; // a late reply to another request
    const clockValue = d.message.headers.clock;
    if (typeof clockValue === 'number') clock.adjust(clockValue);
    Object.assign(replies, decodeReply(d.message) ?? {});
    if (expected !== undefined && Object.keys(replies).length >= expected) finish();
  });
  const timer = setTimeout(finish, timeout * 1000);
  try {
    await broker.broadcast(CONTROL_EXCHANGE, '', message);
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.close().catch(() => undefined);
    await broker.deleteQueue(replyQueue, { exchange: REPLY_EXCHANGE, routingKey: replyId }).catch(() => undefined);
  }
  return replies;
}
