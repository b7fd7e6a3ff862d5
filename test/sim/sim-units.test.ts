/** The simulator's pure parts: scenario checks, seeded random, percentiles, queue-depth thinning. */
import { strict as assert } from 'node:assert';
import { checkScenario, spreadOf, type Scenario } from '../../src/runtime/sim/scenario';
import { seededRandom, draw } from '../../src/runtime/sim/seeded-random';
import { percentiles } from '../../src/runtime/sim/sim-report';
import { thinSamples } from '../../src/runtime/sim/run-simulation';

describe('simulator scenario checks', () => {
  const bad: [string, Scenario][] = [
    ['workers.concurrency must be a whole number ≥ 1', { workers: { concurrency: 1.5 } }],
    ['send[0] needs either a task name or a run function', { send: [{} as never] }],
    ["send[1].every '5 parsecs' is not a duration", { send: [{ task: 'a' }, { task: 'b', every: '5 parsecs' }] }],
    ['faults[0].rate must be a fraction between 0 and 1, got 2', { faults: [{ kind: 'duplicate', rate: 2 }] }],
    ["faults[0] (crash) needs either 'at' or 'duringTask'", { faults: [{ kind: 'crash' }] }],
    ['faults[0].worker must be a worker number from 1 to 2, got 3', { workers: { count: 2 }, faults: [{ kind: 'crash', worker: 3, at: '1s' }] }],
    ['faults[0].kind must be crash, duplicate, flaky or restart, got "meteor"', { faults: [{ kind: 'meteor' } as never] }],
    ["idempotency['x'] needs a state() function", { idempotency: { x: {} as never } }],
    ['start must be an ISO time', { start: 'yesterday' }],
    ["durations['a'].blocking must be true or false, got \"yes\"", { durations: { a: { mean: '1s', blocking: 'yes' as never } } }],
  ];
  for (const [message, scenario] of bad) {
    it(`says: ${message}`, () => {
      assert.throws(() => checkScenario(scenario), (err: Error) => err.message.includes(message));
    });
  }

  it('accepts a full scenario', () => {
    checkScenario({
      seed: 3,
      duration: '1d',
      workers: { count: 2, concurrency: 4, pool: 'process', prefetchMultiplier: 1 },
      send: [{ task: 'a', count: 10, every: '1s', at: '5s' }, { run: () => undefined }],
      durations: { a: { mean: '1s', jitter: '500ms' } },
      broker: { latency: '20ms', visibilityTimeout: '1h' },
      faults: [
        { kind: 'crash', duringTask: 'a', nth: 2, restartAfter: null },
        { kind: 'duplicate', rate: 0.1, task: 'a' },
        { kind: 'flaky', task: 'a', rate: 0.3 },
        { kind: 'restart', at: '30m' },
      ],
    });
    assert.deepEqual(spreadOf({ mean: '1s', jitter: '250ms' }, 'x'), { mean: 1000, jitter: 250 });
    assert.deepEqual(spreadOf(0, 'x'), { mean: 0, jitter: 0 });
    assert.deepEqual(spreadOf({ mean: '2s', blocking: true }, 'x'), { mean: 2000, jitter: 0, blocking: true });
  });
});

describe('simulator numbers', () => {
  it('seeded random: same seed, same sequence; draws stay within mean ± jitter', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const seqA = Array.from({ length: 5 }, () => a());
    assert.deepEqual(Array.from({ length: 5 }, () => b()), seqA);
    assert.notDeepEqual(Array.from({ length: 5 }, seededRandom(43)), seqA);
    const r = seededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const v = draw(r, 100, 30);
      assert.ok(v >= 70 && v <= 130, String(v));
    }
  });

  it('percentiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual(percentiles(values), { count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    assert.deepEqual(percentiles([]), { count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it('thins queue-depth samples per queue, keeping the peaks', () => {
    const samples = Array.from({ length: 1000 }, (_, t) => ({ t, queue: 'q', ready: t === 500 ? 99 : t % 7, unacked: 0 }));
    const thin = thinSamples(samples, 50);
    assert.ok(thin.length <= 50);
    assert.ok(thin.some((s) => s.ready === 99), 'the peak survives');
    assert.deepEqual(thinSamples(samples.slice(0, 10), 50), samples.slice(0, 10));
  });
});
