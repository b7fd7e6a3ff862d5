/** `celeriac purge`: remove waiting messages from queues. */
import * as readline from 'node:readline/promises';
import { UsageError, type CommandSpec, type Parsed } from '../args';
import { APP_OPTIONS, loadCliApp } from '../cli-app';
import type { CliCommand, CliIO } from '../io';

const spec: CommandSpec = {
  name: 'purge',
  summary: 'remove all waiting messages from queues',
  usage: '[options]',
  description:
    'Remove every waiting (not yet delivered) message from the queues. Messages a worker holds are not touched.\nAsks for confirmation unless -f is given.',
  options: {
    ...APP_OPTIONS,
    queues: { type: 'string', short: 'Q', value: 'Q1,Q2', description: 'queues to purge (default: the app default queue)' },
    force: { type: 'boolean', short: 'f', description: 'do not ask for confirmation' },
  },
};

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const v = parsed.values;
  const cli = await loadCliApp(v, io, 'client');
  try {
    const { app } = cli;
    const queues = typeof v.queues === 'string' ? v.queues.split(',').map((q) => q.trim()).filter(Boolean) : [app.conf.taskDefaultQueue];
    const broker = await app.connectBroker();
    if (!v.force) {
      if (!io.stdin.isTTY) throw new UsageError('refusing to purge without confirmation: pass -f when not running interactively');
      const stats = await broker.stats(queues);
      const waiting = stats.reduce((n, s) => n + s.ready, 0);
      const rl = readline.createInterface({ input: io.stdin, output: io.stderr });
      const answer = await rl.question(`Purge ${waiting} message(s) from ${queues.join(', ')}? This cannot be undone. [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        io.stderr.write('Not purged.\n');
        return 1;
      }
    }
    let total = 0;
    for (const q of queues) total += await broker.purge(q);
    io.stdout.write(`Purged ${total} message${total === 1 ? '' : 's'} from ${queues.length} known task queue${queues.length === 1 ? '' : 's'}.\n`);
    return 0;
  } finally {
    await cli.close();
  }
}

export const purgeCommand: CliCommand = { spec, run };
