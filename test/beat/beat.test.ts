import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import {
  Beat,
  ConnectionError,
  createApp,
  createBroker,
  crontab,
  type App,
  type BeatSchedule,
  type BeatSentTask,
  type Broker,
  type Logger,
} from '../../src/runtime';
import type { KeyValueStore } from '../../src/runtime/backends/key-value-store';
import { beatStateKey } from '../../src/runtime/beat/beat';
import { captureLog, quietLog, uniqueQueue } from '../helpers/runtime-harness';
import { drainTasks, FakeClock, fakeTimeStore, PartitionableStore, readyCount } from './beat-harness';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const LOCK_KEY = 'celeriac.lock.beat';

describe('beat: sending the schedule (memory://, fake clock)', () => {
  let clock: FakeClock;
  let store: KeyValueStore;
  let queue: string;
  const apps: App[] = [];
  const beats: Beat[] = [];

  beforeEach(() => {
    clock = new FakeClock(T0);
    store = fakeTimeStore(clock);
    queue = uniqueQueue('beat');
  });

  afterEach(async () => {
    for (const b of beats.splice(0)) await b.stop();
    for (const a of apps.splice(0)) await a.close();
  });

  function makeApp(schedule: BeatSchedule, options: { log?: Logger; broker?: Broker } = {}): App {
    const app = createApp(
      { broker: options.broker ?? 'memory://', task_default_queue: queue, beat_schedule: schedule },
      { env: {}, clock, log: options.log ?? quietLog },
    );
    apps.push(app);
    return app;
  }

  function makeBeat(app: App, options: { store?: KeyValueStore; log?: Logger } = {}): { beat: Beat; sent: BeatSentTask[] } {
    const beat = new Beat(app, { store: options.store ?? store, log: options.log });
    beats.push(beat);
    const sent: BeatSentTask[] = [];
    beat.events.on('task-sent', (s) => sent.push(s));
    return { beat, sent };
  }

  const every10s: BeatSchedule = { 'add-every-10s': { task: 'proj.add', schedule: 10, args: [2, 3] } };

  it("sends each entry's task when due, with its args, kwargs and options, as ordinary task messages", async () => {
    const reports = uniqueQueue('reports');
    const log = captureLog();
    const app = makeApp(
      {
        'add-every-10s': { task: 'proj.add', schedule: 10, args: [2, 3] },
        'report-every-minute': {
          task: 'proj.report',
          schedule: crontab('* * * * *'),
          kwargs: { format: 'pdf', pages: [1, 2] },
          options: { queue: reports, priority: 7, expires: 60, headers: { tenant: 'acme' } },
        },
      },
      { log },
    );
    const { beat } = makeBeat(app);
    await clock.advance(5_000, 0); // start at 00:00:05
    await beat.start();
    assert.equal(beat.isLeader, true);
    assert.equal(await readyCount(app, queue), 0, 'nothing is due at start');

    await clock.advance(9_999);
    assert.equal(await readyCount(app, queue), 0, 'not due 1 ms early');
    await clock.advance(1);
    assert.equal(await readyCount(app, queue), 1, 'due 10 s after start');

    await clock.advance(50_000); // to 00:01:05: add at :15 :25 :35 :45 :55 01:05, report at 01:00
    assert.equal(await readyCount(app, queue), 6);
    assert.equal(await readyCount(app, reports), 1);

    const broker = await app.connectBroker();
    const adds = await drainTasks(broker, queue);
    assert.deepEqual(new Set(adds.map((t) => t.task)), new Set(['proj.add']));
    for (const t of adds) {
      assert.deepEqual(t.args, [2, 3]);
      assert.deepEqual(t.kwargs, {});
      assert.equal(t.origin, `gen${process.pid}@${os.hostname()}`);
      assert.equal(t.eta, null);
    }
    assert.equal(new Set(adds.map((t) => t.id)).size, 6, 'every run has its own task id');

    const [report] = await drainTasks(broker, reports);
    assert.equal(report.task, 'proj.report');
    assert.deepEqual(report.args, []);
    assert.deepEqual(report.kwargs, { format: 'pdf', pages: [1, 2] });
    assert.equal(report.priority, 7);
    assert.equal(report.expiresMs, Date.parse('2026-01-01T00:02:00Z'), 'expires 60 s after the 00:01:00 send');
    assert.equal(report.headers.tenant, 'acme');

    const lines = log.lines.join('\n');
    assert.match(lines, /INFO\/MainProcess\] beat: Starting\.\.\./);
    assert.match(lines, /INFO\/MainProcess\] Scheduler: Sending due task add-every-10s \(proj\.add\)/);
    assert.match(lines, /Scheduler: Sending due task report-every-minute \(proj\.report\)/);
    assert.equal(lines.match(/Sending due task add-every-10s/g)?.length, 6);
  });

  it('keeps the last scheduled run in the store under celeriac.beat.<entry>.last', async () => {
    const app = makeApp(every10s);
    const { beat } = makeBeat(app);
    await beat.start();
    assert.equal(await store.get(beatStateKey('add-every-10s')), String(T0), 'first seen at start');
    await clock.advance(25_000);
    assert.equal(await store.get('celeriac.beat.add-every-10s.last'), String(T0 + 20_000));
    assert.deepEqual(
      beat.entries.map((e) => [e.name, e.lastRunAt, e.nextRunAt]),
      [['add-every-10s', T0 + 20_000, T0 + 30_000]],
    );
  });

  it('a restart within the interval sends nothing extra; after 2.5 intervals it sends one catch-up', async () => {
    const app = makeApp(every10s);
    const first = makeBeat(app);
    await first.beat.start();
    await clock.advance(10_000);
    assert.equal(await readyCount(app, queue), 1);
    await clock.advance(3_000);
    await first.beat.stop(); // at T0+13

    await clock.advance(4_000, 0); // down until T0+17
    const second = makeBeat(app);
    await second.beat.start();
    assert.equal(await readyCount(app, queue), 1, 'restarted before the next run: nothing sent');
    await clock.advance(2_999);
    assert.equal(await readyCount(app, queue), 1, 'the run at T0+20 is not early');
    await clock.advance(1);
    assert.equal(await readyCount(app, queue), 2, 'the run at T0+20 is not skipped');
    await clock.advance(3_000);
    await second.beat.stop(); // at T0+23

    await clock.advance(25_000, 0); // down 2.5 intervals since the last run: T0+30 and T0+40 missed
    const third = makeBeat(app);
    await third.beat.start();
    assert.equal(await readyCount(app, queue), 3, 'exactly one catch-up send');
    assert.deepEqual(third.sent.map((s) => s.scheduledAt - T0), [40_000], 'it stands for the latest missed run');
    assert.equal(await store.get(beatStateKey('add-every-10s')), String(T0 + 40_000), 'recorded: the scheduled time, not now (T0+48)');
    await clock.advance(1_999);
    assert.equal(await readyCount(app, queue), 3, 'next run on the original phase, T0+50');
    await clock.advance(1);
    assert.equal(await readyCount(app, queue), 4);
    assert.deepEqual(
      [...first.sent, ...second.sent, ...third.sent].map((s) => (s.scheduledAt - T0) / 1000),
      [10, 20, 40, 50],
    );
  });

  it('a crontab down for an hour sends one catch-up, not sixty', async () => {
    const app = makeApp({ 'every-minute': { task: 'proj.tick', schedule: crontab('* * * * *') } });
    const first = makeBeat(app);
    await first.beat.start();
    await clock.advance(120_000);
    assert.equal(await readyCount(app, queue), 2);
    await first.beat.stop();
    await clock.advance(3_600_000 + 30_000, 0);
    const second = makeBeat(app);
    await second.beat.start();
    assert.equal(await readyCount(app, queue), 3);
    assert.deepEqual(second.sent.map((s) => new Date(s.scheduledAt).toISOString()), ['2026-01-01T01:02:00.000Z']);
    await clock.advance(30_000);
    assert.equal(await readyCount(app, queue), 4, 'then every minute again, at 01:03');
  });

  it('two beats at once: only the lock holder sends, each run once; the other takes over when it stops', async () => {
    const logA = captureLog();
    const logB = captureLog();
    const a = makeBeat(makeApp(every10s), { log: logA });
    const b = makeBeat(makeApp(every10s), { log: logB });
    const standby: (string | null)[] = [];
    b.beat.events.on('standby', (holder) => standby.push(holder));
    await a.beat.start();
    await b.beat.start();
    assert.equal(a.beat.isLeader, true);
    assert.equal(b.beat.isLeader, false);
    assert.equal(standby.length, 1);
    assert.match(String(standby[0]), new RegExp(`^${process.pid}@`), 'the standby sees who holds the lock');
    assert.match(logB.lines.join('\n'), /beat: another beat holds the lock \(\d+@.*\): standing by/);

    await clock.advance(60_000, 2);
    assert.equal(await readyCount(apps[0], queue), 6);
    assert.deepEqual(a.sent.map((s) => (s.scheduledAt - T0) / 1000), [10, 20, 30, 40, 50, 60]);
    assert.equal(b.sent.length, 0, 'the standby sent nothing');

    await a.beat.stop();
    assert.equal(await store.get(LOCK_KEY), null, 'stop released the lock');
    await clock.advance(60_000, 1);
    assert.equal(b.beat.isLeader, true);
    assert.match(logB.lines.join('\n'), /beat: the lock is free: taking over/);
    assert.deepEqual(b.sent.map((s) => (s.scheduledAt - T0) / 1000), [70, 80, 90, 100, 110, 120], 'no run skipped or repeated');
    assert.equal(await readyCount(apps[0], queue), 12);
  });

  it('a holder cut off from the store stops sending; the standby takes over when the lock expires', async () => {
    const cut = new PartitionableStore(store);
    const logA = captureLog();
    const a = makeBeat(makeApp(every10s), { store: cut, log: logA });
    const b = makeBeat(makeApp(every10s));
    await a.beat.start();
    await b.beat.start();
    await clock.advance(35_000, 2);
    assert.deepEqual(a.sent.map((s) => (s.scheduledAt - T0) / 1000), [10, 20, 30]);

    cut.cut = true; // A's last renewal was at T0+30: the lock expires at T0+60
    await clock.advance(24_000, 2); // T0+59
    assert.equal(b.beat.isLeader, false, 'the lock has not expired yet');
    assert.equal(await readyCount(apps[0], queue), 3, 'A cannot renew, so it does not send');
    assert.match(logA.lines.join('\n'), /ERROR\/MainProcess\] beat: connection lost \(test partition\)/);

    await clock.advance(1_000, 2); // T0+60: expired; B takes over and catches up once
    assert.equal(b.beat.isLeader, true);
    assert.deepEqual(b.sent.map((s) => (s.scheduledAt - T0) / 1000), [60]);

    cut.cut = false;
    await clock.advance(60_000, 2);
    assert.equal(a.beat.isLeader, false, 'A found the lock taken and stood by');
    assert.match(logA.lines.join('\n'), /WARNING\/MainProcess\] beat: lost the lock \(it expired/);
    assert.deepEqual(a.sent.map((s) => (s.scheduledAt - T0) / 1000), [10, 20, 30], 'A sent nothing after the partition');
    assert.deepEqual(b.sent.map((s) => (s.scheduledAt - T0) / 1000), [60, 70, 80, 90, 100, 110, 120]);
    assert.equal(await readyCount(apps[0], queue), 10);

    // And back: when B stops, A leads again from B's last run (T0+120), not from its own.
    await b.beat.stop();
    await clock.advance(30_000, 1);
    assert.equal(a.beat.isLeader, true);
    assert.deepEqual(a.sent.map((s) => (s.scheduledAt - T0) / 1000), [10, 20, 30, 130, 140, 150]);
    assert.equal(await readyCount(apps[0], queue), 13);
  });

  it('a lone beat whose lock expired while it was cut off takes it back and catches up once', async () => {
    const cut = new PartitionableStore(store);
    const log = captureLog();
    const a = makeBeat(makeApp(every10s), { store: cut, log });
    await a.beat.start();
    await clock.advance(35_000);
    cut.cut = true; // the lock, last renewed at T0+30, expires at T0+60
    await clock.advance(40_000); // T0+75
    assert.equal(await store.get(LOCK_KEY), null);
    cut.cut = false;
    await clock.advance(10_000); // the retry at T0+75 or T0+80 takes the lock again
    assert.equal(a.beat.isLeader, true);
    assert.match(log.lines.join('\n'), /beat: lost the lock \(it expired[\s\S]*beat: took the lock again/);
    assert.deepEqual(a.sent.map((s) => (s.scheduledAt - T0) / 1000), [10, 20, 30, 80]);
    assert.equal(await readyCount(apps[0], queue), 4);
  });

  it('a run the broker refused is sent once when the broker is back, and recorded only then', async () => {
    const real = await createBroker('memory://', { log: quietLog });
    let down = false;
    const flaky = new Proxy(real, {
      get(target, prop) {
        if (prop === 'publish' && down) return async () => Promise.reject(new ConnectionError('broker unreachable'));
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const log = captureLog();
    const app = makeApp(every10s, { broker: flaky, log });
    const { beat, sent } = makeBeat(app);
    await beat.start();
    down = true;
    await clock.advance(16_000); // the run at T0+10 fails, so does the retry at T0+15
    assert.equal(await readyCount(app, queue), 0);
    assert.equal(await store.get(beatStateKey('add-every-10s')), String(T0), 'a failed run is not recorded');
    assert.match(log.lines.join('\n'), /ERROR\/MainProcess\] Message Error: Couldn't apply scheduled task add-every-10s: broker unreachable/);
    down = false;
    await clock.advance(4_000); // the retry at T0+20 goes through, standing for both missed runs
    assert.equal(await readyCount(app, queue), 1);
    assert.deepEqual(sent.map((s) => (s.scheduledAt - T0) / 1000), [20]);
    await clock.advance(10_000);
    assert.equal(await readyCount(app, queue), 2);
    await real.close();
  });

  it('a run whose message cannot be built is logged and skipped, not retried forever', async () => {
    const log = captureLog();
    const app = makeApp({ broken: { task: 'proj.add', schedule: 10, options: { expires: 'next tuesday' } } }, { log });
    const { beat } = makeBeat(app);
    await beat.start();
    await clock.advance(30_000);
    assert.equal(await readyCount(app, queue), 0);
    assert.equal(log.lines.filter((l) => /Couldn't apply scheduled task broken: expires .* is not an ISO-8601 time/.test(l)).length, 3);
    assert.equal(await store.get(beatStateKey('broken')), String(T0 + 30_000));
  });

  it('an empty schedule starts, says so and sends nothing', async () => {
    const log = captureLog();
    const app = makeApp({}, { log });
    const { beat } = makeBeat(app);
    await beat.start();
    assert.equal(clock.pendingTimers, 0);
    assert.match(log.lines.join('\n'), /beat: the schedule is empty/);
  });
});
