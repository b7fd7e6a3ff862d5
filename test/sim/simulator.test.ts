/**
 * The simulator through its CLI (`celeriac sim`), on the scenarios in
 * fixtures/: virtual time, determinism, each fault, each diagnosis firing when
 * built to and quiet when not. Each run is a child process: the simulator
 * fakes its process's clocks.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SimulationResult } from '../../src/runtime/sim/run-simulation';
import type { SimEvent } from '../../src/runtime/sim/sim-log';
import { cleanEnv, runCli, type CliRun } from '../helpers/cli';

const FIXTURES = path.join(__dirname, 'fixtures');

interface Run {
  cli: CliRun;
  result: SimulationResult;
}

let tmp: string;
let counter = 0;

async function sim(scenario: string, env: Record<string, string> = {}, extra: string[] = []): Promise<Run> {
  const out = path.join(tmp, `run-${++counter}.json`);
  const cli = await runCli(['sim', path.join(FIXTURES, `${scenario}.sim.ts`), '--json', '--out', out, ...extra], cleanEnv(env), 60_000);
  if (!fs.existsSync(out)) throw new Error(`celeriac sim ${scenario} wrote no result (exit ${cli.code}):\n${cli.stderr}`);
  return { cli, result: JSON.parse(fs.readFileSync(out, 'utf8')) as SimulationResult };
}

const of = (events: SimEvent[], type: SimEvent['type'], task?: string) => events.filter((e) => e.type === type && (!task || e.task === task));
const diagnosisIds = (r: Run) => r.result.report.diagnoses.map((d) => d.id);

describe('simulator (celeriac sim)', function () {
  this.timeout(120_000);

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-sim-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('virtual time', () => {
    let run: Run;
    before(async () => {
      run = await sim('clock');
    });

    it('runs a day in one go, ending at the scenario’s duration', () => {
      assert.equal(run.result.report.simulatedMs, 86_400_000);
    });

    it('starts a 1 h countdown task at exactly 1 h, and an ETA task at its ETA', () => {
      const e = run.result.events;
      const countdown = of(e, 'task-sent').find((x) => x.name === 'sim.when' && x.eta === 3_600_000)!;
      assert.deepEqual(of(e, 'task-started', countdown.task).map((x) => x.t), [3_600_000]);
      const eta = of(e, 'task-sent').find((x) => x.name === 'sim.when' && x.eta === 23_400_000)!; // 06:30 on the start day
      assert.deepEqual(of(e, 'task-started', eta.task).map((x) => x.t), [23_400_000]);
    });

    it('runs retries after their back-off: 10 s, then 20 s, then 40 s', () => {
      const e = run.result.events;
      const task = of(e, 'task-sent').find((x) => x.name === 'sim.backoff')!.task;
      assert.deepEqual(of(e, 'task-started', task).map((x) => x.t), [0, 10_000, 30_000, 70_000]);
      assert.equal(of(e, 'task-succeeded', task).length, 1);
    });

    it('stops an hour-long task at its hard time limit, 10 s in', () => {
      const e = run.result.events;
      const task = of(e, 'task-sent').find((x) => x.name === 'sim.sleeper')!.task;
      const failed = of(e, 'task-failed', task);
      assert.equal(failed.length, 1);
      assert.equal(failed[0].t, 7_200_000 + 10_000);
      assert.match(failed[0].detail!, /TimeLimitExceeded/);
      assert.match(failed[0].detail!, new RegExp(`\\[${task}\\]`), 'ids in messages become labels');
    });

    it('sends an hourly beat entry every hour of the day', () => {
      const beats = of(run.result.events, 'task-sent').filter((x) => x.name === 'sim.noop');
      assert.deepEqual(
        beats.map((x) => x.t),
        Array.from({ length: 23 }, (_, i) => (i + 1) * 3_600_000),
      );
    });
  });

  describe('determinism', () => {
    it('gives the same event log and report for the same scenario and seed, another for another seed', async () => {
      const a = await sim('faults');
      const b = await sim('faults');
      const c = await sim('faults', { SIM_SEED: '4' });
      assert.ok(a.result.events.length > 500, `a busy run (${a.result.events.length} events)`);
      assert.deepEqual(b.result.events, a.result.events);
      assert.deepEqual({ ...b.result.report, wallMs: 0 }, { ...a.result.report, wallMs: 0 });
      assert.notDeepEqual(c.result.events, a.result.events);
      assert.equal(c.result.report.seed, 4);
    });
  });

  describe('faults', () => {
    let faults: Run;
    before(async () => {
      faults = await sim('faults');
    });

    it('a worker crash mid-task with acks_late: the message comes back, another worker finishes it, nothing lost', async () => {
      const r = await sim('crash-acks-late');
      const report = r.result.report;
      assert.equal(report.tasks.succeeded, 4);
      assert.equal(report.tasks.lost, 0);
      assert.deepEqual(report.executedMoreThanOnce, [{ name: 'sim.late', tasks: 1, extraRuns: 1 }]);
      assert.match(report.faults[0], /crashed sim-1@sim during sim\.late T1/);
      const started = of(r.result.events, 'task-started', 'T1');
      assert.deepEqual(started.map((e) => e.worker), ['sim-1@sim', 'sim-2@sim']);
    });

    it('the same crash without acks_late: the task is lost', async () => {
      const report = (await sim('crash-early-ack')).result.report;
      assert.equal(report.tasks.lost, 1);
      assert.deepEqual(report.lostTasks, ['T1']);
      assert.equal(report.tasks.succeeded, 3);
    });

    it('duplicate delivery runs a task twice, and the idempotency check tells which task cannot take it', async () => {
      const report = (await sim('idempotency')).result.report;
      const digest = report.idempotency.find((i) => i.name === 'sim.send_digest')!;
      const archive = report.idempotency.find((i) => i.name === 'sim.archive')!;
      assert.ok(digest.checked >= 5 && digest.failed === digest.checked, JSON.stringify(digest));
      assert.match(digest.example!.afterTwice, /"digest to user\d","digest to user\d"/);
      assert.ok(archive.checked >= 5 && archive.failed === 0, JSON.stringify(archive));
      assert.ok(report.executedMoreThanOnce.length > 0, 'the duplicates ran');
      assert.ok(report.faults.some((f) => /delivered .* twice/.test(f)));
    });

    it('broker latency delays every task by it', async () => {
      const report = (await sim('latency')).result.report;
      assert.equal(report.latency.waitMs.p50, 200);
      assert.equal(report.latency.waitMs.max, 200);
    });

    it('a flaky dependency fails its share of calls with the given error', () => {
      const failed = of(faults.result.events, 'task-failed').filter((e) => e.name === 'sim.noop');
      assert.ok(failed.length > 0);
      assert.ok(failed.every((e) => /^ConnectionError: simulated failure/.test(e.detail!)), failed[0]?.detail);
      // 20 % of 60 calls, give or take what the seed draws.
      assert.ok(failed.length >= 4 && failed.length <= 25, `${failed.length} failures`);
    });

    it('a crash at a time and a restart of every worker lose nothing acked late, and are in the log', () => {
      const e = faults.result.events;
      const r = faults.result.report;
      assert.ok(r.faults.some((f) => /^3\.000s crashed sim-2@sim/.test(f)));
      assert.ok(r.faults.some((f) => /^8\.000s restarting all 3 workers/.test(f)));
      const offlineAt8 = of(e, 'worker-offline').filter((x) => x.t >= 8000 && x.t < 9000).map((x) => x.worker).sort();
      assert.deepEqual(offlineAt8, ['sim-1@sim', 'sim-2@sim', 'sim-3@sim']);
      const lostLate = r.lostTasks.filter((t) => of(e, 'task-sent', t)[0]?.name === 'sim.late');
      assert.deepEqual(lostLate, [], 'acks_late tasks survive crashes and restarts');
      assert.equal(r.tasks.sent, 180);
    });
  });

  describe('diagnoses', () => {
    it('an ETA beyond the visibility timeout: fires and the task ran again each timeout; quiet when the timeout is longer', async () => {
      const short = await sim('visibility');
      assert.deepEqual(diagnosisIds(short), ['eta-beyond-visibility-timeout']);
      assert.deepEqual(short.result.report.executedMoreThanOnce, [{ name: 'sim.late', tasks: 1, extraRuns: 2 }]);
      assert.match(short.result.report.diagnoses[0].detail, /visibility timeout is 1 h/);
      const long = await sim('visibility', { SIM_VT: '3h' });
      assert.deepEqual(diagnosisIds(long), []);
      assert.deepEqual(long.result.report.executedMoreThanOnce, []);
    });

    it('prefetch holding tasks on a busy worker: fires with a big prefetch, quiet with prefetch 1 and acks_late', async () => {
      const hoarding = await sim('prefetch');
      assert.deepEqual(diagnosisIds(hoarding), ['prefetch-held-tasks']);
      assert.match(hoarding.result.report.diagnoses[0].detail, /worker_prefetch_multiplier = 1/);
      const fair = await sim('prefetch', { SIM_FAIR: '1' });
      assert.deepEqual(diagnosisIds(fair), []);
      assert.ok(fair.result.report.simulatedMs < hoarding.result.report.simulatedMs, 'and the work finishes sooner without it');
    });

    it('a queue nobody consumes: fires naming it, quiet when every queue has a worker', async () => {
      const stranded = await sim('unconsumed');
      assert.deepEqual(diagnosisIds(stranded), ['unconsumed-queue']);
      assert.match(stranded.result.report.diagnoses[0].detail, /2 to 'nowhere'/);
      assert.equal(stranded.result.report.tasks.unfinished, 2);
      const fine = await sim('unconsumed', { SIM_QUEUE: 'simq' });
      assert.deepEqual(diagnosisIds(fine), []);
      assert.equal(fine.result.report.tasks.succeeded, 5);
    });

    it('a chord whose header never completes: fires naming the failed header task, quiet when the body runs', async () => {
      const broken = await sim('chord');
      assert.deepEqual(diagnosisIds(broken), ['chord-never-completed']);
      assert.match(broken.result.report.diagnoses[0].detail, /sim\.total \(T\d+\) waits on T\d+ failed/);
      const ok = await sim('chord', { SIM_CHORD_OK: '1' });
      assert.deepEqual(diagnosisIds(ok), []);
      assert.ok(of(ok.result.events, 'task-succeeded').some((e) => e.name === 'sim.total'), 'the body ran');
    });
  });

  describe('pools', () => {
    const finishes = (r: Run, name: string) => of(r.result.events, 'task-succeeded').filter((e) => e.name === name).map((e) => e.t);

    it('async pool: blocking work takes turns on the worker’s one thread, and quick tasks wait behind it; the diagnosis says so', async () => {
      const r = await sim('blocking');
      assert.deepEqual(finishes(r, 'sim.crunch'), [2000, 4000, 6000], 'three 2 s crunches in a row, not side by side');
      assert.ok(finishes(r, 'sim.ping').every((t) => t >= 2000), `pings sent at 100 ms finish behind the first crunch: ${finishes(r, 'sim.ping')}`);
      assert.deepEqual(diagnosisIds(r), ['blocked-event-loop']);
      const d = r.result.report.diagnoses[0];
      assert.match(d.detail, /sim\.crunch \(3 runs\)/);
      assert.match(d.detail, /process pool/);
      assert.ok(d.tasks.length > 0);
    });

    it('process pool: the same blocking work runs side by side, nothing waits, no diagnosis', async () => {
      const r = await sim('blocking', { SIM_POOL: 'process' });
      assert.deepEqual(finishes(r, 'sim.crunch'), [2000, 2000, 2000]);
      assert.ok(finishes(r, 'sim.ping').every((t) => t < 200), `${finishes(r, 'sim.ping')}`);
      assert.deepEqual(diagnosisIds(r), []);
    });

    it('async pool with awaiting (non-blocking) work: side by side too, no diagnosis', async () => {
      const r = await sim('blocking', { SIM_BLOCKING: '0' });
      assert.deepEqual(finishes(r, 'sim.crunch'), [2000, 2000, 2000]);
      assert.deepEqual(diagnosisIds(r), []);
    });
  });

  describe('the CLI', () => {
    it('exits 1 when something went wrong and 0 when nothing did', async () => {
      assert.equal((await sim('unconsumed')).cli.code, 1);
      assert.equal((await sim('latency')).cli.code, 0);
    });

    it('prints a readable report without --json', async () => {
      const cli = await runCli(['sim', path.join(FIXTURES, 'visibility.sim.ts')], cleanEnv(), 60_000);
      assert.match(cli.stdout, /Simulated 2 h in .* \(seed 1, 1 worker × 4\)/);
      assert.match(cli.stdout, /! An ETA or countdown is longer than the visibility timeout/);
      assert.match(cli.stdout, /sim\.late: 1 task, 2 extra runs/);
    });

    it('names the field of a scenario that is wrong', async () => {
      const bad = path.join(tmp, 'bad.sim.ts');
      fs.writeFileSync(bad, `import { defineScenario, createApp } from 'celeriac';\nexport default defineScenario({ app: createApp(), workers: { count: 0 } });\n`);
      const cli = await runCli(['sim', bad], cleanEnv(), 60_000);
      assert.notEqual(cli.code, 0);
      assert.match(cli.stderr, /scenario workers\.count must be a whole number ≥ 1, got 0/);
    });
  });
});

describe('simulator examples (examples/sim)', function () {
  this.timeout(120_000);
  const EXAMPLES = path.join(__dirname, '..', '..', 'examples', 'sim');

  async function example(name: string): Promise<SimulationResult['report']> {
    const cli = await runCli(['sim', path.join(EXAMPLES, `${name}.sim.ts`), '--json'], cleanEnv(), 60_000);
    assert.ok(cli.stdout.trim().startsWith('{'), `celeriac sim ${name} printed no report (exit ${cli.code}):\n${cli.stderr}`);
    return JSON.parse(cli.stdout) as SimulationResult['report'];
  }

  it('payments: back-off retries absorb a 30 % flaky provider; only a few payments fail after 5 retries', async () => {
    const r = await example('payments');
    assert.equal(r.tasks.sent, 500);
    assert.ok(r.tasks.retried > 100, `${r.tasks.retried} retries`);
    assert.ok(r.tasks.failed <= 5, `${r.tasks.failed} failed`);
    assert.equal(r.tasks.succeeded + r.tasks.failed, 500);
  });

  it('cleanup: a week of nightly beat; the archive is idempotent, the stats email is not', async () => {
    const r = await example('cleanup');
    assert.equal(r.tasks.sent, 14);
    assert.deepEqual(
      r.idempotency.map((i) => [i.name, i.failed === 0]),
      [
        ['maintenance.archive_expired_sessions', true],
        ['maintenance.email_weekly_stats', false],
      ],
    );
  });

  it('reports: 40 chains all end in a render, even with a worker killed mid-aggregation', async () => {
    const r = await example('reports');
    assert.equal(r.tasks.sent, 120);
    assert.equal(r.tasks.succeeded, 120);
    assert.equal(r.tasks.lost, 0);
    assert.ok(r.faults.some((f) => /crashed .* during reports\.aggregate/.test(f)));
  });
});
