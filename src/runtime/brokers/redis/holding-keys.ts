/**
 * Celeriac's own keys beside kombu's layout, for waiters that take a message
 * the moment it arrives: each waiter moves messages from one queue list into a
 * holding list of its own, registered in one hash so that any Celeriac broker
 * can give back the holding lists of consumers that died (their guard key,
 * refreshed while they run, has expired). kombu and Python Celery never read
 * these keys; a message sits in a holding list only between its arrival and
 * the waiter's next round trip.
 */

/** Hash: holding list key → JSON {@link HoldingEntry}. */
export const HOLDING_REGISTRY = 'celeriac.holding';

export interface HoldingEntry {
  /** The consumer's guard key: while it exists, the consumer is alive. */
  guard: string;
  /** The queue list the holding list is filled from (and goes back to). */
  list: string;
}

/** Exists while the consumer runs (set with a TTL and refreshed). */
export function guardKey(consumerTag: string): string {
  return `celeriac.consumer.${consumerTag}`;
}

/** The holding list of a consumer's waiter on its `index`-th list. */
export function holdingKey(consumerTag: string, index: number): string {
  return `celeriac.holding.${consumerTag}.${index}`;
}

export function parseHoldingEntry(value: string): HoldingEntry | undefined {
  try {
    const v = JSON.parse(value) as Partial<HoldingEntry>;
    return typeof v.guard === 'string' && typeof v.list === 'string' ? { guard: v.guard, list: v.list } : undefined;
  } catch {
    return undefined;
  }
}
