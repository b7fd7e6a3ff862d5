/**
 * `celeriac inspect` and `celeriac control` against a real CLI worker process.
 * The worker hosts the embedded broker on its own socket (`-b memory:///…sock`);
 * the CLI clients, and this test's own client app, connect to it there.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createApp, states, type App } from '../../src/runtime';
import { cleanEnv, collect, runCli, startCli, waitForOutput } from '../helpers/cli';
import { quietLog, waitUntil } from '../helpers/runtime-harness';

const TASKS = path.join(__dirname, 'fixtures', 'cli-control-tasks.ts');

/** A CLI worker on its own socket and queue, with a literal node name. */
async function startWorker(): Promise<{ proc: ChildProcess; node: string; url: string; queue: string; env: NodeJS.ProcessEnv }> {
  const id = randomUUID().slice(0, 8);
  const url = `memory://${path.join(os.tmpdir(), `celeriac-ctl-${id}.sock`)}`;
  const node = `ctlcli-${id}@test`;
  const queue = `ctlcli-${randomUUID()}`;
  const env = cleanEnv({ TEST_QUEUE: queue });
  const proc = startCli(['worker', '-b', url, '-A', TASKS, '-c', '2', '-n', node], env);
  await waitForOutput(proc, `${node} ready`);
  return { proc, node, url, queue, env };
}

/** Kill the worker if it still runs, and remove the socket it served the broker on. */
async function stopWorker(worker: { proc: ChildProcess; url: string } | undefined): Promise<void> {
  if (!worker) return;
  const { proc } = worker;
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }
  fs.rmSync(worker.url.slice('memory://'.length), { force: true });
}

describe('celeriac inspect / control against a CLI worker', function () {
  this.timeout(60_000);

  describe('usage errors exit 2 with one line, before connecting anywhere', () => {
    for (const [args, pattern] of [
      [['inspect', 'frobnicate'], /unknown inspect method 'frobnicate'/],
      [['control', 'frobnicate'], /unknown control method 'frobnicate'/],
      [['inspect'], /missing argument/],
      [['inspect', 'query_task'], /query_task needs one or more task ids/],
      [['control', 'revoke'], /usage: celeriac control revoke ID/],
      [['control', 'rate_limit', 'ctlcli.add'], /usage: celeriac control rate_limit TASK RATE/],
      [['control', 'add_consumer'], /usage: celeriac control add_consumer QUEUE/],
    ] as [string[], RegExp][]) {
      it(`'${args.join(' ')}'`, async () => {
        const r = await runCli(args);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, pattern);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.equal(r.stdout, '');
      });
    }
  });

  describe('one worker, several clients', () => {
    let worker: Awaited<ReturnType<typeof startWorker>>;
    let client: App;
    let dir: string;
    const b = () => ['-b', worker.url];

    before(async () => {
      worker = await startWorker();
      client = createApp({ broker: worker.url }, { log: quietLog, env: {} });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-ctl-'));
    });

    after(async () => {
      await client?.close();
      await stopWorker(worker);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("inspect ping: Celery's layout, '->  node: OK', pong, '1 node online.'", async () => {
      const r = await runCli(['inspect', 'ping', ...b()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `->  ${worker.node}: OK\n    pong\n\n1 node online.\n`);
    });

    it('inspect registered -d NODE lists the task names, sorted', async () => {
      const r = await runCli(['inspect', 'registered', '-d', worker.node, ...b()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `->  ${worker.node}: OK\n    * ctlcli.add\n    * ctlcli.block_until\n\n1 node online.\n`);
    });

    it('inspect active --json shows the running task', async () => {
      const file = path.join(dir, `release-${randomUUID().slice(0, 8)}`);
      const result = await client.sendTask<number>('ctlcli.block_until', [file], {}, { queue: worker.queue });
      await waitUntil(() => fs.existsSync(file + '.started'), 'the task to start', 15_000);
      const taskPid = Number(fs.readFileSync(file + '.started', 'utf8').trim());

      const r = await runCli(['inspect', 'active', '--json', '-d', worker.node, ...b()]);
      assert.equal(r.code, 0, r.stderr);
      const replies = JSON.parse(r.stdout) as Record<string, Record<string, any>[]>;
      assert.deepEqual(Object.keys(replies), [worker.node]);
      const [active] = replies[worker.node].filter((t) => t.id === result.id);
      assert.ok(active, `the task is listed: ${r.stdout}`);
      assert.equal(active.name, 'ctlcli.block_until');
      assert.equal(active.type, 'ctlcli.block_until');
      assert.deepEqual(active.args, [file]);
      assert.equal(active.hostname, worker.node);
      assert.equal(active.acknowledged, true);
      assert.equal(active.worker_pid, taskPid);
      assert.deepEqual(active.delivery_info, { exchange: '', routing_key: worker.queue, priority: 0, redelivered: false });

      fs.writeFileSync(file, '');
      assert.equal(await result.get({ timeout: 15 }), taskPid);
    });

    it('exits 69 with "No nodes replied" when nobody answers', async () => {
      const r = await runCli(['inspect', 'ping', '-d', 'nobody@nowhere', '-t', '0.3', ...b()]);
      assert.equal(r.code, 69, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /No nodes replied within time constraint/);
    });

    it('control revoke ID: the worker confirms, and the held task ends REVOKED without waiting for its ETA', async () => {
      const result = await client.sendTask('ctlcli.add', [1, 2], {}, { queue: worker.queue, countdown: 60 });
      const r = await runCli(['control', 'revoke', result.id, '-d', worker.node, ...b()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `->  ${worker.node}: OK\n    tasks ${result.id} flagged as revoked\n\n1 node online.\n`);
      await waitUntil(async () => (await result.state()) === states.REVOKED, 'the task to be REVOKED', 10_000);
      const revoked = await runCli(['inspect', 'revoked', '--json', '-d', worker.node, ...b()]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.ok((JSON.parse(revoked.stdout)[worker.node] as string[]).includes(result.id), revoked.stdout);
    });

    it('control rate_limit on an unknown task prints the error reply', async () => {
      const r = await runCli(['control', 'rate_limit', 'no.such.task', '10/s', '-d', worker.node, ...b()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `->  ${worker.node}: ERROR\n    unknown task no.such.task\n\n1 node online.\n`);
    });
  });

  describe('control shutdown', () => {
    let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
    afterEach(() => stopWorker(worker));

    it('makes the CLI worker process exit 0 (warm), with no reply', async () => {
      worker = await startWorker();
      const exited = collect(worker.proc);
      const r = await runCli(['control', 'shutdown', '-d', worker.node, '-b', worker.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Sent shutdown to ${worker.node}.\n`);
      const w = await exited;
      assert.equal(w.code, 0, w.stderr);
      assert.match(w.stdout + w.stderr, /warm shutdown/);
    });
  });
});
