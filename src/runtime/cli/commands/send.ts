/** `celeriac send`: send a task by name; print its id, or with --wait its result. */
import { TaskFailedError, TaskRevokedError } from '../../errors';
import { jsonFlag, type CommandSpec, type Parsed } from '../args';
import { APP_OPTIONS, loadCliApp } from '../cli-app';
import type { CliCommand, CliIO } from '../io';
import type { ApplyOptions } from '../../app/task-options';

const spec: CommandSpec = {
  name: 'send',
  summary: 'send a task by name',
  usage: '<task> [options]',
  description: 'Send a task by name (defined in any worker, TypeScript or Python) and print its id.\nWith --wait, print its result as JSON; exit 1 if the task failed.',
  positionals: [1, 1],
  options: {
    ...APP_OPTIONS,
    args: { type: 'string', value: 'JSON', description: 'positional arguments, a JSON list', default: '[]' },
    kwargs: { type: 'string', value: 'JSON', description: 'keyword arguments, a JSON object', default: '{}' },
    queue: { type: 'string', short: 'Q', value: 'NAME', description: 'queue (default: from task_routes, else the default queue)' },
    countdown: { type: 'number', value: 'SECONDS', description: 'run no sooner than this many seconds from now' },
    eta: { type: 'string', value: 'ISO', description: 'run no sooner than this time (ISO-8601)' },
    expires: { type: 'number', value: 'SECONDS', description: 'revoke instead of run if not started within this time' },
    priority: { type: 'number', value: 'N', description: 'message priority' },
    wait: { type: 'boolean', short: 'w', description: 'wait for the result and print it' },
    timeout: { type: 'number', value: 'SECONDS', description: 'with --wait: give up after this long (exit 1)' },
  },
  examples: [
    "celeriac send proj.tasks.add --args '[2, 3]' --wait",
    "celeriac send reports.render --kwargs '{\"month\": \"2026-10\"}' -Q reports -b redis://localhost:6379/0",
  ],
};

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const v = parsed.values;
  const name = parsed.positionals[0];
  const args = jsonFlag<unknown[]>('args', v.args as string, 'array', []);
  const kwargs = jsonFlag<Record<string, unknown>>('kwargs', v.kwargs as string, 'object', {});
  const options: ApplyOptions = {};
  if (typeof v.queue === 'string') options.queue = v.queue;
  if (typeof v.countdown === 'number') options.countdown = v.countdown;
  if (typeof v.eta === 'string') options.eta = v.eta;
  if (typeof v.expires === 'number') options.expires = v.expires;
  if (typeof v.priority === 'number') options.priority = v.priority;
  const cli = await loadCliApp(v, io, 'client');
  try {
    const result = await cli.app.sendTask(name, args, kwargs, options);
    if (!v.wait) {
      io.stdout.write(result.id + '\n');
      return 0;
    }
    io.stderr.write(`${result.id}\n`);
    try {
      const value = await result.get({ timeout: v.timeout as number | undefined });
      io.stdout.write(JSON.stringify(value) + '\n');
      return 0;
    } catch (err) {
      if (err instanceof TaskFailedError || err instanceof TaskRevokedError) {
        io.stderr.write(`${err.message}\n`);
        if (err instanceof TaskFailedError && err.traceback) io.stderr.write(err.traceback.trimEnd() + '\n');
        return 1;
      }
      throw err;
    }
  } finally {
    await cli.close();
  }
}

export const sendCommand: CliCommand = { spec, run };
