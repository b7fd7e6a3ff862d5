/** `celeriac events`: watch Celery events from every worker and client on the broker. */
import { receiveEvents } from '../../events/event-receiver';
import { EventState } from '../../events/event-state';
import type { CeleryEvent } from '../../events/celery-event';
import { pyRepr } from '../../protocol/pyrepr';
import { type CommandSpec, type Parsed } from '../args';
import { APP_OPTIONS, loadCliApp } from '../cli-app';
import type { CliCommand, CliIO } from '../io';

const spec: CommandSpec = {
  name: 'events',
  summary: 'watch task and worker events (live summary, --dump, --json)',
  usage: '[options]',
  description:
    'Receive Celery events from every worker and client on the broker (Celeriac and Python Celery).\n' +
    'Workers send task events when started with -E (worker_send_task_events). Stops on Ctrl-C.',
  options: {
    ...APP_OPTIONS,
    dump: { type: 'boolean', description: 'print every event as Celery\'s `events --dump` does' },
    json: { type: 'boolean', description: 'print every event as one JSON line' },
    'max-tasks': { type: 'number', value: 'N', description: 'tasks kept in the summary', default: 10_000 },
  },
};

// Celery's names for worker events in a dump.
const HUMAN: Record<string, string> = { 'worker-online': 'started', 'worker-offline': 'shutdown', 'worker-heartbeat': 'heartbeat' };

function value(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

function isoUtc(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace('Z', '');
}

/** One line as `celery events --dump` prints it. */
export function dumpLine(e: CeleryEvent, names: Map<string, string>): string {
  const { type, hostname, timestamp, ...rest } = e;
  const fields = rest as Record<string, unknown>;
  let task = '';
  if (type.startsWith('task-')) {
    const uuid = String(fields.uuid);
    delete fields.uuid;
    if (type === 'task-received' || type === 'task-sent') {
      task = `${value(fields.name)}(${uuid}) args=${value(fields.args)} kwargs=${value(fields.kwargs)}`;
      names.set(uuid, task);
      delete fields.name;
      delete fields.args;
      delete fields.kwargs;
    } else task = names.get(uuid) ?? uuid;
  }
  fields.local_received = Date.now() / 1000;
  const list = Object.keys(fields)
    .sort()
    .map((k) => `${k}=${value(fields[k])}`)
    .join(', ');
  const human = HUMAN[type] ?? type.replace('-', ' ');
  return `${hostname} [${isoUtc(timestamp)}] ${human}:${task ? ` ${task}` : ''} ${list}`;
}

function summary(state: EventState): string {
  const now = Date.now() / 1000;
  const lines = ['Workers'];
  const workers = [...state.workers.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
  if (workers.length === 0) lines.push('  (none seen yet: workers send a heartbeat every 2 s)');
  for (const w of workers) {
    lines.push(
      `  ${state.alive(w, now) ? '●' : '○'} ${w.hostname.padEnd(36)} ${(w.swIdent ?? '').padEnd(10)} active ${String(w.active).padStart(4)}  processed ${String(w.processed).padStart(8)}`,
    );
  }
  const counts = state.countByState();
  lines.push('', 'Tasks (seen in task events)');
  lines.push('  ' + Object.entries(counts).map(([k, n]) => `${k} ${n}`).join('  '));
  const recent = [...state.tasks.values()].slice(-10).reverse();
  for (const t of recent) lines.push(`  ${t.state.padEnd(8)} ${(t.name ?? '?').padEnd(36)} ${t.uuid}${t.runtime !== null ? `  ${t.runtime.toFixed(3)}s` : ''}`);
  return lines.join('\n') + '\n';
}

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const v = parsed.values;
  const cli = await loadCliApp(v, io, 'client');
  const broker = await cli.app.connectBroker();
  const state = new EventState(v['max-tasks'] as number);
  const names = new Map<string, string>();
  const live = !v.dump && !v.json && Boolean(io.stdout.isTTY);
  const sub = await receiveEvents(broker, (e) => {
    state.apply(e);
    if (v.json) io.stdout.write(JSON.stringify(e) + '\n');
    else if (!live) io.stdout.write(dumpLine(e, names) + '\n');
  });
  if (!live) io.stderr.write(`-> celeriac events: listening on ${broker.url} (Ctrl-C to stop)\n`);
  const ticker = live ? setInterval(() => io.stdout.write('\x1b[H\x1b[2J' + summary(state)), 1000) : undefined;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (ticker) clearInterval(ticker);
  sub.dispose();
  await cli.close();
  return 0;
}

export const eventsCommand: CliCommand = { spec, run };
