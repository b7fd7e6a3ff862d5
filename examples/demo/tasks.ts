/**
 * The demo app: tasks of the kind real projects run, used by `npm run demo`.
 *
 * - send_notification: I/O-bound, occasionally given an address that cannot work
 *   (a permanent failure: no point retrying).
 * - render_report: CPU work, fine in the async pool for small reports.
 * - sync_account: calls a flaky external service; retries with exponential
 *   back-off and full jitter, giving up after 5 attempts.
 * - cleanup_expired_sessions: runs on a schedule; written to be idempotent, so a
 *   duplicate delivery (at-least-once!) does no harm.
 *
 * Tasks never wait for each other's results: chain them instead.
 */
import { createApp } from 'celeriac';

export const app = createApp({
  broker: 'memory://',
  main: 'demo@%h',
  task_default_queue: 'demo',
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class InvalidRecipient extends Error {
  override name = 'InvalidRecipient';
}

export class UpstreamUnavailable extends Error {
  override name = 'UpstreamUnavailable';
}

export const sendNotification = app.task('demo.notify.send_notification', async (userId: number, message: string) => {
  await sleep(5 + Math.random() * 20); // the mail/SMS provider's API call
  if (userId % 97 === 0) throw new InvalidRecipient(`user ${userId} has no verified address`);
  return { userId, delivered: true, chars: message.length };
});

export const renderReport = app.task('demo.reports.render_report', (month: string, rows: number) => {
  // Aggregate some synthetic rows: stands in for the real query + template.
  let total = 0;
  for (let i = 0; i < rows; i++) total += Math.sqrt(i) % 7;
  return { month, rows, total: Math.round(total) };
});

// The external service fails now and then; a fraction of calls time out.
const FLAKY_FAILURE_RATE = 0.3;

export const syncAccount = app.task(
  'demo.accounts.sync_account',
  async (ctx, accountId: string) => {
    await sleep(10 + Math.random() * 20);
    if (Math.random() < FLAKY_FAILURE_RATE) {
      throw new UpstreamUnavailable(`billing API timed out for ${accountId} (attempt ${ctx.retries + 1})`);
    }
    return { accountId, synced: true, attempts: ctx.retries + 1 };
  },
  {
    bind: true,
    autoretryFor: [UpstreamUnavailable],
    retryBackoff: 0.1, // seconds: 0.1, 0.2, 0.4 … (a real service would use 1 or more)
    retryBackoffMax: 5,
    retryJitter: true,
    maxRetries: 5,
  },
);

// Idempotent by construction: "delete sessions older than the cutoff" gives the
// same result however many times it runs for the same cutoff.
const sessions = new Map<string, number>();
export const cleanupExpiredSessions = app.task('demo.maintenance.cleanup_expired_sessions', (cutoffMs: number) => {
  const now = Date.now();
  for (let i = 0; i < 50; i++) sessions.set(`s${now}-${i}`, now - i * 60_000);
  let removed = 0;
  for (const [id, lastSeen] of sessions) {
    if (lastSeen < cutoffMs) {
      sessions.delete(id);
      removed++;
    }
  }
  return { removed, remaining: sessions.size };
});
