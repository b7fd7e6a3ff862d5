import { strict as assert } from 'node:assert';
import { Worker } from '../../src/runtime';
import { Harness, uniqueName } from '../helpers/runtime-harness';

describe('worker: message priority', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('runs higher-priority tasks first, FIFO within a priority (concurrency 1, started after publishing)', async () => {
    const app = h.app();
    const order: string[] = [];
    const t = app.task(uniqueName('proj.prio'), (label: string) => {
      order.push(label);
      return label;
    });
    const sends: [string, number | undefined][] = [
      ['a0', 0],
      ['b5', 5],
      ['c1', 1],
      ['d9', 9],
      ['e5', 5],
      ['f-default', undefined],
      ['g9', 9],
    ];
    const results = [];
    for (const [label, priority] of sends) {
      results.push(await t.applyAsync([label], {}, priority === undefined ? {} : { priority }));
    }
    await h.track(new Worker(app, { concurrency: 1, prefetchMultiplier: 1 })).start();
    await Promise.all(results.map((r) => r.get({ timeout: 5 })));
    assert.deepEqual(order, ['d9', 'g9', 'b5', 'e5', 'c1', 'a0', 'f-default']);
  });

  it('takes the priority from the task options when the call gives none', async () => {
    const app = h.app();
    const order: string[] = [];
    const low = app.task(uniqueName('proj.low'), () => order.push('low'));
    const high = app.task(uniqueName('proj.high'), () => order.push('high'), { priority: 7 });
    const r1 = await low.delay();
    const r2 = await high.delay();
    await h.track(new Worker(app, { concurrency: 1, prefetchMultiplier: 1 })).start();
    await Promise.all([r1.get({ timeout: 5 }), r2.get({ timeout: 5 })]);
    assert.deepEqual(order, ['high', 'low']);
  });
});
