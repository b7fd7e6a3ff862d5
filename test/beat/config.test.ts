import { strict as assert } from 'node:assert';
import { Beat, ConfigError, createApp, crontab, interval, type App } from '../../src/runtime';
import { CrontabSchedule } from '../../src/runtime/beat/schedules';
import { quietLog } from '../helpers/runtime-harness';

describe('beat: configuration', () => {
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });

  function make(options: Record<string, unknown>): App {
    const app = createApp(options, { env: {}, log: quietLog });
    apps.push(app);
    return app;
  }

  function rejects(options: Record<string, unknown>, message: RegExp): void {
    assert.throws(() => make(options), (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assert.match(err.message, message);
      return true;
    });
  }

  it('accepts beat_schedule, timezone and beat_max_loop_interval in snake_case or camelCase', () => {
    const schedule = { 'add-every-30s': { task: 'proj.add', schedule: 30, args: [16, 16] } };
    const snake = make({ beat_schedule: schedule, timezone: 'Europe/Paris', beat_max_loop_interval: 5 });
    assert.equal(snake.conf.beatSchedule, schedule);
    assert.equal(snake.conf.timezone, 'Europe/Paris');
    assert.equal(snake.conf.beatMaxLoopInterval, 5);
    const camel = make({ beatSchedule: schedule, timezone: 'Asia/Tokyo' });
    assert.equal(camel.conf.beatSchedule, schedule);
    assert.equal(camel.conf.timezone, 'Asia/Tokyo');
    const old = make({ CELERYBEAT_SCHEDULE: schedule, CELERY_TIMEZONE: 'UTC' });
    assert.equal(old.conf.beatSchedule, schedule);
  });

  it('defaults: no schedule, UTC, 300 s between checks', () => {
    const app = make({});
    assert.equal(app.conf.beatSchedule, undefined);
    assert.equal(app.conf.timezone, 'UTC');
    assert.equal(app.conf.beatMaxLoopInterval, 300);
  });

  it('gives crontabs without a zone the app timezone, and keeps their own', () => {
    const app = make({
      timezone: 'Europe/Paris',
      beat_schedule: {
        local: { task: 't', schedule: crontab('0 9 * * *') },
        tokyo: { task: 't', schedule: crontab('0 9 * * *', { tz: 'Asia/Tokyo' }) },
        every: { task: 't', schedule: interval('5m') },
      },
    });
    const beat = new Beat(app);
    const [local, tokyo, every] = beat.entries;
    assert.equal(local.schedule, '<crontab: 0 9 * * * Europe/Paris>');
    assert.equal(tokyo.schedule, '<crontab: 0 9 * * * Asia/Tokyo>');
    assert.equal(every.schedule, '<freq: 5m>');
    assert.ok(app.conf.beatSchedule && (app.conf.beatSchedule.local.schedule as CrontabSchedule).tz === undefined);
  });

  it('rejects a bad timezone or max loop interval', () => {
    rejects({ timezone: 'Europe/Atlantis' }, /setting 'timezone': unknown time zone 'Europe\/Atlantis'/);
    rejects({ timezone: 5 }, /setting 'timezone' must be a string/);
    rejects({ beat_max_loop_interval: 0 }, /'beat_max_loop_interval' must be a positive number/);
  });

  it('names the entry that is wrong, and says what is wrong with it', () => {
    const entry = (e: unknown) => ({ beat_schedule: { 'nightly-report': e } });
    rejects({ beat_schedule: [] }, /setting 'beat_schedule' must be an object, got \[\]/);
    rejects(entry('proj.report'), /beat_schedule entry 'nightly-report' must be an object/);
    rejects(entry({ schedule: 60 }), /entry 'nightly-report' needs 'task'/);
    rejects(entry({ task: 'proj.report' }), /entry 'nightly-report' schedule needs a schedule/);
    rejects(entry({ task: 'proj.report', schedule: -1 }), /entry 'nightly-report' schedule must be longer than zero/);
    rejects(entry({ task: 'proj.report', schedule: 'daily' }), /entry 'nightly-report' schedule 'daily' is not a duration/);
    rejects(entry({ task: 'proj.report', schedule: '0 7 * * *' }), /entry 'nightly-report' schedule '0 7 \* \* \*' looks like a cron expression: use crontab/);
    rejects(entry({ task: 'proj.report', schedule: 60, args: { a: 1 } }), /entry 'nightly-report': 'args' must be a list/);
    rejects(entry({ task: 'proj.report', schedule: 60, kwargs: [1] }), /entry 'nightly-report': 'kwargs' must be an object/);
    rejects(entry({ task: 'proj.report', schedule: 60, args: [10n] }), /entry 'nightly-report': args and kwargs must be JSON/);
    rejects(entry({ task: 'proj.report', schedule: 60, options: 'fast' }), /entry 'nightly-report': 'options' must be an object/);
    rejects(entry({ task: 'proj.report', schedule: 60, options: { taskId: 'x' } }), /option 'taskId' cannot be scheduled/);
    rejects(entry({ task: 'proj.report', schedule: 60, options: { eta: 0 } }), /option 'eta' cannot be scheduled/);
    rejects(entry({ task: 'proj.report', schedule: 60, every: 5 }), /entry 'nightly-report' has an unknown key 'every'/);
  });

  it('a crontab in an unknown zone is refused where it is written', () => {
    assert.throws(() => crontab('0 7 * * *', { tz: 'Nowhere' }), /crontab '0 7 \* \* \*': unknown time zone 'Nowhere'/);
  });

  it('Beat refuses a bad max interval or lock timeout', () => {
    const app = make({});
    assert.throws(() => new Beat(app, { maxInterval: 0 }), /max interval must be a positive number/);
    assert.throws(() => new Beat(app, { lockTimeout: -1 }), /lock timeout must be a positive number/);
    assert.throws(() => new Beat(app, { schedule: { x: { task: 't', schedule: 'never' } } }), /entry 'x' schedule 'never' is not a duration/);
  });
});
