/**
 * Receives Celery events from any worker or client on the broker — Celeriac's
 * or Python's — by subscribing to the `celeryev` exchange.
 */
import type { Broker } from '../brokers/broker';
import type { Disposable } from '../disposable';
import { decodeEvents, EVENT_EXCHANGE, type CeleryEvent } from './celery-event';
import type { LamportClock } from './lamport-clock';

export interface EventReceiverOptions {
  /** Routing-key pattern: `#` for everything, `worker.#` for worker events only. */
  pattern?: string;
  /** Moved past the clock of every event received. */
  clock?: LamportClock;
}

export async function receiveEvents(
  broker: Broker,
  onEvent: (event: CeleryEvent) => void,
  options: EventReceiverOptions = {},
): Promise<Disposable> {
  return broker.subscribe(EVENT_EXCHANGE, options.pattern ?? '#', (message) => {
    for (const event of decodeEvents(message)) {
      if (options.clock && typeof event.clock === 'number') options.clock.adjust(event.clock);
      onEvent(event);
    }
  });
}
