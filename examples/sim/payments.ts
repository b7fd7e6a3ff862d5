/**
 * A payment sync against a flaky provider: it retries with exponential
 * back-off (full jitter), at most 5 times. The simulation below makes the
 * provider fail 30 % of calls and shows how many payments still fail after
 * all retries, and how long the back-off stretches the run.
 */
import { createApp } from 'celeriac';

export const app = createApp({ task_default_queue: 'payments' });

/** What the provider has recorded, by payment id (the simulator reads it). */
export const provider = new Map<string, number>();

export const syncPayment = app.task(
  'billing.sync_payment',
  async (paymentId: string, cents: number) => {
    provider.set(paymentId, cents);
    return { paymentId, cents };
  },
  { autoretryFor: ['ConnectionError'], retryBackoff: 2, retryBackoffMax: 600, retryJitter: true, maxRetries: 5 },
);
