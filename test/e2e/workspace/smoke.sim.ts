/** A scenario for the VS Code tests' Run Simulation: the workspace's own tasks, one flaky. */
import { defineScenario } from 'celeriac';
import { app } from './tasks';

export default defineScenario({
  app,
  workers: { count: 2, concurrency: 2 },
  send: [{ task: 'e2e.add', count: 20, every: '1s', args: (i) => [i, i] }],
  durations: { 'e2e.add': '1.5s' },
  faults: [{ kind: 'flaky', task: 'e2e.add', rate: 0.25 }],
});
