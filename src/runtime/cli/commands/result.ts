/** `celeriac result`: show a task's state and result. */
import { errorFromMeta } from '../../app/async-result';
import { type CommandSpec, type Parsed } from '../args';
import { APP_OPTIONS, loadCliApp } from '../cli-app';
import type { CliCommand, CliIO } from '../io';
import { FAILURE, REVOKED, SUCCESS } from '../../states';

const spec: CommandSpec = {
  name: 'result',
  summary: "show a task's state and result",
  usage: '<task-id> [options]',
  description:
    "Print a task's result as JSON when it succeeded; otherwise its state (and error).\nExit 0 on SUCCESS, 1 on FAILURE or REVOKED, 3 when not finished (without --wait).",
  positionals: [1, 1],
  options: {
    ...APP_OPTIONS,
    wait: { type: 'boolean', short: 'w', description: 'wait until the task finishes' },
    timeout: { type: 'number', value: 'SECONDS', description: 'with --wait: give up after this long' },
    json: { type: 'boolean', description: "print the whole stored record (Celery's task meta) as JSON" },
  },
};

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const v = parsed.values;
  const id = parsed.positionals[0];
  const cli = await loadCliApp(v, io, 'client');
  try {
    const backend = await cli.app.connectBackend();
    const meta = v.wait ? await backend.waitFor(id, { timeout: v.timeout as number | undefined }) : await backend.getTaskMeta(id);
    if (v.json) io.stdout.write(JSON.stringify(meta) + '\n');
    if (meta.status === SUCCESS) {
      if (!v.json) io.stdout.write(JSON.stringify(meta.result) + '\n');
      return 0;
    }
    if (meta.status === FAILURE || meta.status === REVOKED) {
      if (!v.json) {
        const err = errorFromMeta(meta);
        io.stdout.write(`${meta.status}\n`);
        io.stderr.write(err.message + '\n');
        if (meta.traceback) io.stderr.write(meta.traceback.trimEnd() + '\n');
      }
      return 1;
    }
    if (!v.json) io.stdout.write(`${meta.status}\n`);
    return 3;
  } finally {
    await cli.close();
  }
}

export const resultCommand: CliCommand = { spec, run };
