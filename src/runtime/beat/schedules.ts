/**
 * When a beat entry runs: every fixed interval (Celery's `schedule(run_every)`,
 * a number of seconds or a timedelta), or on a crontab in a time zone
 * (Celery's `crontab()`). Times are ms since the epoch; a schedule only answers
 * "when after this moment?", so it can be computed for any clock, real or fake.
 */
import { CronExpressionParser } from 'cron-parser';
import { ConfigError, errorMessage } from '../errors';

export interface Schedule {
  /** The first run strictly after `after`. */
  next(after: number): number;
  /**
   * The run to record when catching up at `now` after the last run at
   * `lastRun`: the latest scheduled time at or before `now` (assumes
   * `next(lastRun) <= now`), so missed runs are sent once, not once each.
   */
  latestDue(lastRun: number, now: number): number;
  toString(): string;
}

/** Every `everyMs` milliseconds, counted from the last scheduled run (no drift). */
export class IntervalSchedule implements Schedule {
  constructor(readonly everyMs: number) {
    if (!(Number.isFinite(everyMs) && everyMs > 0)) throw new ConfigError(`an interval must be a positive duration, got ${everyMs} ms`);
  }

  next(after: number): number {
    return after + this.everyMs;
  }

  latestDue(lastRun: number, now: number): number {
    const periods = Math.max(1, Math.floor((now - lastRun) / this.everyMs));
    return lastRun + periods * this.everyMs;
  }

  toString(): string {
    return `<freq: ${formatDuration(this.everyMs)}>`;
  }
}

/** Crontab fields by Celery's names (`day_of_week` or `dayOfWeek`); each defaults to `*`. */
export interface CrontabFields {
  /** Seconds: not in Celery's crontab; cron-parser's optional sixth field. */
  second?: CronField;
  minute?: CronField;
  hour?: CronField;
  dayOfMonth?: CronField;
  monthOfYear?: CronField;
  dayOfWeek?: CronField;
  day_of_month?: CronField;
  month_of_year?: CronField;
  day_of_week?: CronField;
}

export type CronField = string | number | readonly number[];

export interface CrontabOptions {
  /** IANA time zone the fields are read in; default: the app's `timezone` setting (UTC). */
  tz?: string;
}

/** A crontab in a time zone; DST changes follow the zone's wall clock (cron-parser's rules). */
export class CrontabSchedule implements Schedule {
  constructor(
    readonly expression: string,
    /** Undefined until the beat applies the app's `timezone`. */
    readonly tz?: string,
  ) {
    if (tz !== undefined) checkTimezone(tz, `crontab '${expression}'`);
    try {
      CronExpressionParser.parse(expression, { tz: tz ?? 'UTC', strict: false });
    } catch (err) {
      throw new ConfigError(`crontab '${expression}' is not a valid cron expression: ${errorMessage(err)}`);
    }
    const fields = expression.trim().split(/\s+/).length;
    if (!expression.trim().startsWith('@') && (fields < 5 || fields > 6)) {
      throw new ConfigError(`crontab '${expression}' must have 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first`);
    }
  }

  /** This schedule in `tz` unless it names its own zone. */
  withDefaultTimezone(tz: string): CrontabSchedule {
    return this.tz !== undefined ? this : new CrontabSchedule(this.expression, tz);
  }

  next(after: number): number {
    return this.iterator(after).next().getTime();
  }

  latestDue(lastRun: number, now: number): number {
    const first = this.next(lastRun);
    // prev() is strictly before its start: from now + 1 ms it may return now itself.
    const latest = this.iterator(now + 1).prev().getTime();
    return Math.max(first, latest);
  }

  private iterator(from: number) {
    return CronExpressionParser.parse(this.expression, { tz: this.tz ?? 'UTC', currentDate: new Date(from) });
  }

  toString(): string {
    return `<crontab: ${this.expression} ${this.tz ?? '(app timezone)'}>`;
  }
}

/**
 * A fixed interval: seconds (`30`), a duration string (`'30s'`, `'5m'`,
 * `'1h30m'`, `'500ms'`, `'2d'`), or parts (`{ minutes: 5 }`), like Celery's
 * `schedule(timedelta(minutes=5))`.
 */
export function interval(every: number | string | DurationParts): IntervalSchedule {
  return new IntervalSchedule(durationMs(every, 'interval'));
}

/**
 * A crontab, as a cron expression (`'*\/5 9-17 * * mon-fri'`) or Celery's
 * fields (`{ minute: '*\/5', hour: '9-17' }`), read in `tz` (default: the
 * app's `timezone` setting).
 */
export function crontab(spec: string | CrontabFields = {}, options: CrontabOptions = {}): CrontabSchedule {
  const expression = typeof spec === 'string' ? spec : fieldsToExpression(spec);
  return new CrontabSchedule(expression, options.tz);
}

const FIELD_ALIASES: Record<string, keyof CrontabFields> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'dayOfMonth',
  day_of_month: 'dayOfMonth',
  monthOfYear: 'monthOfYear',
  month_of_year: 'monthOfYear',
  dayOfWeek: 'dayOfWeek',
  day_of_week: 'dayOfWeek',
};

function fieldsToExpression(spec: CrontabFields): string {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ConfigError(`crontab() takes a cron expression or an object of fields, got ${JSON.stringify(spec)}`);
  }
  const f: Partial<Record<keyof CrontabFields, string>> = {};
  for (const [key, value] of Object.entries(spec)) {
    const field = FIELD_ALIASES[key];
    if (!field) {
      throw new ConfigError(
        `crontab() has no field '${key}' (fields: minute, hour, day_of_month, month_of_year, day_of_week, second)`,
      );
    }
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    if (!/^[\w*/,\-?#L]+$/i.test(text)) throw new ConfigError(`crontab() field '${key}' is not valid: '${text}'`);
    f[field] = text;
  }
  const five = [f.minute, f.hour, f.dayOfMonth, f.monthOfYear, f.dayOfWeek].map((v) => v ?? '*');
  return (f.second !== undefined ? [f.second, ...five] : five).join(' ');
}

export interface DurationParts {
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

const PART_MS: Record<keyof DurationParts, number> = {
  weeks: 604_800_000,
  days: 86_400_000,
  hours: 3_600_000,
  minutes: 60_000,
  seconds: 1000,
  milliseconds: 1,
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration in ms from seconds, a string like `'1h30m'`, or parts; `what` names it in errors. */
export function durationMs(every: unknown, what: string): number {
  let ms: number;
  if (typeof every === 'number') {
    ms = every * 1000;
  } else if (typeof every === 'string') {
    const text = every.trim();
    if (/\s/.test(text) && text.split(/\s+/).length >= 5) {
      throw new ConfigError(`${what} '${every}' looks like a cron expression: use crontab('${every}')`);
    }
    const re = /\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/y;
    ms = 0;
    let end = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      ms += Number(m[1]) * UNIT_MS[m[2]];
      end = re.lastIndex;
    }
    if (!text || end !== text.length) {
      throw new ConfigError(`${what} '${every}' is not a duration (examples: 30s, 5m, 1h30m, 500ms, 2d)`);
    }
  } else if (typeof every === 'object' && every !== null && !Array.isArray(every)) {
    ms = 0;
    for (const [key, value] of Object.entries(every)) {
      const unit = PART_MS[key as keyof DurationParts];
      if (unit === undefined) throw new ConfigError(`${what} has no unit '${key}' (units: ${Object.keys(PART_MS).join(', ')})`);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new ConfigError(`${what} ${key} must be a non-negative number, got ${JSON.stringify(value)}`);
      }
      ms += value * unit;
    }
  } else {
    throw new ConfigError(`${what} must be seconds, a duration string like '30s' or parts like { minutes: 5 }, got ${JSON.stringify(every) ?? typeof every}`);
  }
  if (!(Number.isFinite(ms) && ms > 0)) throw new ConfigError(`${what} must be longer than zero, got ${JSON.stringify(every)}`);
  return ms;
}

/** Throws a ConfigError naming `what` when `tz` is not an IANA time zone this Node knows. */
export function checkTimezone(tz: unknown, what: string): string {
  if (typeof tz !== 'string' || !tz) throw new ConfigError(`${what}: the time zone must be a name like 'Europe/Paris', got ${JSON.stringify(tz)}`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new ConfigError(`${what}: unknown time zone '${tz}' (use an IANA name like 'UTC' or 'Europe/Paris')`);
  }
  return tz;
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
