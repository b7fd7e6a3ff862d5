/** `celeriac control <method>`: tell workers to do something (revoke, rate_limit, shutdown, …). */
import { broadcastControl } from '../../control/control-client';
import { UsageError, type CommandSpec, type Parsed } from '../args';
import { APP_OPTIONS, loadCliApp } from '../cli-app';
import type { CliCommand, CliIO } from '../io';
import { CONTROL_TARGET_OPTIONS, destinations, printReplies } from './inspect';

interface ControlMethod {
  usage: string;
  describe: string;
  args(positionals: string[], values: Parsed['values']): Record<string, unknown>;
  reply?: boolean;
}

function need(positionals: string[], n: number, usage: string): void {
  if (positionals.length < n) throw new UsageError(`usage: celeriac control ${usage}`);
}

export const CONTROL_METHODS: Record<string, ControlMethod> = {
  revoke: {
    usage: 'revoke ID… [--terminate [--signal SIGTERM]]',
    describe: 'never run these tasks; with --terminate, also stop them if running',
    args: (p, v) => {
      need(p, 1, 'revoke ID…');
      return { task_id: p, terminate: Boolean(v.terminate), signal: (v.signal as string | undefined) ?? 'SIGTERM' };
    },
  },
  rate_limit: {
    usage: 'rate_limit TASK RATE',
    describe: "limit how often a task starts per worker: '10/s', '100/m', '1000/h', 0 to lift",
    args: (p) => {
      need(p, 2, 'rate_limit TASK RATE');
      return { task_name: p[0], rate_limit: p[1] };
    },
  },
  time_limit: {
    usage: 'time_limit TASK SOFT [HARD]',
    describe: 'change the soft (and hard) time limit of a task, in seconds',
    args: (p) => {
      need(p, 2, 'time_limit TASK SOFT [HARD]');
      return { task_name: p[0], soft: Number(p[1]), hard: p[2] === undefined ? null : Number(p[2]) };
    },
  },
  shutdown: { usage: 'shutdown', describe: 'warm shutdown of the workers (no reply)', args: () => ({}), reply: false },
  add_consumer: {
    usage: 'add_consumer QUEUE',
    describe: 'start consuming a queue',
    args: (p) => {
      need(p, 1, 'add_consumer QUEUE');
      return { queue: p[0], exchange: null, exchange_type: 'direct', routing_key: null };
    },
  },
  cancel_consumer: {
    usage: 'cancel_consumer QUEUE',
    describe: 'stop consuming a queue',
    args: (p) => {
      need(p, 1, 'cancel_consumer QUEUE');
      return { queue: p[0] };
    },
  },
  pool_restart: {
    usage: 'pool_restart',
    describe: 'replace the process-pool children (they load the task module afresh)',
    args: () => ({ modules: null, reload: false }),
  },
};

const spec: CommandSpec = {
  name: 'control',
  summary: 'tell workers to revoke, rate-limit, shut down, …',
  usage: '<method> [args…] [options]',
  description:
    'Broadcast a control command to the workers (Celeriac and Python Celery alike).\n\nMethods:\n' +
    Object.values(CONTROL_METHODS)
      .map((m) => `  ${m.usage.padEnd(44)}${m.describe}`)
      .join('\n'),
  positionals: [1, 100],
  options: {
    ...APP_OPTIONS,
    ...CONTROL_TARGET_OPTIONS,
    terminate: { type: 'boolean', description: 'revoke: also stop the task if it is running' },
    signal: { type: 'string', value: 'SIG', description: 'revoke --terminate: signal for a process-pool child', default: 'SIGTERM' },
  },
  examples: ['celeriac control revoke 8bb2cd7a-… --terminate', "celeriac control rate_limit proj.tasks.sync '10/m'", 'celeriac control shutdown -d worker1@host'],
};

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const [name, ...rest] = parsed.positionals;
  const method = CONTROL_METHODS[name];
  if (!method) throw new UsageError(`unknown control method '${name}' (one of: ${Object.keys(CONTROL_METHODS).join(', ')})`);
  const args = method.args(rest, parsed.values);
  const v = parsed.values;
  const cli = await loadCliApp(v, io, 'client');
  try {
    const replies = await broadcastControl(await cli.app.connectBroker(), name, args, {
      timeout: v.timeout as number,
      destination: destinations(v.destination),
      reply: method.reply ?? true,
    });
    if (method.reply === false) {
      io.stdout.write(`Sent ${name} to ${destinations(v.destination)?.join(', ') ?? 'all workers'}.\n`);
      return 0;
    }
    return printReplies(replies, io, Boolean(v.json));
  } finally {
    await cli.close();
  }
}

export const controlCommand: CliCommand = { spec, run };
