/**
 * `celeriac sim examples/sim/payments.sim.ts`: 500 payment syncs, 2 workers,
 * the provider failing 30 % of calls. With 5 retries, about 0.3^6 ≈ 0.07 % of
 * payments should still fail; the report shows the real count, the retries,
 * and how far the back-off pushed the last success.
 */
import { defineScenario } from 'celeriac';
import { app } from './payments';

export default defineScenario({
  app,
  seed: 42,
  workers: { count: 2, concurrency: 8 },
  send: [{ task: 'billing.sync_payment', count: 500, every: '50ms', args: (i) => [`pay-${i}`, 1000 + i] }],
  durations: { 'billing.sync_payment': { mean: '400ms', jitter: '300ms' } },
  faults: [{ kind: 'flaky', task: 'billing.sync_payment', rate: 0.3, error: 'ConnectionError', message: 'provider timed out' }],
});
