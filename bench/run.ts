/**
 * `npm run bench [-- suite…] [--rounds N]`: suites print a table with ratios
 * against peers measured in the same process, on the same machine, in the same run.
 */
import * as os from 'node:os';
import { runAmqpBench } from './amqp';
import { runMemoryBench } from './memory';
import { runRedisBench } from './redis';
import { runRestartBench } from './restart';
import { runTimelineBench } from './timeline';
import { printTable } from './report';

const SUITES: Record<string, (rounds: number) => Promise<import('./report').BenchResult[]>> = {
  memory: runMemoryBench,
  redis: runRedisBench,
  amqp: runAmqpBench,
  restart: runRestartBench,
  timeline: runTimelineBench,
};

/** Rounds when `--rounds` is not given (the redis and amqp suites run a Python worker: ~25 s a round). */
const DEFAULT_ROUNDS: Record<string, number> = { memory: 5, redis: 3, amqp: 3, restart: 5, timeline: 3 };

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const roundsAt = args.indexOf('--rounds');
  const givenRounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : undefined;
  if (givenRounds !== undefined && !(Number.isInteger(givenRounds) && givenRounds > 0)) {
    process.stderr.write(`--rounds needs a positive whole number, got '${args[roundsAt + 1]}'\n`);
    process.exit(2);
  }
  const names = args.filter((a, i) => !a.startsWith('--') && (roundsAt < 0 || i !== roundsAt + 1));
  const selected = names.length ? names : ['memory'];
  for (const name of selected) {
    if (!SUITES[name]) {
      process.stderr.write(`unknown bench suite '${name}' (suites: ${Object.keys(SUITES).join(', ')})\n`);
      process.exit(2);
    }
  }
  process.stdout.write(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg()[0].toFixed(2)}\n`);
  for (const name of selected) {
    const rounds = givenRounds ?? DEFAULT_ROUNDS[name] ?? 5;
    const rows = await SUITES[name](rounds);
    process.stdout.write(printTable(`${name}: medians of ${rounds} rounds`, rows));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
