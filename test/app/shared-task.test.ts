import { strict as assert } from 'node:assert';
import { Worker, sharedTask } from '../../src/runtime';
import { Harness, queueStats, uniqueName } from '../helpers/runtime-harness';

describe('app: shared tasks (defined without an app)', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('is registered in an app created after it was defined', () => {
    const name = uniqueName('shared.mul');
    const mul = sharedTask(name, (a: number, b: number) => a * b);
    const app = h.app();
    assert.equal(app.getTask(name), mul);
  });

  it('is registered in an app that already existed when it was defined', () => {
    const app = h.app();
    const name = uniqueName('shared.late');
    sharedTask(name, () => 'late');
    assert.ok(app.getTask(name), 'a shared task defined later is registered in existing apps too');
  });

  it("is run by a worker of an app created later, and .delay() goes through that app's broker", async () => {
    const mul = sharedTask(uniqueName('shared.mul'), (a: number, b: number) => a * b);
    const app = h.app();
    await h.track(new Worker(app)).start();
    const result = await mul.delay(6, 7);
    assert.equal(await result.get({ timeout: 5 }), 42);
  });

  it('.delay() sends through the current app: the last created, or the one made current', async () => {
    const ping = sharedTask(uniqueName('shared.ping'), () => 'pong');
    const first = h.app();
    const second = h.app();
    const firstQueue = first.conf.taskDefaultQueue;
    const secondQueue = second.conf.taskDefaultQueue;

    await ping.delay();
    assert.equal((await queueStats(second, secondQueue)).ready, 1, 'sent with the last created app (its default queue)');
    assert.equal((await queueStats(first, firstQueue)).ready, 0);

    first.setAsCurrent();
    await ping.delay();
    assert.equal((await queueStats(first, firstQueue)).ready, 1, 'sent with the app made current');
    assert.equal((await queueStats(second, secondQueue)).ready, 1);
  });

  it('.delay() falls back to an app still open when the current app is closed', async () => {
    const ping = sharedTask(uniqueName('shared.fallback'), () => 'pong');
    const open = h.app();
    const closing = h.app();
    await closing.connectBroker();
    await closing.close();
    await ping.delay();
    assert.equal((await queueStats(open, open.conf.taskDefaultQueue)).ready, 1);
  });

  it("keeps its options (e.g. a queue) whichever app sends it", async () => {
    const queue = uniqueName('shared-q');
    const t = sharedTask(uniqueName('shared.routed'), () => 1, { queue });
    const app = h.app();
    const sent: string[] = [];
    app.events.on('task-sent', (s) => sent.push(s.queue));
    await t.delay();
    assert.deepEqual(sent, [queue]);
    await (await app.connectBroker()).purge(queue);
  });
});
