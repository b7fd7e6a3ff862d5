/** `celeriac inspect <method>`: ask workers (Celeriac or Python Celery) what they are doing. */
import { broadcastControl, type Replies } from '../../control/control-client';
import { pyRepr } from '../../protocol/pyrepr';
import { UsageError, type CommandSpec, type Parsed } from '../args';
import { APP_OPTIONS, loadCliApp } from '../cli-app';
import type { CliCommand, CliIO } from '../io';

export const INSPECT_METHODS: Record<string, string> = {
  ping: 'check the workers answer',
  active: 'tasks running now',
  reserved: 'tasks received and waiting for a slot',
  scheduled: 'tasks held until their ETA',
  registered: 'task names each worker knows',
  stats: 'counters, pool, broker and resource usage',
  revoked: 'ids of revoked tasks',
  active_queues: 'queues each worker consumes',
  query_task: 'state of the given task ids (query_task ID…)',
};

/** Celery's exit status when no node answered (EX_UNAVAILABLE). */
export const EX_UNAVAILABLE = 69;

export const CONTROL_TARGET_OPTIONS = {
  destination: { type: 'string' as const, short: 'd', value: 'NODES', description: 'comma-separated node names to ask (default: all)' },
  timeout: { type: 'number' as const, short: 't', value: 'SECONDS', description: 'how long to wait for replies', default: 1 },
  json: { type: 'boolean' as const, short: 'j', description: 'print the replies as JSON' },
};

const spec: CommandSpec = {
  name: 'inspect',
  summary: 'ask workers what they are doing (ping, active, stats, …)',
  usage: '<method> [args…] [options]',
  description:
    'Broadcast an inspect request to the workers (Celeriac and Python Celery alike) and print their replies.\n\nMethods:\n' +
    Object.entries(INSPECT_METHODS)
      .map(([m, d]) => `  ${m.padEnd(14)}${d}`)
      .join('\n') +
    `\n\nExits ${EX_UNAVAILABLE} when no worker replies in time.`,
  positionals: [1, 100],
  options: { ...APP_OPTIONS, ...CONTROL_TARGET_OPTIONS },
  examples: ['celeriac inspect ping', 'celeriac inspect active -d worker1@host --json', 'celeriac inspect query_task 8bb2cd7a-…'],
};

export function destinations(raw: unknown): string[] | undefined {
  return typeof raw === 'string' ? raw.split(',').map((d) => d.trim()).filter(Boolean) : undefined;
}

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

/** Celery's layout: `->  node: OK` then the reply, indented; a count of nodes at the end. */
export function printReplies(replies: Replies, io: CliIO, asJson: boolean): number {
  const nodes = Object.keys(replies).sort();
  if (asJson) {
    io.stdout.write(JSON.stringify(replies) + '\n');
  } else {
    for (const node of nodes) {
      const value = replies[node];
      const isError = typeof value === 'object' && value !== null && 'error' in (value as object);
      io.stdout.write(`->  ${node}: ${isError ? 'ERROR' : 'OK'}\n`);
      if (Array.isArray(value)) {
        io.stdout.write(value.length ? value.map((v) => indent(`* ${typeof v === 'string' ? v : pyRepr(v)}`)).join('\n') + '\n' : indent('- empty -') + '\n');
      } else if (typeof value === 'object' && value !== null && ('ok' in value || 'error' in value)) {
        const v = value as { ok?: unknown; error?: unknown };
        io.stdout.write(indent(String(v.ok ?? v.error)) + '\n');
      } else {
        io.stdout.write(indent(JSON.stringify(value, null, 2)) + '\n');
      }
    }
  }
  if (nodes.length === 0) {
    io.stderr.write('Error: No nodes replied within time constraint\n');
    return EX_UNAVAILABLE;
  }
  if (!asJson) io.stdout.write(`\n${nodes.length} node${nodes.length === 1 ? '' : 's'} online.\n`);
  return 0;
}

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const [method, ...rest] = parsed.positionals;
  if (!(method in INSPECT_METHODS)) {
    throw new UsageError(`unknown inspect method '${method}' (one of: ${Object.keys(INSPECT_METHODS).join(', ')})`);
  }
  const v = parsed.values;
  const args: Record<string, unknown> = method === 'registered' ? { taskinfoitems: [] } : method === 'query_task' ? { ids: rest } : {};
  if (method === 'query_task' && rest.length === 0) throw new UsageError('query_task needs one or more task ids');
  const cli = await loadCliApp(v, io, 'client');
  try {
    const replies = await broadcastControl(await cli.app.connectBroker(), method, args, {
      timeout: v.timeout as number,
      destination: destinations(v.destination),
    });
    return printReplies(replies, io, Boolean(v.json));
  } finally {
    await cli.close();
  }
}

export const inspectCommand: CliCommand = { spec, run };
