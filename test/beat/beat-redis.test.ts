import { strict as assert } from 'node:assert';
import type Redis from 'ioredis';
import { Beat, createApp, type App, type BeatSchedule, type BeatSentTask } from '../../src/runtime';
import { flushDb, rawClient, redisUrl } from '../helpers/redis';
import { quietLog, uniqueQueue, waitUntil } from '../helpers/runtime-harness';
import { FakeClock, PartitionableStore } from './beat-harness';

const DB = 8;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const every10s: BeatSchedule = { 'add-every-10s': { task: 'proj.add', schedule: 10, args: [40, 2] } };

describe('beat: on Redis (state and lock in the broker’s Redis, fake clock)', function () {
  let raw: Redis;
  let clock: FakeClock;
  let queue: string;
  const apps: App[] = [];
  const beats: Beat[] = [];

  before(async () => {
    await flushDb(DB);
    raw = rawClient(DB);
  });

  after(async () => {
    raw.disconnect();
    await flushDb(DB);
  });

  beforeEach(() => {
    clock = new FakeClock(T0);
    queue = uniqueQueue('beat-redis');
  });

  afterEach(async () => {
    for (const b of beats.splice(0)) await b.stop();
    for (const a of apps.splice(0)) await a.close();
    await raw.flushdb();
  });

  function makeBeat(options: { lockTimeout?: number; cut?: PartitionableStore } = {}): { beat: Beat; sent: BeatSentTask[]; app: App } {
    const app = createApp({ broker: redisUrl(DB), task_default_queue: queue, beat_schedule: every10s }, { env: {}, clock, log: quietLog });
    apps.push(app);
    const beat = new Beat(app, { lockTimeout: options.lockTimeout, store: options.cut });
    beats.push(beat);
    const sent: BeatSentTask[] = [];
    beat.events.on('task-sent', (s) => sent.push(s));
    return { beat, sent, app };
  }

  const seconds = (sent: BeatSentTask[]) => sent.map((s) => (s.scheduledAt - T0) / 1000);

  async function queued(): Promise<{ task: string; args: unknown }[]> {
    const items = await raw.lrange(queue, 0, -1);
    return items.map((item) => {
      const envelope = JSON.parse(item) as { body: string; headers: { task: string } };
      const [args] = JSON.parse(Buffer.from(envelope.body, 'base64').toString()) as [unknown];
      return { task: envelope.headers.task, args };
    });
  }

  it('two beats at once: each run is sent once, by the lock holder; the other takes over when it stops', async () => {
    const a = makeBeat();
    const b = makeBeat();
    await a.beat.start();
    await b.beat.start();
    assert.equal(a.beat.isLeader, true);
    assert.equal(b.beat.isLeader, false);
    assert.match(String(await raw.get('celeriac.lock.beat')), new RegExp(`^${process.pid}@`));
    const ttl = await raw.pttl('celeriac.lock.beat');
    assert.ok(ttl > 0 && ttl <= 30_000, `the lock expires (pttl ${ttl})`);

    await clock.advance(30_000, 2);
    assert.deepEqual(seconds(a.sent), [10, 20, 30]);
    assert.equal(b.sent.length, 0);
    assert.equal(await raw.get('celeriac.beat.add-every-10s.last'), String(T0 + 30_000));

    await a.beat.stop();
    assert.equal(await raw.exists('celeriac.lock.beat'), 0, 'stop released the lock');
    await clock.advance(30_000, 1);
    assert.equal(b.beat.isLeader, true);
    assert.deepEqual(seconds(b.sent), [40, 50, 60]);
    const messages = await queued();
    assert.equal(messages.length, 6);
    assert.deepEqual(new Set(messages.map((m) => `${m.task} ${JSON.stringify(m.args)}`)), new Set(['proj.add [40,2]']));
  });

  it('a restart keeps the schedule: nothing extra within the interval, one catch-up after 2.5 intervals', async () => {
    const first = makeBeat();
    await first.beat.start();
    await clock.advance(13_000);
    await first.beat.stop();
    await clock.advance(4_000, 0);

    const second = makeBeat();
    await second.beat.start();
    await clock.advance(6_000); // T0+23
    await second.beat.stop();
    assert.deepEqual([...seconds(first.sent), ...seconds(second.sent)], [10, 20]);

    await clock.advance(25_000, 0); // T0+48
    const third = makeBeat();
    await third.beat.start();
    await clock.advance(2_000); // T0+50
    assert.deepEqual(seconds(third.sent), [40, 50]);
    assert.equal((await queued()).length, 4);
  });

  it('a holder cut off from Redis loses the lock when it expires, and the standby takes over', async () => {
    const a = makeBeat({ lockTimeout: 1.5 });
    const cut = new PartitionableStore(await a.app.coordination());
    beats.pop();
    const holder = new Beat(a.app, { lockTimeout: 1.5, store: cut });
    beats.push(holder);
    const sentA: BeatSentTask[] = [];
    holder.events.on('task-sent', (s) => sentA.push(s));
    const b = makeBeat({ lockTimeout: 1.5 });
    await holder.start();
    await b.beat.start();
    await clock.advance(10_000, 2);
    assert.deepEqual(seconds(sentA), [10]);

    cut.cut = true;
    await waitUntil(async () => (await raw.exists('celeriac.lock.beat')) === 0, 'the lock to expire in Redis', 10_000);
    await clock.advance(1_000, 2); // B polls every 0.5 s (a third of the lock timeout)
    assert.equal(b.beat.isLeader, true);
    cut.cut = false;
    await clock.advance(20_000, 2);
    assert.equal(holder.isLeader, false);
    assert.deepEqual(seconds(sentA), [10]);
    assert.deepEqual(seconds(b.sent), [20, 30]);
    assert.equal((await queued()).length, 3);
  });
});
