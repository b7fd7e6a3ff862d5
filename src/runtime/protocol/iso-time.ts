/**
 * Timestamps as Celery writes them: `eta`/`expires` are ISO-8601 with an
 * explicit offset and microseconds (`2026-11-24T12:55:11.306360+00:00`);
 * `date_done` is naive UTC (`2026-11-24T12:48:40.234861`).
 */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function isoCore(ms: number): string {
  const d = new Date(ms);
  const base =
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const millis = d.getUTCMilliseconds();
  // Python omits the fraction when microseconds are 0; otherwise prints 6 digits.
  return millis === 0 ? base : `${base}.${pad(millis, 3)}000`;
}

/** `2026-11-24T12:55:11.306000+00:00` */
export function toCeleryIso(ms: number): string {
  return isoCore(ms) + '+00:00';
}

/** `2026-11-24T12:48:40.234000` (naive, UTC): Celery 5.2's `date_done`. */
export function toNaiveIso(ms: number): string {
  return isoCore(ms);
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Milliseconds since the epoch for an ISO-8601 string, or `undefined` if it is
 * not one. A string without an offset is UTC, as Celery treats it with `enable_utc`.
 */
export function parseIso(value: string): number | undefined {
  const m = ISO_RE.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const millis = frac ? Number((frac + '00').slice(0, 3)) : 0;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), s ? Number(s) : 0, millis);
  if (Number.isNaN(ms)) return undefined;
  // Date.UTC rolls over out-of-range fields (Feb 30 -> Mar 2, 24:00 -> next day); Python rejects them.
  const check = new Date(ms);
  if (
    check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) || check.getUTCMinutes() !== Number(mi) || check.getUTCSeconds() !== (s ? Number(s) : 0)
  ) {
    return undefined;
  }
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetH = Number(digits.slice(0, 2));
    const offsetM = Number(digits.slice(2, 4));
    if (offsetH > 23 || offsetM > 59) return undefined;
    ms -= sign * (offsetH * 60 + offsetM) * 60_000;
  }
  return ms;
}
