import { strict as assert } from 'node:assert';
import { ConfigError, crontab, interval } from '../../src/runtime';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** The first `n` runs after `from`. */
function runs(schedule: { next(after: number): number }, from: string, n: number): string[] {
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    t = schedule.next(t);
    out.push(iso(t));
  }
  return out;
}

describe('beat: schedules', () => {
  describe('interval', () => {
    it('runs every interval after the last scheduled run', () => {
      assert.deepEqual(runs(interval(30), '2026-01-01T00:00:00.000Z', 3), [
        '2026-01-01T00:00:30.000Z',
        '2026-01-01T00:01:00.000Z',
        '2026-01-01T00:01:30.000Z',
      ]);
    });

    it('reads seconds, duration strings and parts alike', () => {
      const t = at('2026-01-01T00:00:00Z');
      for (const every of [300, '5m', '300s', { minutes: 5 }, { seconds: 240, minutes: 1 }, '4m60s', '4m 60s']) {
        assert.equal(interval(every).next(t) - t, 300_000, JSON.stringify(every));
      }
      assert.equal(interval('1h30m').everyMs, 5_400_000);
      assert.equal(interval('500ms').everyMs, 500);
      assert.equal(interval('2d').everyMs, 172_800_000);
      assert.equal(interval(0.25).everyMs, 250);
    });

    it('is a fixed duration: a DST change does not move it', () => {
      // Europe/Paris goes from 02:00 CET to 03:00 CEST on 2026-03-29 (01:00 UTC).
      assert.deepEqual(runs(interval('1h'), '2026-03-29T00:30:00Z', 2), ['2026-03-29T01:30:00.000Z', '2026-03-29T02:30:00.000Z']);
    });

    it('catching up records the latest missed run, not now and not the first missed one', () => {
      const every = interval(10);
      const last = at('2026-01-01T00:00:00Z');
      assert.equal(iso(every.latestDue(last, at('2026-01-01T00:00:25Z'))), '2026-01-01T00:00:20.000Z');
      assert.equal(iso(every.latestDue(last, at('2026-01-01T00:00:10Z'))), '2026-01-01T00:00:10.000Z');
    });

    it('rejects durations that are not positive or not durations', () => {
      for (const bad of [0, -5, '', 'soon', '5 minutes', '10x', { minutes: 0 }, { fortnights: 1 }, { minutes: -1 }, [5], null]) {
        assert.throws(() => interval(bad as never), ConfigError, JSON.stringify(bad));
      }
      assert.throws(() => interval('*/5 * * * *' as never), /use crontab\('\*\/5 \* \* \* \*'\)/);
    });
  });

  describe('crontab', () => {
    it('runs at the matching minutes, strictly after the last run', () => {
      assert.deepEqual(runs(crontab('*/15 * * * *'), '2026-01-01T10:00:00Z', 3), [
        '2026-01-01T10:15:00.000Z',
        '2026-01-01T10:30:00.000Z',
        '2026-01-01T10:45:00.000Z',
      ]);
      assert.deepEqual(runs(crontab('*/15 * * * *'), '2026-01-01T10:07:31.250Z', 1), ['2026-01-01T10:15:00.000Z']);
    });

    it("builds the expression from Celery's fields (snake_case or camelCase)", () => {
      assert.equal(crontab({ minute: '*/5', hour: '9-17' }).expression, '*/5 9-17 * * *');
      assert.equal(crontab({ minute: 0, hour: 7, day_of_week: 'mon-fri' }).expression, '0 7 * * mon-fri');
      assert.equal(crontab({ minute: [0, 30], dayOfMonth: 1, monthOfYear: '1,7' }).expression, '0,30 * 1 1,7 *');
      assert.equal(crontab().expression, '* * * * *');
      assert.deepEqual(runs(crontab({ minute: 0, hour: 7, day_of_week: 'mon-fri' }), '2026-01-02T08:00:00Z', 2), [
        '2026-01-05T07:00:00.000Z', // Friday 2 January → Monday 5 January
        '2026-01-06T07:00:00.000Z',
      ]);
    });

    it('reads the fields in its time zone', () => {
      const paris = crontab('0 9 * * *', { tz: 'Europe/Paris' });
      assert.deepEqual(runs(paris, '2026-01-10T12:00:00Z', 1), ['2026-01-11T08:00:00.000Z']); // CET, UTC+1
      assert.deepEqual(runs(paris, '2026-07-10T12:00:00Z', 1), ['2026-07-11T07:00:00.000Z']); // CEST, UTC+2
      const ny = crontab('0 9 * * *', { tz: 'America/New_York' });
      assert.deepEqual(runs(ny, '2026-01-10T15:00:00Z', 1), ['2026-01-11T14:00:00.000Z']);
    });

    it('follows the wall clock over a DST change: 9:00 stays 9:00 local', () => {
      // America/New_York springs forward on 2026-03-08: 9:00 is 14:00 UTC before, 13:00 UTC after.
      assert.deepEqual(runs(crontab('0 9 * * *', { tz: 'America/New_York' }), '2026-03-06T15:00:00Z', 3), [
        '2026-03-07T14:00:00.000Z',
        '2026-03-08T13:00:00.000Z',
        '2026-03-09T13:00:00.000Z',
      ]);
    });

    it('runs a daily job once on the night the clocks go back (02:30 happens twice)', () => {
      // Europe/Paris falls back on 2026-10-25 at 03:00 CEST → 02:00 CET.
      const daily = crontab('30 2 * * *', { tz: 'Europe/Paris' });
      assert.deepEqual(runs(daily, '2026-10-24T12:00:00Z', 2), ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    });

    it('runs an hourly job every real hour across the change', () => {
      const hourly = crontab('0 * * * *', { tz: 'Europe/Paris' });
      assert.deepEqual(runs(hourly, '2026-10-24T23:30:00Z', 4), [
        '2026-10-25T00:00:00.000Z', // 02:00 CEST
        '2026-10-25T01:00:00.000Z', // 02:00 CET
        '2026-10-25T02:00:00.000Z', // 03:00 CET
        '2026-10-25T03:00:00.000Z',
      ]);
    });

    it('without its own zone it takes the default one', () => {
      const local = crontab('0 9 * * *');
      assert.equal(local.tz, undefined);
      const paris = local.withDefaultTimezone('Europe/Paris');
      assert.deepEqual(runs(paris, '2026-01-10T12:00:00Z', 1), ['2026-01-11T08:00:00.000Z']);
      const tokyo = crontab('0 9 * * *', { tz: 'Asia/Tokyo' }).withDefaultTimezone('Europe/Paris');
      assert.equal(tokyo.tz, 'Asia/Tokyo');
    });

    it('catching up records the latest missed run', () => {
      const every5 = crontab('*/5 * * * *');
      assert.equal(iso(every5.latestDue(at('2026-01-01T10:00:00Z'), at('2026-01-01T10:17:00Z'))), '2026-01-01T10:15:00.000Z');
      assert.equal(iso(every5.latestDue(at('2026-01-01T10:00:00Z'), at('2026-01-01T10:05:00Z'))), '2026-01-01T10:05:00.000Z');
      // On the night the clocks go forward (no 02:30 in Paris), the 03:30 stand-in is still one run.
      const daily = crontab('30 2 * * *', { tz: 'Europe/Paris' });
      const last = at('2026-03-28T01:30:00Z');
      const missed = daily.next(last);
      assert.equal(iso(missed), '2026-03-29T01:30:00.000Z');
      assert.equal(daily.latestDue(last, at('2026-03-29T12:00:00Z')), missed);
    });

    it('rejects bad expressions and time zones, naming them', () => {
      assert.throws(() => crontab('61 * * * *'), /crontab '61 \* \* \* \*' is not a valid cron expression/);
      assert.throws(() => crontab('* * *'), /must have 5 fields/);
      assert.throws(() => crontab('0 9 * * *', { tz: 'Mars/Olympus' }), /unknown time zone 'Mars\/Olympus'/);
      assert.throws(() => crontab({ minutes: 5 } as never), /no field 'minutes'/);
    });
  });
});
