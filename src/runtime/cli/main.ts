/** `celeriac <verb>`: Celery's verbs, each with --help; usage errors exit 2 with one line. */
import { CeleriacError } from '../errors';
import { VERSION } from '../version';
import { parseCommandArgs, renderHelp, UsageError } from './args';
import { processIO, type CliCommand, type CliIO } from './io';
import { workerCommand } from './commands/worker';
import { sendCommand } from './commands/send';
import { resultCommand } from './commands/result';
import { purgeCommand } from './commands/purge';
import { demoCommand } from './commands/demo';
import { inspectCommand } from './commands/inspect';
import { controlCommand } from './commands/control';
import { eventsCommand } from './commands/events';
import { beatCommand } from './commands/beat';
import { simCommand } from './commands/sim';

const COMMANDS: CliCommand[] = [
  workerCommand,
  beatCommand,
  sendCommand,
  resultCommand,
  purgeCommand,
  inspectCommand,
  controlCommand,
  eventsCommand,
  simCommand,
  demoCommand,
];


function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    'Usage: celeriac <command> [options]',
    '',
    'A Celery-compatible task queue for TypeScript.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    "Run 'celeriac <command> --help' for a command's options.",
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  // Stack traces of task modules then point at the user's TypeScript lines.
  process.setSourceMapsEnabled(true);
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(overview());
    return verb ? 0 : 2;
  }
  if (verb === '--version' || verb === '-V') {
    io.stdout.write(VERSION + '\n');
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === verb);
  if (!command) {
    io.stderr.write(`celeriac: unknown command '${verb}' (commands: ${COMMANDS.map((c) => c.spec.name).join(', ')})\n`);
    return 2;
  }
  try {
    const parsed = parseCommandArgs(command.spec, rest);
    if (parsed.help) {
      io.stdout.write(renderHelp(command.spec));
      return 0;
    }
    return await command.run(parsed, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`celeriac ${verb}: ${err.message} (see 'celeriac ${verb} --help')\n`);
      return 2;
    }
    if (err instanceof CeleriacError) {
      io.stderr.write(`celeriac ${verb}: ${err.message}\n`);
      return 1;
    }
    io.stderr.write(`celeriac ${verb}: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}
