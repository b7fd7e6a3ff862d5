/** `celeriac beat`: send the app's `beat_schedule` tasks when due, until SIGTERM/SIGINT. */
import { Beat } from '../../beat/beat';
import { RemoteMemoryBroker } from '../../brokers/memory/remote-memory-broker';
import { redactUrl } from '../../url';
import { UsageError, type CommandSpec, type Parsed } from '../args';
import { APP_OPTIONS, loadCliApp } from '../cli-app';
import type { CliCommand, CliIO } from '../io';

const spec: CommandSpec = {
  name: 'beat',
  summary: 'send scheduled tasks (beat_schedule) when they are due',
  usage: '-A <module> [options]',
  description:
    "Send the tasks of the app's beat_schedule when they are due, as ordinary task messages for workers.\n" +
    'The last run of each entry is kept beside the broker, so a restart neither skips nor repeats a run;\n' +
    'beats sharing a broker take a lock and only its holder sends (the others stand by and take over).\n' +
    'Runs until SIGTERM or SIGINT. With memory://, start a worker first: it hosts the embedded broker.',
  options: {
    ...APP_OPTIONS,
    loglevel: { ...APP_OPTIONS.loglevel, default: 'info' },
    'max-interval': {
      type: 'number',
      value: 'SECONDS',
      description: 'sleep at most this long between checks, and between tries for the lock (default: beat_max_loop_interval, 300)',
    },
  },
  examples: ['celeriac beat -A tasks.ts', 'celeriac beat -A tasks.ts -b redis://localhost:6379/0 -l debug'],
};

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const v = parsed.values;
  if (typeof v.app !== 'string') throw new UsageError('beat needs -A <module>: the task module whose app has the beat_schedule');
  const maxInterval = v['max-interval'] as number | undefined;
  if (maxInterval !== undefined && maxInterval <= 0) throw new UsageError(`--max-interval must be more than 0, got ${maxInterval}`);
  const cli = await loadCliApp(v, io, 'client');
  const { app } = cli;
  try {
    process.title = `celeriac beat: ${v.app}`;
    const beat = new Beat(app, { maxInterval });
    app.log.info(
      `celeriac beat: broker ${redactUrl(app.conf.brokerUrl)}, ${beat.entries.length} entries, ` +
        `timezone ${app.conf.timezone}, max interval ${maxInterval ?? app.conf.beatMaxLoopInterval}s`,
    );
    let resolveDone!: (code: number) => void;
    const done = new Promise<number>((resolve) => (resolveDone = resolve));
    const onSignal = (signal: NodeJS.Signals) => {
      app.log.info(`${signal} received: stopping beat`);
      resolveDone(0);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const broker = await app.connectBroker();
    if (broker instanceof RemoteMemoryBroker) {
      broker.onConnectionLost(() => {
        app.log.error('the embedded broker went away: stopping');
        resolveDone(1);
      });
    }
    try {
      await beat.start();
      const code = await done;
      await beat.stop();
      return code;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  } finally {
    await cli.close();
  }
}

export const beatCommand: CliCommand = { spec, run };
