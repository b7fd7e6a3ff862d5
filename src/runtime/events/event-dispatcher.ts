/**
 * Sends Celery events. Worker events go out at once; task events are gathered
 * for one tick and sent together as `task.multi` (what Celery workers do), so a
 * busy worker publishes one message per batch instead of one per event.
 */
import * as os from 'node:os';
import type { Broker } from '../brokers/broker';
import type { Logger } from '../log';
import { EVENT_EXCHANGE, eventMessage, nowSeconds, routingKeyOf, type CeleryEvent } from './celery-event';
import { LamportClock } from './lamport-clock';

const MAX_BATCH = 100;

export class EventDispatcher {
  private buffer: CeleryEvent[] = [];
  private flushScheduled = false;
  private failures = 0;
  readonly utcoffset = -new Date().getTimezoneOffset() / 60;

  constructor(
    private readonly broker: Broker,
    readonly hostname: string,
    private readonly log: Logger,
    readonly clock = new LamportClock(),
    private readonly pid = process.pid,
  ) {}

  /** Build an event with Celery's common fields, in Celery's key order. */
  build(type: string, fields: Record<string, unknown>, timestamp = nowSeconds()): CeleryEvent {
    return {
      hostname: this.hostname,
      utcoffset: this.utcoffset,
      pid: this.pid,
      clock: this.clock.forward(),
      ...fields,
      timestamp,
      type,
    } as CeleryEvent;
  }

  /** Send now (worker events, task-sent). */
  async send(type: string, fields: Record<string, unknown>): Promise<void> {
    const event = this.build(type, fields);
    await this.publish(routingKeyOf(type), event);
  }

  /** Queue a task event for the next `task.multi` batch. */
  sendTaskEvent(type: string, fields: Record<string, unknown>): void {
    this.buffer.push(this.build(type, fields));
    if (this.buffer.length >= MAX_BATCH) void this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    await this.publish('task.multi', batch);
  }

  private async publish(routingKey: string, body: CeleryEvent | CeleryEvent[]): Promise<void> {
    try {
      await this.broker.broadcast(EVENT_EXCHANGE, routingKey, eventMessage(body, this.hostname));
      this.failures = 0;
    } catch (err) {
      // Events are best effort (Celery drops them too); say so once per outage.
      if (this.failures++ === 0) this.log.warn(`cannot send events to ${this.broker.url}: ${(err as Error).message}`);
    }
  }
}

/** Fields of worker-online/heartbeat/offline, as Celery sends them. */
export function workerEventFields(active: number, processed: number, version: string): Record<string, unknown> {
  const [a, b, c] = os.loadavg();
  return {
    freq: 2.0,
    active,
    processed,
    loadavg: [round2(a), round2(b), round2(c)],
    sw_ident: 'celeriac',
    sw_ver: version,
    sw_sys: os.type(),
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
