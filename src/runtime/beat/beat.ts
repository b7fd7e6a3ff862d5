/**
 * Beat: sends the tasks of `beat_schedule` when they are due, as ordinary
 * task messages (as Celery beat does), for development and small deployments.
 *
 * - State: the last scheduled run of each entry is kept beside the broker
 *   (`celeriac.beat.<entry>.last`, ms since the epoch), so a restarted beat
 *   neither skips nor repeats a run. After downtime, the missed runs are sent
 *   once, not once each (Celery's behaviour); the time recorded is always the
 *   scheduled one, never "now", so intervals do not drift.
 * - One sender: beats sharing a broker take a lock (`celeriac.lock.beat`);
 *   only its holder sends. The others stand by and take over when it is
 *   released (the holder stopped) or expires (the holder died).
 * - Time comes from the app's Clock, so a fake clock drives it in tests.
 */
import type { App } from '../app/app';
import type { KeyValueStore } from '../backends/key-value-store';
import type { TimerHandle } from '../clock';
import { Emitter } from '../emitter';
import { ConfigError, errorMessage } from '../errors';
import type { Logger } from '../log';
import { BeatLock } from './beat-lock';
import { parseBeatSchedule, type BeatEntry, type BeatSchedule } from './beat-schedule';

export const BEAT_STATE_PREFIX = 'celeriac.beat.';

/** Where an entry's last scheduled run is kept. */
export function beatStateKey(entryName: string): string {
  return `${BEAT_STATE_PREFIX}${entryName}.last`;
}

export interface BeatOptions {
  /** Entries to send; default: the app's `beat_schedule`. */
  schedule?: BeatSchedule;
  /** Where state and the lock live; default: `app.coordination()` (Redis, or the embedded hub). */
  store?: KeyValueStore;
  /** Seconds beat sleeps at most between checks; default: `beat_max_loop_interval` (300). */
  maxInterval?: number;
  /** Seconds the lock lasts if its holder stops renewing it (dies); default 30. */
  lockTimeout?: number;
  /** Lock name; beats with the same name on one broker send one schedule. Default `beat`. */
  lockName?: string;
  log?: Logger;
}

export interface BeatSentTask {
  entry: string;
  task: string;
  id: string;
  /** The run this send stands for (ms since the epoch). */
  scheduledAt: number;
}

export interface BeatEvents {
  'task-sent': (sent: BeatSentTask) => void;
  /** This beat took the lock and now sends the schedule. */
  leader: () => void;
  /** Another beat holds the lock (`holder` says which); this one waits. */
  standby: (holder: string | null) => void;
}

export interface BeatEntryStatus {
  name: string;
  task: string;
  schedule: string;
  /** Last scheduled run sent (or when the entry was first seen), once known. */
  lastRunAt: number | undefined;
  nextRunAt: number | undefined;
}

interface EntryState {
  readonly entry: BeatEntry;
  lastRunAt?: number;
  nextRunAt?: number;
}

const MAX_TIMER_MS = 2_147_483_647;
/** After an error (store or broker unreachable), the next try; at most the max interval. */
const RETRY_MS = 5000;

export class Beat {
  readonly events = new Emitter<BeatEvents>();
  private readonly log: Logger;
  private readonly states: EntryState[];
  private readonly maxIntervalMs: number;
  private readonly lockTtlMs: number;
  private readonly lockName: string;
  private store?: KeyValueStore;
  private lock?: BeatLock;
  private timer?: TimerHandle;
  private ticking?: Promise<void>;
  private started = false;
  private stopped = false;
  private stateLoaded = false;
  private standingBy = false;

  constructor(
    private readonly app: App,
    private readonly options: BeatOptions = {},
  ) {
    this.log = options.log ?? app.log;
    const entries = parseBeatSchedule(options.schedule ?? app.conf.beatSchedule, app.conf.timezone);
    this.states = entries.map((entry) => ({ entry }));
    const maxInterval = options.maxInterval ?? app.conf.beatMaxLoopInterval;
    if (!(maxInterval > 0)) throw new ConfigError(`beat max interval must be a positive number of seconds, got ${maxInterval}`);
    this.maxIntervalMs = maxInterval * 1000;
    const lockTimeout = options.lockTimeout ?? 30;
    if (!(lockTimeout > 0)) throw new ConfigError(`beat lock timeout must be a positive number of seconds, got ${lockTimeout}`);
    this.lockTtlMs = lockTimeout * 1000;
    this.lockName = options.lockName ?? 'beat';
  }

  /** True while this beat holds the lock (it is the one sending). */
  get isLeader(): boolean {
    return this.lock?.isHeld ?? false;
  }

  get entries(): BeatEntryStatus[] {
    return this.states.map((s) => ({
      name: s.entry.name,
      task: s.entry.task,
      schedule: String(s.entry.schedule),
      lastRunAt: s.lastRunAt,
      nextRunAt: s.nextRunAt,
    }));
  }

  /** Connect, then run the first check (resolves once this beat knows whether it leads or stands by). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.log.info('beat: Starting...');
    if (this.states.length === 0) {
      this.log.warn('beat: the schedule is empty (beat_schedule): nothing to send');
      return;
    }
    for (const s of this.states) this.log.debug(`beat: entry ${s.entry.name} (${s.entry.task}) ${s.entry.schedule}`);
    this.store = this.options.store ?? (await this.app.coordination());
    this.lock = new BeatLock(this.store, this.lockName, this.lockTtlMs);
    await this.runTick();
  }

  /** Stop sending (a send under way finishes first) and release the lock for a standby beat. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.started) return;
    this.log.info('beat: Shutting down...');
    if (this.timer) this.app.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
    if (this.lock?.isHeld) {
      try {
        await this.lock.release();
        this.log.debug('beat: released the lock');
      } catch (err) {
        this.log.warn(`beat: could not release the lock (it expires in ${this.lockTtlMs / 1000}s): ${errorMessage(err)}`);
      }
    }
  }

  private runTick(): Promise<void> {
    this.timer = undefined;
    const tick = this.tick().finally(() => {
      if (this.ticking === tick) this.ticking = undefined;
    });
    this.ticking = tick;
    return tick;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let delay: number;
    try {
      delay = await this.check();
    } catch (err) {
      delay = Math.min(this.maxIntervalMs, RETRY_MS);
      this.log.error(`beat: ${errorMessage(err)} (trying again in ${(delay / 1000).toFixed(2)} seconds)`);
    }
    if (this.stopped) return;
    delay = Math.min(Math.max(0, delay), MAX_TIMER_MS);
    if (this.isLeader) this.log.debug(`beat: Waking up in ${(delay / 1000).toFixed(2)} seconds.`);
    this.timer = this.app.clock.setTimeout(() => void this.runTick(), delay);
  }

  /** One check: keep (or take) the lock, send what is due; resolves to the ms until the next check. */
  private async check(): Promise<number> {
    const lock = this.lock!;
    const pollMs = Math.min(this.maxIntervalMs, this.lockTtlMs / 3);
    const wasLeader = lock.isHeld;
    let held = await lock.acquireOrRenew();
    if (!held && wasLeader) {
      // It expired (this process was paused or cut off): another beat may have sent since, so state is re-read.
      this.log.warn('beat: lost the lock (it expired before this beat renewed it)');
      this.stateLoaded = false;
      held = await lock.acquireOrRenew();
      if (held) this.log.info('beat: took the lock again: this beat sends the schedule');
    }
    if (!held) {
      this.stateLoaded = false;
      if (!this.standingBy) {
        this.standingBy = true;
        const holder = await lock.holder().catch(() => null);
        this.log.info(`beat: another beat holds the lock${holder ? ` (${holder})` : ''}: standing by, taking over if it stops`);
        this.events.emit('standby', holder);
      }
      return pollMs;
    }
    if (!wasLeader) {
      this.log.info(
        this.standingBy ? 'beat: the lock is free: taking over as the beat that sends the schedule' : 'beat: acquired the lock: this beat sends the schedule',
      );
      this.standingBy = false;
      this.events.emit('leader');
    }
    if (!this.stateLoaded) await this.loadState();

    for (const s of this.states) {
      if (this.stopped) break;
      if (s.nextRunAt! > this.app.clock.now()) continue;
      // Not sent (the broker is unreachable): the run stays due and is tried again soon.
      if (!(await this.apply(s))) return Math.min(this.maxIntervalMs, RETRY_MS);
    }
    const now = this.app.clock.now();
    const nextDue = Math.min(...this.states.map((s) => s.nextRunAt!));
    return Math.min(nextDue - now, this.maxIntervalMs, pollMs);
  }

  /** Read every entry's last run; entries never run start counting from now. */
  private async loadState(): Promise<void> {
    const store = this.store!;
    const values = await store.mget(this.states.map((s) => beatStateKey(s.entry.name)));
    const now = this.app.clock.now();
    for (const [i, s] of this.states.entries()) {
      const raw = values[i];
      const last = raw === null ? NaN : Number(raw);
      if (Number.isFinite(last)) {
        s.lastRunAt = last;
      } else {
        if (raw !== null) this.log.warn(`beat: ignoring unreadable state of ${s.entry.name}: ${JSON.stringify(raw)}`);
        // Remember when the entry was first seen, so a restart before its first run keeps the phase.
        s.lastRunAt = now;
        await store.set(beatStateKey(s.entry.name), String(now));
      }
      s.nextRunAt = s.entry.schedule.next(s.lastRunAt);
    }
    this.stateLoaded = true;
  }

  /** Send an entry's due run and record it; false when it should be tried again later. */
  private async apply(s: EntryState): Promise<boolean> {
    const { entry } = s;
    // Missed runs (beat was down) are sent once; record the latest of them, not now.
    const scheduledAt = entry.schedule.latestDue(s.lastRunAt!, this.app.clock.now());
    this.log.info(`Scheduler: Sending due task ${entry.name} (${entry.task})`);
    let id: string | undefined;
    try {
      id = (await this.app.sendTask(entry.task, entry.args, entry.kwargs, entry.options)).id;
    } catch (err) {
      this.log.error(`Message Error: Couldn't apply scheduled task ${entry.name}: ${errorMessage(err)}`);
      // A message that cannot be built never will be: skip this run. Anything else (broker down): retry.
      if (!(err instanceof ConfigError)) return false;
    }
    await this.store!.set(beatStateKey(entry.name), String(scheduledAt));
    s.lastRunAt = scheduledAt;
    s.nextRunAt = entry.schedule.next(scheduledAt);
    if (id !== undefined) this.events.emit('task-sent', { entry: entry.name, task: entry.task, id, scheduledAt });
    return true;
  }
}
