import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { cleanEnv, collect, runCli, startCli, waitForOutput } from '../helpers/cli';

const TASKS = path.join(__dirname, 'fixtures', 'tasks.ts');
const VERBS = ['worker', 'send', 'result', 'purge', 'demo'];

describe('celeriac CLI', function () {
  this.timeout(60_000);

  describe('usage', () => {
    for (const verb of VERBS) {
      it(`prints help for '${verb} --help' and exits 0`, async () => {
        const r = await runCli([verb, '--help']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^Usage: celeriac ${verb} `));
        assert.match(r.stdout, /-h, --help/);
      });
    }

    it('lists the commands with no arguments and exits 2', async () => {
      const r = await runCli([]);
      assert.equal(r.code, 2);
      for (const verb of VERBS) assert.match(r.stdout, new RegExp(`\\b${verb}\\b`));
    });

    it('rejects an unknown command with one line and exit 2', async () => {
      const r = await runCli(['frobnicate']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /unknown command 'frobnicate'/);
    });

    for (const [verb, args, pattern] of [
      ['send', ['cli.add', '--bogus'], /unknown option '--bogus'/],
      ['worker', ['-A', TASKS, '-c', 'many'], /--concurrency must be a non-negative number/],
      ['worker', ['-A', TASKS, '-P', 'threads'], /--pool must be async or process/],
      ['send', ['cli.add', '--args', '{not json'], /--args is not valid JSON/],
      ['send', ['cli.add', '--args', '{"a": 1}'], /--args must be a JSON list/],
      ['send', [], /missing argument/],
      ['worker', [], /worker needs -A/],
    ] as [string, string[], RegExp][]) {
      it(`'${verb} ${args.join(' ')}' fails with one line and exit 2`, async () => {
        const r = await runCli([verb, ...args]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, pattern);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      });
    }

    it('says how to get an embedded broker when none is running', async () => {
      const sock = path.join(os.tmpdir(), `celeriac-none-${randomUUID().slice(0, 8)}.sock`);
      const r = await runCli(['send', 'cli.add', '-b', `memory://${sock}`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no embedded broker is running/);
      assert.match(r.stderr, /celeriac worker -A/);
    });

    it('reports a task module that does not compile with file and line', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-broken-'));
      const file = path.join(dir, 'broken.ts');
      fs.writeFileSync(file, "import { createApp } from 'celeriac';\nexport const app = createApp();\nconst x = 1 +;\n");
      const r = await runCli(['worker', '-A', file]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot build task module/);
      assert.match(r.stderr, /broken\.ts:3:\d+/);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe('demo', () => {
    it('runs worker processes and a client, and prints a table that accounts for every task', async () => {
      const r = await runCli(['demo', '-n', '40', '-w', '2', '-c', '5', '--rate', '0']);
      assert.equal(r.code, 0, r.stderr);
      const cell = (label: string) => Number(new RegExp(`\\| ${label}\\s+\\|\\s+([\\d.]+)`).exec(r.stdout)?.[1]);
      assert.equal(cell('sent'), 40);
      assert.equal(cell('succeeded') + cell('failed'), 40, r.stdout);
      assert.ok(cell('succeeded') > 0, r.stdout);
      assert.ok(Number.isFinite(cell('p50 latency \\(send → result\\)')), r.stdout);
    });
  });

  describe('a worker and clients sharing memory:// across processes', () => {
    let sock: string;
    let queue: string;
    let worker: ChildProcess | undefined;
    let env: NodeJS.ProcessEnv;
    const b = () => ['-b', `memory://${sock}`, '-A', TASKS];

    beforeEach(async () => {
      sock = path.join(os.tmpdir(), `celeriac-cli-${randomUUID().slice(0, 8)}.sock`);
      queue = `cli-${randomUUID()}`;
      env = cleanEnv({ TEST_QUEUE: queue });
      worker = startCli(['worker', ...b(), '-c', '2', '-n', 'cli-test@%h'], env);
      await waitForOutput(worker, 'cli-test@');
    });

    afterEach(async () => {
      if (worker && worker.exitCode === null) {
        worker.kill('SIGKILL');
        await new Promise((r) => worker!.once('exit', r));
      }
    });

    it('send --wait prints the result as JSON', async () => {
      const r = await runCli(['send', ...b(), 'cli.add', '--args', '[2, 3]', '--wait', '--timeout', '20'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), '5');
    });

    it('send --wait exits 1 with the error when the task fails', async () => {
      const r = await runCli(['send', ...b(), 'cli.fail', '--args', '["card expired"]', '--wait', '--timeout', '20'], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /PaymentDeclined: card expired/);
    });

    it('send prints the id; result reads the state and the value', async () => {
      const sent = await runCli(['send', ...b(), 'cli.add', '--args', '[40, 2]'], env);
      assert.equal(sent.code, 0, sent.stderr);
      const id = sent.stdout.trim();
      assert.match(id, /^[0-9a-f-]{36}$/);
      const r = await runCli(['result', ...b(), id, '--wait', '--timeout', '20'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), '42');
      const meta = await runCli(['result', ...b(), id, '--json'], env);
      assert.equal(JSON.parse(meta.stdout).status, 'SUCCESS');
    });

    it('result exits 3 and prints PENDING for an unknown id', async () => {
      const r = await runCli(['result', ...b(), randomUUID()], env);
      assert.equal(r.code, 3);
      assert.equal(r.stdout.trim(), 'PENDING');
    });

    it('purge -f removes waiting messages and says how many', async () => {
      for (let i = 0; i < 3; i++) {
        const r = await runCli(['send', ...b(), 'cli.add', '--args', '[1, 1]', '-Q', `${queue}-idle`], env);
        assert.equal(r.code, 0, r.stderr);
      }
      const r = await runCli(['purge', ...b(), '-Q', `${queue}-idle`, '-f'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'Purged 3 messages from 1 known task queue.');
    });

    it('purge without -f refuses when not interactive', async () => {
      const r = await runCli(['purge', ...b()], env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /pass -f/);
    });

    it('shows its state in the process title and shuts down warm on SIGTERM', async function () {
      if (process.platform !== 'linux') this.skip(); // reads /proc
      const cmdline = fs.readFileSync(`/proc/${worker!.pid}/cmdline`, 'utf8');
      assert.match(cmdline, new RegExp(`celeriac worker: cli-test@\\S+ \\[${queue}\\] \\d/2 busy`));
      const exited = collect(worker!);
      worker!.kill('SIGTERM');
      const r = await exited;
      assert.equal(r.code, 0);
      assert.match(r.stderr, /warm shutdown/);
    });
  });
});
