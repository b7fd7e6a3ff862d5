/**
 * `celeriac sim <scenario.ts>`: run the scenario's real task code on the
 * embedded broker in virtual time, with its faults, and print what happened
 * and what went wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLogLevel, createLogger } from '../../log';
import { runSimulation } from '../../sim/run-simulation';
import { UsageError, type CommandSpec, type Parsed } from '../args';
import type { CliCommand, CliIO } from '../io';
import { formatReport } from '../sim-report-text';

const spec: CommandSpec = {
  name: 'sim',
  summary: 'simulate a scenario in virtual time, with faults, and report what broke',
  usage: '<scenario.ts> [options]',
  description:
    'Run the real task code of a scenario on the embedded broker under a virtual clock: countdowns, ETAs,\n' +
    'retry back-offs, time limits and beat schedules pass instantly. The scenario (a .ts or .js module with\n' +
    '`export default defineScenario({...})`) says what to send, how many workers, and which faults to inject:\n' +
    'worker crashes, duplicate delivery, broker latency, flaky dependencies, restarts, a visibility timeout.\n' +
    'The same scenario and seed always give the same run. Exits 1 when tasks were lost, ran twice where they\n' +
    'must not, or a diagnosis fired (so a CI job can run scenarios).',
  positionals: [1, 1],
  options: {
    seed: { type: 'number', value: 'N', description: "seed of every random choice (default: the scenario's, else 1)" },
    json: { type: 'boolean', description: 'print the report as JSON instead of text' },
    out: { type: 'string', value: 'FILE', description: 'also write the report and the full event log (JSON) here, e.g. for the timeline' },
    loglevel: {
      type: 'string',
      short: 'l',
      value: 'LEVEL',
      description: "the simulated workers' log (default silent: failures are in the report; -l error shows each one)",
      default: 'silent',
    },
  },
  examples: ['celeriac sim examples/sim/payment-sync.sim.ts', 'celeriac sim cleanup.sim.ts --seed 7 --out run.json'],
};

async function run(parsed: Parsed, io: CliIO): Promise<number> {
  const file = path.resolve(parsed.positionals[0]);
  if (!fs.existsSync(file)) throw new UsageError(`no scenario file at ${file}`);
  const seed = parsed.values.seed as number | undefined;
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, got ${seed}`);
  let level;
  try {
    level = parseLogLevel(String(parsed.values.loglevel));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const progress = io.stderr.isTTY && !parsed.values.json;
  let lastDraw = 0;
  const result = await runSimulation(file, {
    seed,
    log: createLogger({ level }),
    onProgress: progress
      ? ({ simulatedMs, limitMs, events }) => {
          const now = performance.now();
          if (now - lastDraw < 100) return;
          lastDraw = now;
          io.stderr.write(`\r  simulated ${(simulatedMs / 1000).toFixed(1)} s of at most ${(limitMs / 1000).toFixed(0)} s · ${events} events   `);
        }
      : undefined,
  });
  if (progress) io.stderr.write('\r\x1b[K');
  const r = result.report;
  if (typeof parsed.values.out === 'string') {
    fs.writeFileSync(parsed.values.out, JSON.stringify(result, null, 1));
  }
  if (parsed.values.json) io.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else io.stdout.write(formatReport(r, path.relative(process.cwd(), file) || file));
  const wrong = r.tasks.lost > 0 || r.idempotency.some((i) => i.failed > 0) || r.diagnoses.length > 0;
  return wrong ? 1 : 0;
}

export const simCommand: CliCommand = { spec, run };
