/**
 * kombu's Redis key layout (kombu 5.2 virtual transport), as captured in
 * test/fixtures/celery/README.md §2: one list per queue and priority step,
 * `_kombu.binding.<exchange>` sets, and the `unacked` hash + `unacked_index`
 * sorted set that emulate acks.
 */

/** kombu's separator between a queue name and its priority step, and inside binding members. */
export const SEP = '\x06\x16';
/** kombu's default priority steps: a priority maps to the largest step ≤ it. */
export const PRIORITY_STEPS = [0, 3, 6, 9] as const;

export const UNACKED = 'unacked';
export const UNACKED_INDEX = 'unacked_index';
export const UNACKED_MUTEX = 'unacked_mutex';

export function priorityStep(priority: number | undefined | null): number {
  const p = typeof priority === 'number' && Number.isFinite(priority) ? priority : 0;
  let step: number = PRIORITY_STEPS[0];
  for (const s of PRIORITY_STEPS) if (s <= p) step = s;
  return step;
}

/** The list a message of this priority goes to: `celery`, `celery\x06\x166`, … */
export function queueKey(queue: string, priority?: number | null): string {
  const step = priorityStep(priority);
  return step === 0 ? queue : `${queue}${SEP}${step}`;
}

/** Every list of a queue, highest priority (step 0) first. */
export function queueKeys(queue: string): string[] {
  return PRIORITY_STEPS.map((step) => (step === 0 ? queue : `${queue}${SEP}${step}`));
}

/**
 * The order a consumer reads lists in, as kombu's BRPOP lists them: all queues'
 * step-0 lists first, then step 3, and so on. `rotate` shifts the queue order
 * (kombu rotates it between reads, so no queue starves another).
 */
export function consumeOrder(queues: readonly string[], rotate = 0): { key: string; queue: string }[] {
  const n = queues.length;
  const out: { key: string; queue: string }[] = [];
  for (const step of PRIORITY_STEPS) {
    for (let i = 0; i < n; i++) {
      const queue = queues[(i + rotate) % n];
      out.push({ key: step === 0 ? queue : `${queue}${SEP}${step}`, queue });
    }
  }
  return out;
}

export function bindingKey(exchange: string): string {
  return `_kombu.binding.${exchange}`;
}

/** A `_kombu.binding.<exchange>` member: routing key, pattern, queue. */
export function bindingMember(routingKey: string, queue: string, pattern = ''): string {
  return `${routingKey}${SEP}${pattern}${SEP}${queue}`;
}

export function parseBindingMember(member: string): { routingKey: string; pattern: string; queue: string } | undefined {
  const parts = member.split(SEP);
  if (parts.length !== 3) return undefined;
  return { routingKey: parts[0], pattern: parts[1], queue: parts[2] };
}

/** Fanout exchanges are pub/sub channels: `/<db>.<exchange>` or `/<db>.<exchange>/<routing key>`. */
export function fanoutChannel(db: number, exchange: string, routingKey = ''): string {
  return routingKey ? `/${db}.${exchange}/${routingKey}` : `/${db}.${exchange}`;
}
