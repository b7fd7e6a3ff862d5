import { strict as assert } from 'node:assert';
import { parseIso, toCeleryIso, toNaiveIso } from '../../src/runtime/protocol';

const T = Date.UTC(2026, 10, 24, 12, 55, 11, 306);

/** Runs fn with the process in another time zone (Node applies TZ changes at once). */
function inTimeZone(tz: string, fn: () => void): void {
  const saved = process.env.TZ;
  process.env.TZ = tz;
  try {
    fn();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

describe('toCeleryIso / toNaiveIso', () => {
  it('writes UTC with six fraction digits and +00:00, as Celery writes eta/expires', () => {
    assert.equal(toCeleryIso(T), '2026-11-24T12:55:11.306000+00:00');
  });

  it('leaves out the fraction when there are no milliseconds, as Python does for 0 microseconds', () => {
    assert.equal(toCeleryIso(Date.UTC(2026, 10, 24, 12, 55, 11)), '2026-11-24T12:55:11+00:00');
  });

  it('writes date_done naive (no offset), as Celery 5.2 does', () => {
    assert.equal(toNaiveIso(T), '2026-11-24T12:55:11.306000');
  });

  it('does not depend on the local time zone', () => {
    inTimeZone('Asia/Kolkata', () => assert.equal(toCeleryIso(T), '2026-11-24T12:55:11.306000+00:00'));
  });
});

describe('parseIso', () => {
  it('round-trips toCeleryIso and toNaiveIso to the millisecond', () => {
    for (let ms = Date.UTC(1999, 11, 31, 23, 59, 59, 999); ms < Date.UTC(2040, 0, 1); ms += 86_400_000 * 37 + 3_600_000 * 5 + 61_001) {
      assert.equal(parseIso(toCeleryIso(ms)), ms, toCeleryIso(ms));
      assert.equal(parseIso(toNaiveIso(ms)), ms, toNaiveIso(ms));
    }
  });

  it("reads Celery's microseconds down to the millisecond (truncated)", () => {
    assert.equal(parseIso('2026-11-24T12:55:11.306360+00:00'), T);
    assert.equal(parseIso('2026-11-24T12:55:11.306999+00:00'), T);
    assert.equal(parseIso('2026-11-24T12:55:11.5+00:00'), Date.UTC(2026, 10, 24, 12, 55, 11, 500));
    assert.equal(parseIso('2026-11-24T12:55:11.306360123Z'), T);
  });

  it('applies offsets: +02:00, -05:30, +0200, Z', () => {
    const noon = Date.UTC(2026, 10, 24, 12, 0, 0);
    assert.equal(parseIso('2026-11-24T14:00:00+02:00'), noon);
    assert.equal(parseIso('2026-11-24T06:30:00-05:30'), noon);
    assert.equal(parseIso('2026-11-24T14:00:00+0200'), noon);
    assert.equal(parseIso('2026-11-24T12:00:00Z'), noon);
    assert.equal(parseIso('2026-11-24T12:00:00+00:00'), noon);
  });

  it('reads a string without an offset as UTC, whatever the local time zone', () => {
    const expected = Date.UTC(2026, 10, 24, 12, 48, 40, 234);
    assert.equal(parseIso('2026-11-24T12:48:40.234861'), expected);
    inTimeZone('America/New_York', () => assert.equal(parseIso('2026-11-24T12:48:40.234861'), expected));
  });

  it('accepts a space for T and a time without seconds', () => {
    assert.equal(parseIso('2026-11-24 12:55:11.306+00:00'), T);
    assert.equal(parseIso('2026-11-24T12:55'), Date.UTC(2026, 10, 24, 12, 55));
  });

  it('returns undefined for what is not an ISO-8601 time', () => {
    for (const garbage of [
      '', 'tomorrow', 'null', '2026-11-24', '12:00:00', '1795524920.2472217', '2026/11/24 12:00:00',
      '2026-11-24T12:00:00 +00:00', '2026-11-24T12:00:00+2', '2026-11-24T12:00:00.+00:00',
    ]) {
      assert.equal(parseIso(garbage), undefined, JSON.stringify(garbage));
    }
  });

  it('returns undefined for out-of-range fields instead of rolling them over', () => {
    for (const bad of [
      '2026-13-01T00:00:00', '2026-00-10T00:00:00', '2026-02-30T10:00:00', '2026-11-31T00:00:00',
      '2026-11-24T24:00:00', '2026-11-24T12:60:00', '2026-11-24T12:00:60', '2026-11-24T12:00:00+24:00',
      '2026-11-24T12:00:00+05:60',
    ]) {
      assert.equal(parseIso(bad), undefined, bad);
    }
    assert.equal(parseIso('2028-02-29T00:00:00'), Date.UTC(2028, 1, 29), 'a leap day is a real day');
  });
});
