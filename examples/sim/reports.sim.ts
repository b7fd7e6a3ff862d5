/**
 * `celeriac sim examples/sim/reports.sim.ts`: 40 regional reports as chains on
 * 3 workers, slow fetches, a worker killed halfway through an aggregation.
 * With acks_late the killed step runs again elsewhere and every chain ends
 * with its render; nothing waits on a result inside a task.
 */
import { defineScenario } from 'celeriac';
import { app, buildReport } from './reports';

const regions = ['eu-west', 'eu-north', 'us-east', 'us-west', 'ap-south'];

export default defineScenario({
  app,
  seed: 11,
  workers: { count: 3, concurrency: 2 },
  send: [{ run: (i) => buildReport(`${regions[i % regions.length]}-${i}`), count: 40, every: '250ms' }],
  durations: {
    'reports.fetch_sales': { mean: '3s', jitter: '2s' },
    'reports.aggregate': { mean: '1s', jitter: '500ms' },
    'reports.render': '200ms',
  },
  faults: [{ kind: 'crash', duringTask: 'reports.aggregate', nth: 5, restartAfter: '5s' }],
});
