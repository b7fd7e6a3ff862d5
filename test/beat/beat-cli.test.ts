import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanEnv, collect, runCli, startCli, waitForOutput } from '../helpers/cli';
import { waitUntil } from '../helpers/runtime-harness';

const TASKS = path.join(__dirname, 'fixtures', 'beat-tasks.ts');

describe('beat: the CLI', function () {
  this.timeout(60_000);
  let sock: string;
  let runsFile: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    const id = randomUUID().slice(0, 8);
    sock = path.join(os.tmpdir(), `celeriac-beat-${id}.sock`);
    runsFile = path.join(os.tmpdir(), `celeriac-beat-runs-${id}.txt`);
    env = cleanEnv({ TEST_QUEUE: `beat-cli-${id}`, BEAT_TEST_FILE: runsFile });
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    }
    fs.rmSync(runsFile, { force: true });
  });

  function start(args: string[]): ChildProcess {
    const child = startCli(args, env);
    children.push(child);
    return child;
  }

  const runs = () => (fs.existsSync(runsFile) ? fs.readFileSync(runsFile, 'utf8').trim().split('\n').length : 0);

  it('celeriac beat sends an every-1s entry to a CLI worker that runs it; SIGTERM exits 0', async () => {
    const worker = start(['worker', '-A', TASKS, '-b', `memory://${sock}`, '-c', '2']);
    await waitForOutput(worker, 'embedded broker memory:// served at');
    const beat = start(['beat', '-A', TASKS, '-b', `memory://${sock}`, '--max-interval', '1']);
    const beatOutput = waitForOutput(beat, /Sending due task tick-every-1s \(beat\.tick\)[\s\S]*Sending due task tick-every-1s/);
    await waitUntil(() => runs() >= 2, 'the worker to run the scheduled task twice', 20_000);
    await beatOutput;

    const exited = collect(beat);
    beat.kill('SIGTERM');
    const r = await exited;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /SIGTERM received: stopping beat/);
    assert.match(r.stderr, /beat: Shutting down/);
  });

  it('celeriac worker -B runs beat in the worker process', async () => {
    const worker = start(['worker', '-B', '-A', TASKS, '-b', `memory://${sock}`]);
    const output = waitForOutput(worker, /beat: Starting[\s\S]*Sending due task tick-every-1s \(beat\.tick\)/);
    await waitUntil(() => runs() >= 2, 'the worker to run its own scheduled task twice', 20_000);
    await output;
    const pids = new Set(fs.readFileSync(runsFile, 'utf8').trim().split('\n').map((l) => l.split(' ')[1]));
    assert.deepEqual(pids, new Set([String(worker.pid)]));
    const exited = collect(worker);
    worker.kill('SIGTERM');
    const r = await exited;
    assert.equal(r.code, 0, r.stderr);
  });

  it('--help describes the verb; mistakes are usage errors (exit 2) or say what is missing (exit 1)', async () => {
    const help = await runCli(['beat', '--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: celeriac beat -A <module>/);
    assert.match(help.stdout, /--max-interval SECONDS/);
    const overview = await runCli(['--help'], env);
    assert.match(overview.stdout, /^\s+beat\s+send scheduled tasks/m);
    const workerHelp = await runCli(['worker', '--help'], env);
    assert.match(workerHelp.stdout, /-B, --beat/);

    const noModule = await runCli(['beat'], env);
    assert.equal(noModule.code, 2);
    assert.match(noModule.stderr, /beat needs -A <module>/);
    const badFlag = await runCli(['beat', '-A', TASKS, '--max-interval', 'soon'], env);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--max-interval must be a non-negative number/);
    const noBroker = await runCli(['beat', '-A', TASKS, '-b', `memory://${sock}`], env);
    assert.equal(noBroker.code, 1);
    assert.match(noBroker.stderr, /no embedded broker is running/);
  });
});
