/**
 * The timeline of a finished simulation run (`celeriac sim --out run.json`):
 * its event log placed at its virtual times. Nothing can be sent to a run
 * that is over, so actions say so.
 */
import type { TimelineEvent, TimelineStoredResult, TimelineTaskEventType } from '../../shared/timeline-protocol';
import type { SimulationResult } from '../../runtime/sim/run-simulation';
import type { ActionOutcome, TimelineSource } from './timeline-source';

const TASK_TYPES = new Set<string>(['task-sent', 'task-received', 'task-started', 'task-succeeded', 'task-failed', 'task-retried', 'task-revoked', 'task-rejected']);

/** The run's log as timeline events (times absolute, task ids the run's labels T1, T2, …). */
export function simRunEvents(run: Pick<SimulationResult, 'events' | 'startMs'>): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const e of run.events) {
    const time = run.startMs + e.t;
    if (TASK_TYPES.has(e.type) && e.task) {
      const failed = e.type === 'task-failed' || e.type === 'task-retried';
      out.push({
        type: e.type as TimelineTaskEventType,
        id: e.task,
        time,
        hostname: e.worker ?? 'client',
        ...(e.name ? { name: e.name } : {}),
        ...(e.args ? { args: e.args } : {}),
        ...(e.queue ? { queue: e.queue } : {}),
        ...(e.retries !== undefined ? { retries: e.retries } : {}),
        ...(e.eta !== undefined ? { eta: run.startMs + e.eta } : {}),
        ...(e.parent ? { parentId: e.parent } : {}),
        ...(failed && e.detail ? { exception: e.detail } : {}),
      });
    } else if ((e.type === 'worker-online' || e.type === 'worker-offline') && e.worker) {
      out.push({ type: e.type, hostname: e.worker, time, software: 'celeriac sim' });
    }
  }
  return out;
}

export class SimRunTimelineSource implements TimelineSource {
  readonly id: string;
  readonly label: string;
  private readonly events: TimelineEvent[];

  constructor(run: SimulationResult, file: string) {
    this.id = `sim:${file}`;
    this.label = `simulation of ${run.scenario.split(/[\\/]/).pop()} (seed ${run.report.seed})`;
    this.events = simRunEvents(run);
  }

  history(): TimelineEvent[] {
    return this.events;
  }

  taskNames(): string[] {
    return [...new Set(this.events.flatMap((e) => ('name' in e && e.name ? [e.name] : [])))];
  }

  async retry(name: string): Promise<ActionOutcome> {
    return { ok: false, message: `${name} ran in a simulation that is over: change the scenario and run it again` };
  }

  async revoke(taskId: string): Promise<ActionOutcome> {
    return { ok: false, message: `${taskId} ran in a simulation that is over: nothing to revoke` };
  }

  async storedResults(): Promise<TimelineStoredResult[]> {
    return [];
  }
}
