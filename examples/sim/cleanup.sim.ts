/**
 * `celeriac sim examples/sim/cleanup.sim.ts`: a week of nightly beat in well
 * under a second, with 30 % of deliveries duplicated and a worker crash in the
 * middle of a run. The report says which cleanup stays correct when it runs
 * twice (archive) and which does not (the stats email goes out twice).
 */
import { defineScenario } from 'celeriac';
import { app, archivedSessions, outbox } from './cleanup';

export default defineScenario({
  app,
  seed: 7,
  duration: '7d',
  beat: true,
  workers: { count: 2, concurrency: 2 },
  durations: { 'maintenance.archive_expired_sessions': '2m', 'maintenance.email_weekly_stats': '5s' },
  faults: [
    { kind: 'duplicate', rate: 0.3 },
    { kind: 'crash', duringTask: 'maintenance.archive_expired_sessions', nth: 2, restartAfter: '10s' },
  ],
  idempotency: {
    'maintenance.archive_expired_sessions': { state: () => [...archivedSessions].sort() },
    'maintenance.email_weekly_stats': { state: () => [...outbox] },
  },
});
