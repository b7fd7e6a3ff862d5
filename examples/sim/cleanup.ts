/**
 * A nightly cleanup run by beat at 03:00. Delivery is at least once, so it
 * can run twice (a duplicate, a redelivery after a crash): it must be
 * idempotent. `archiveExpiredSessions` is (it marks rows); `emailWeeklyStats`
 * is not (it appends an email every time it runs) — the simulation shows it.
 */
import { createApp, crontab } from 'celeriac';

export const app = createApp({
  task_default_queue: 'maintenance',
  task_acks_late: true,
  beat_schedule: {
    'archive-sessions': { task: 'maintenance.archive_expired_sessions', schedule: crontab('0 3 * * *') },
    'weekly-stats': { task: 'maintenance.email_weekly_stats', schedule: crontab('0 3 * * *') },
  },
});

/** The database, in memory: session id → expiry (ms), and archived ids. */
export const sessions = new Map<string, number>(Array.from({ length: 50 }, (_, i) => [`s${i}`, Date.UTC(2026, 0, 5 + (i % 7))]));
export const archivedSessions = new Set<string>();
export const outbox: string[] = [];

export const archiveExpiredSessions = app.task('maintenance.archive_expired_sessions', () => {
  const now = Date.now();
  let archived = 0;
  for (const [id, expires] of sessions) {
    if (expires <= now && !archivedSessions.has(id)) {
      archivedSessions.add(id);
      archived++;
    }
  }
  return archived;
});

export const emailWeeklyStats = app.task('maintenance.email_weekly_stats', () => {
  // Not idempotent: a second run sends a second email.
  outbox.push(`stats for ${new Date().toISOString().slice(0, 10)}: ${archivedSessions.size} archived`);
});
