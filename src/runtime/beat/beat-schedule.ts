/**
 * The `beat_schedule` setting, as in Celery:
 *
 *   beat_schedule: {
 *     'add-every-30s': { task: 'proj.add', schedule: 30, args: [16, 16] },
 *     'report-mornings': { task: 'proj.report', schedule: crontab('0 7 * * mon-fri', { tz: 'Europe/Paris' }) },
 *   }
 *
 * checked entry by entry, with errors that name the entry.
 */
import type { ApplyOptions } from '../app/task-options';
import { ConfigError, errorMessage } from '../errors';
import { CrontabSchedule, durationMs, IntervalSchedule, type DurationParts, type Schedule } from './schedules';

export interface BeatScheduleEntry {
  /** Task name (registered here or in any other worker, e.g. a Python one). */
  task: string;
  /** Seconds, a duration (`'30s'`, `{ minutes: 5 }`), `interval(…)`, `crontab(…)` or any Schedule. */
  schedule: number | string | DurationParts | Schedule;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** Options of every send (queue, priority, expires, headers, …), as for `applyAsync`. */
  options?: ApplyOptions;
}

export type BeatSchedule = Record<string, BeatScheduleEntry>;

/** An entry, checked, with its schedule resolved (crontabs in their time zone). */
export interface BeatEntry {
  readonly name: string;
  readonly task: string;
  readonly schedule: Schedule;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly options: ApplyOptions;
}

const ENTRY_KEYS = new Set(['task', 'schedule', 'args', 'kwargs', 'options']);

/** Options that cannot be the same on every run. */
const PER_RUN_OPTIONS: Record<string, string> = {
  taskId: 'every run needs its own id',
  task_id: 'every run needs its own id',
  eta: 'a fixed time cannot repeat; use countdown',
  parent: 'a scheduled run has no parent task',
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSchedule(v: unknown): v is Schedule {
  return typeof v === 'object' && v !== null && typeof (v as Schedule).next === 'function' && typeof (v as Schedule).latestDue === 'function';
}

function toSchedule(value: unknown, timezone: string, what: string): Schedule {
  if (value instanceof CrontabSchedule) return value.withDefaultTimezone(timezone);
  if (isSchedule(value)) return value;
  if (value === undefined || value === null) {
    throw new ConfigError(`${what} needs a schedule: seconds, a duration like '30s', interval(…) or crontab(…)`);
  }
  return new IntervalSchedule(durationMs(value, what));
}

/** Check `beat_schedule` and resolve its entries; throws a ConfigError naming the bad entry. */
export function parseBeatSchedule(raw: unknown, timezone: string): BeatEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!isPlainObject(raw)) {
    throw new ConfigError(`setting 'beat_schedule' must be an object of entries { '<name>': { task, schedule, … } }, got ${JSON.stringify(raw) ?? typeof raw}`);
  }
  const entries: BeatEntry[] = [];
  for (const [name, entry] of Object.entries(raw)) {
    const what = `beat_schedule entry '${name}'`;
    if (!name.trim()) throw new ConfigError(`beat_schedule has an entry with an empty name`);
    if (!isPlainObject(entry)) throw new ConfigError(`${what} must be an object { task, schedule, args?, kwargs?, options? }`);
    for (const key of Object.keys(entry)) {
      if (!ENTRY_KEYS.has(key)) throw new ConfigError(`${what} has an unknown key '${key}' (keys: task, schedule, args, kwargs, options)`);
    }
    if (typeof entry.task !== 'string' || !entry.task) throw new ConfigError(`${what} needs 'task', the name of the task to send`);
    let schedule: Schedule;
    try {
      schedule = toSchedule(entry.schedule, timezone, `${what} schedule`);
    } catch (err) {
      if (err instanceof ConfigError && err.message.includes(what)) throw err;
      throw new ConfigError(`${what}: ${errorMessage(err)}`);
    }
    const args = entry.args ?? [];
    if (!Array.isArray(args)) throw new ConfigError(`${what}: 'args' must be a list, got ${JSON.stringify(args)}`);
    const kwargs = entry.kwargs ?? {};
    if (!isPlainObject(kwargs)) throw new ConfigError(`${what}: 'kwargs' must be an object, got ${JSON.stringify(kwargs)}`);
    try {
      JSON.stringify([args, kwargs]);
    } catch (err) {
      throw new ConfigError(`${what}: args and kwargs must be JSON: ${errorMessage(err)}`);
    }
    const options = entry.options ?? {};
    if (!isPlainObject(options)) throw new ConfigError(`${what}: 'options' must be an object, got ${JSON.stringify(options)}`);
    for (const key of Object.keys(options)) {
      if (PER_RUN_OPTIONS[key]) throw new ConfigError(`${what}: option '${key}' cannot be scheduled (${PER_RUN_OPTIONS[key]})`);
    }
    entries.push(
      Object.freeze({
        name,
        task: entry.task,
        schedule,
        args: [...args],
        kwargs: { ...kwargs },
        options: { ...(options as ApplyOptions) },
      }),
    );
  }
  return entries;
}
