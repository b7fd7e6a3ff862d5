/**
 * Events and remote control across languages, over Redis, with real Python Celery 5.2.6
 * (Debian's /usr/bin/python3) and a real `celeriac worker` CLI process:
 *
 *   1. `celery events --dump` shows the TS worker's heartbeats and task events;
 *   2. `celery inspect ping` (with and without -d) gets the TS worker's pong;
 *   3. `celery inspect active / registered` see a running TS task and the TS task names;
 *   4. `celeriac inspect active / ping` see a running Python task and both workers;
 *   5. `celery control revoke` of a TS task waiting for its ETA → REVOKED, never runs;
 *      `celery control shutdown -d <ts node>` → the TS worker exits 0 (last test);
 *   6. `celeriac events --json` receives the Python worker's heartbeats and task events.
 *
 * Python side: test/interop/py_ec_app.py; TS side: test/interop/ts_ec_tasks.ts.
 * Redis db 15 (flushed before and after): pub/sub ignores db numbers but kombu prefixes every
 * fanout channel with `/15.`, so other suites' events and control traffic never reach us.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type Redis from 'ioredis';
import { createApp, createLogger, type App } from '../../src/runtime';
import { cleanEnv, runCli, startCli } from '../helpers/cli';
import { flushDb, rawClient, redisUrl } from '../helpers/redis';
import { sleep } from '../helpers/wait';
import {
  pythonEnv,
  requireSystemCelery,
  runPython,
  startCeleriacWorker,
  startCelery,
  startCeleryWorker,
  stop,
  tailOf,
  track,
  waitOutput,
  waitReady,
  type Proc,
  type PythonRun,
} from './interop-processes';

const DB = 15;
const URL = redisUrl(DB);
const RUN = randomUUID().slice(0, 8);
/** `%h` as both Celery (socket.gethostname()) and Celeriac expand it. */
const HOST = os.hostname();
const TS_NODE = `ts-${RUN}@${HOST}`;
const PY_NODE = `py-${RUN}@${HOST}`;
const TS_QUEUE = `ec-ts-${RUN}`;
const PY_QUEUE = `ec-py-${RUN}`;
/** What py_ec_app.py reads. */
const PY_ENV = pythonEnv({ EC_BROKER_URL: URL, EC_QUEUE: PY_QUEUE });

/** A one-shot `python3 -m celery -A py_ec_app …` (inspect, control). */
function celery(args: string[], timeoutMs = 20_000): Promise<PythonRun> {
  return runPython(['-m', 'celery', '-A', 'py_ec_app', ...args], PY_ENV, timeoutMs);
}

function celeriacEnv(): NodeJS.ProcessEnv {
  return cleanEnv({ EC_REDIS_URL: URL });
}

function startTsWorker(): Proc {
  return startCeleriacWorker({
    tasks: path.join(__dirname, 'ts_ec_tasks.ts'),
    brokerUrl: URL,
    backendUrl: URL,
    queues: [TS_QUEUE],
    node: `ts-${RUN}@%h`,
    env: { EC_REDIS_URL: URL },
    flags: ['-E'],
  });
}

/**
 * `-c 1 --pool=prefork`, not `--pool=solo`: a solo worker runs the task on the thread that
 * consumes the pidbox, so while a task runs it answers no inspect/control request at all
 * (real `celery inspect active -d` against it: "No nodes replied", rc 69), and test 4 needs an
 * answer. Nor `--pool=threads`: its pool threads share the event dispatcher unlocked and now and
 * then lose a task-started event (real `celery events --dump` misses it too).
 */
function startPythonWorker(): Proc {
  return startCeleryWorker({ app: 'py_ec_app', env: PY_ENV, queues: [PY_QUEUE], node: `py-${RUN}@%h`, concurrency: 1, flags: ['-E'] });
}

/** Retry `attempt` until it returns a value (not undefined) or the time is up. */
async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await attempt();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`);
    await sleep(200);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('interop over Redis: Celery events and remote control, both directions', function () {
  this.timeout(120_000);
  let tsWorker: Proc | undefined;
  let pyWorker: Proc | undefined;
  let app: App;
  let raw: Redis;
  /** Helpers started by a test (stopped in `after` if the test did not); group = its own process group. */
  const extra: { p: Proc; group: boolean }[] = [];

  before(async function () {
    this.timeout(60_000);
    requireSystemCelery(['celery', 'redis'], 'python3-celery python3-redis');
    await flushDb(DB);
    raw = rawClient(DB);
    app = createApp({ broker: URL, backend: URL, task_default_queue: TS_QUEUE }, { env: {}, log: createLogger({ level: 'warn' }) });
    tsWorker = startTsWorker();
    pyWorker = startPythonWorker();
    await Promise.all([waitReady(tsWorker, / ready: /), waitReady(pyWorker, / ready\./)]);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error([tsWorker, pyWorker, ...extra.map((e) => e.p)].map((p) => tailOf(p)).join('\n'));
  });

  after(async function () {
    this.timeout(30_000);
    await Promise.all([stop(tsWorker, false), stop(pyWorker, true), ...extra.map((e) => stop(e.p, e.group))]);
    await app?.close();
    raw?.disconnect();
    await flushDb(DB);
  });

  it('1. `celery events --dump` shows the TS worker\'s heartbeats and its task events', async () => {
    const dump = startCelery('celery events --dump', 'py_ec_app', PY_ENV, ['events', '--dump']);
    extra.push({ p: dump, group: true });
    try {
      await waitOutput(dump, /starting capture/);
      // Heartbeats every 2 s, Celery's dump layout, our sw_ident.
      const hb = new RegExp(`^${escape(TS_NODE)} \\[[^\\]]+\\] heartbeat: (.*)$`, 'm');
      const line = (await waitOutput(dump, hb, 10_000))[1];
      assert.match(line, /\bsw_ident=celeriac\b/, line);
      assert.match(line, /\bsw_sys=\w+/, line);
      assert.match(line, /\bfreq=2(\.0)?\b/, line);
      assert.match(line, /\bactive=\d+, /, line);
      assert.match(line, /\bprocessed=\d+, /, line);
      assert.match(line, /\bloadavg=\[[\d.]+, [\d.]+, [\d.]+\]/, line);

      const r = await app.sendTask<number>('ec.add', [20, 22], {}, { queue: TS_QUEUE });
      assert.equal(await r.get({ timeout: 15 }), 42);
      const id = escape(r.id);
      const at = (human: string) => new RegExp(`^${escape(TS_NODE)} \\[[^\\]]+\\] ${human}: ec\\.add\\(${id}\\) args=\\(20, 22\\) kwargs=\\{\\} (.*)$`, 'm');
      // Celery's dump names the task (and its args) only if it saw task-received: so these prove both.
      await waitOutput(dump, at('task received'), 10_000);
      await waitOutput(dump, at('task started'), 10_000);
      const succeeded = (await waitOutput(dump, at('task succeeded'), 10_000))[1];
      assert.match(succeeded, /\bresult=42\b/, succeeded);
      assert.match(succeeded, /\bruntime=[\d.e-]+/, succeeded);
      assert.doesNotMatch(dump.output(), /Traceback|Error/, 'celery events --dump printed an error');
    } finally {
      await stop(dump, true);
    }
  });

  it('2. `celery inspect ping` gets the TS worker\'s pong, with and without -d', async () => {
    const all = await celery(['inspect', 'ping']);
    assert.equal(all.code, 0, all.stdout + all.stderr);
    assert.match(all.stdout, new RegExp(`->  ${escape(TS_NODE)}: OK\\n\\s+pong`), all.stdout);
    // The Python worker answers too: both share the broadcast.
    assert.match(all.stdout, new RegExp(`->  ${escape(PY_NODE)}: OK\\n\\s+pong`), all.stdout);

    const one = await celery(['inspect', 'ping', '-d', TS_NODE]);
    assert.equal(one.code, 0, one.stdout + one.stderr);
    assert.match(one.stdout, new RegExp(`->  ${escape(TS_NODE)}: OK\\n\\s+pong`), one.stdout);
    assert.doesNotMatch(one.stdout, new RegExp(escape(PY_NODE)), 'only the destination answers');
    assert.match(one.stdout, /1 node online\./, one.stdout);
  });

  it('3. `celery inspect active` shows a running TS task; `inspect registered` lists the TS task names', async () => {
    const releaseKey = `ec:${RUN}:release-ts`;
    const r = await app.sendTask<string>('ec.block', [releaseKey, 30], {}, { queue: TS_QUEUE });
    try {
      const entry = await eventually('the TS task in `celery inspect active`', async () => {
        const out = await celery(['inspect', 'active', '--json', '-d', TS_NODE]);
        assert.equal(out.code, 0, out.stdout + out.stderr);
        const replies = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, Array<Record<string, unknown>>>;
        return replies[TS_NODE]?.find((t) => t.id === r.id);
      });
      assert.equal(entry.name, 'ec.block');
      assert.equal(entry.type, 'ec.block');
      assert.deepEqual(entry.args, [releaseKey, 30]);
      assert.deepEqual(entry.kwargs, {});
      assert.equal(entry.hostname, TS_NODE);
      assert.equal(typeof entry.time_start, 'number');
      assert.ok(Math.abs((entry.time_start as number) - Date.now() / 1000) < 60, `time_start ${entry.time_start} is unix seconds`);
      // Every field the captured Python reply had (test/fixtures/celery/redis_control_inspect_active.json).
      for (const k of ['id', 'name', 'args', 'kwargs', 'type', 'hostname', 'time_start', 'acknowledged', 'delivery_info', 'worker_pid']) {
        assert.ok(k in entry, `inspect active entry lacks ${k}: ${JSON.stringify(entry)}`);
      }
      assert.equal((entry.delivery_info as Record<string, unknown>).routing_key, TS_QUEUE);

      // The same in Celery's text layout.
      const text = await celery(['inspect', 'active', '-d', TS_NODE]);
      assert.match(text.stdout, new RegExp(`->  ${escape(TS_NODE)}: OK\\n\\s+\\* \\{'id': '${escape(r.id)}', 'name': 'ec\\.block'`), text.stdout);
    } finally {
      await raw.set(releaseKey, '1');
    }
    assert.equal(await r.get({ timeout: 15 }), 'released');

    const reg = await celery(['inspect', 'registered', '-d', TS_NODE]);
    assert.equal(reg.code, 0, reg.stdout + reg.stderr);
    assert.match(reg.stdout, new RegExp(`->  ${escape(TS_NODE)}: OK\\n\\s+\\* ec\\.add\\n\\s+\\* ec\\.block\\n\\s+\\* ec\\.record\\n`), reg.stdout);
  });

  it('4. `celeriac inspect active` shows a running Python task; `celeriac inspect ping` lists both workers', async () => {
    const releaseKey = `ec:${RUN}:release-py`;
    const r = await app.sendTask<string>('ec.py_block', [releaseKey, 30], {}, { queue: PY_QUEUE });
    try {
      const entry = await eventually('the Python task in `celeriac inspect active`', async () => {
        const out = await runCli(['inspect', 'active', '--json', '-d', PY_NODE, '-b', URL], celeriacEnv());
        assert.equal(out.code, 0, out.stdout + out.stderr);
        const replies = JSON.parse(out.stdout.trim()) as Record<string, Array<Record<string, unknown>>>;
        assert.deepEqual(Object.keys(replies), [PY_NODE], 'only the destination answers');
        return replies[PY_NODE].find((t) => t.id === r.id);
      });
      assert.equal(entry.name, 'ec.py_block');
      assert.deepEqual(entry.args, [releaseKey, 30]);
      assert.equal(entry.hostname, PY_NODE);
      assert.equal(typeof entry.worker_pid, 'number');
    } finally {
      await raw.set(releaseKey, '1');
    }
    assert.equal(await r.get({ timeout: 15 }), 'released');

    const ping = await runCli(['inspect', 'ping', '-b', URL], celeriacEnv());
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(ping.stdout, new RegExp(`->  ${escape(PY_NODE)}: OK\\n\\s+pong`), ping.stdout);
    assert.match(ping.stdout, new RegExp(`->  ${escape(TS_NODE)}: OK\\n\\s+pong`), ping.stdout);

    const pingJson = await runCli(['inspect', 'ping', '--json', '-b', URL], celeriacEnv());
    const pongs = JSON.parse(pingJson.stdout) as Record<string, unknown>;
    assert.deepEqual(pongs[PY_NODE], { ok: 'pong' }, pingJson.stdout);
    assert.deepEqual(pongs[TS_NODE], { ok: 'pong' }, pingJson.stdout);
  });

  it('5a. `celery control revoke` of a TS task waiting for its ETA: it ends REVOKED and never runs', async () => {
    const r = await app.sendTask('ec.record', [RUN], {}, { queue: TS_QUEUE, countdown: 3 });
    const sentAt = Date.now();
    // The worker has it (reserved, waiting for the ETA) before we revoke: ask it.
    await eventually('the ETA task in `celery inspect scheduled`', async () => {
      const out = await celery(['inspect', 'scheduled', '--json', '-d', TS_NODE]);
      return out.stdout.includes(r.id) ? true : undefined;
    });
    const revoke = await celery(['control', 'revoke', r.id]);
    assert.equal(revoke.code, 0, revoke.stdout + revoke.stderr);
    assert.ok(Date.now() - sentAt < 3000, 'revoked after its ETA: the test proves nothing, make the countdown longer');
    // The TS worker acknowledges the revoke in Celery's words ("tasks <id> flagged as revoked").
    assert.match(revoke.stdout, new RegExp(`->  ${escape(TS_NODE)}: OK\\n\\s+tasks ${escape(r.id)} flagged as revoked`), revoke.stdout);

    const state = await eventually(
      'REVOKED in the result backend',
      async () => {
        const s = await r.state();
        return s === 'PENDING' ? undefined : s;
      },
      15_000,
    );
    assert.equal(state, 'REVOKED');
    // Past the ETA and then some: it never ran.
    await sleep(Math.max(0, sentAt + 4000 - Date.now()));
    assert.equal(await raw.hget(`ec:${RUN}:runs`, r.id), null, 'the revoked task ran');
    // And Python reads the same REVOKED state from the backend.
    const py = await runPython(
      ['-c', `import sys; from py_ec_app import app; r = app.AsyncResult(sys.argv[1]); print(r.state, type(r.result).__name__)`, r.id],
      PY_ENV,
      20_000,
    );
    assert.equal(py.stdout.trim(), 'REVOKED TaskRevokedError', py.stdout + py.stderr);
  });

  it('6. `celeriac events --json` receives the Python worker\'s heartbeats and task events', async () => {
    const events = track('celeriac events --json', startCli(['events', '--json', '-b', URL], celeriacEnv()));
    extra.push({ p: events, group: false });
    try {
      await waitOutput(events, /listening on/);
      const parsed = () =>
        events
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      await eventually('a Python heartbeat', async () => parsed().find((e) => e.type === 'worker-heartbeat' && e.hostname === PY_NODE), 10_000);
      const hb = parsed().find((e) => e.type === 'worker-heartbeat' && e.hostname === PY_NODE)!;
      assert.equal(hb.sw_ident, 'py-celery');
      assert.equal(hb.freq, 2);
      assert.equal(typeof hb.clock, 'number');
      assert.equal(typeof hb.timestamp, 'number');

      const r = await app.sendTask<number>('ec.py_add', [2, 3], {}, { queue: PY_QUEUE });
      assert.equal(await r.get({ timeout: 15 }), 5);
      const of = (type: string) => parsed().find((e) => e.type === type && e.uuid === r.id);
      const succeeded = await eventually('task-succeeded of the Python task', async () => of('task-succeeded'), 10_000);
      assert.equal(succeeded.hostname, PY_NODE);
      assert.equal(succeeded.result, '5');
      const received = of('task-received');
      assert.ok(received, 'task-received of the Python task');
      assert.equal(received.name, 'ec.py_add');
      assert.equal(received.args, '(2, 3)');
      assert.ok(of('task-started'), 'task-started of the Python task');
      // The TS worker's events arrive on the same stream.
      await eventually(
        'a heartbeat of the TS worker',
        async () => parsed().find((e) => e.type === 'worker-heartbeat' && e.hostname === TS_NODE && e.sw_ident === 'celeriac'),
        10_000,
      );
    } finally {
      await stop(events, false);
    }
  });

  it('5b. `celery control shutdown -d <ts node>` makes the TS worker exit 0', async () => {
    const worker = tsWorker!;
    assert.ok(worker.alive(), 'the TS worker should still be running');
    const out = await celery(['control', 'shutdown', '-d', TS_NODE]);
    // Celery expects no reply to shutdown: "No nodes replied" (rc 69) is what real workers give too.
    assert.ok(out.code === 0 || out.code === 69, `celery control shutdown exited ${out.code}\n${out.stdout}${out.stderr}`);
    const exit = await Promise.race([worker.exited, sleep(20_000).then(() => undefined)]);
    assert.ok(exit, `the TS worker did not exit within 20 s:\n${worker.output().slice(-2000)}`);
    assert.deepEqual(exit, { code: 0, signal: null }, worker.output().slice(-2000));
    // Only the destination shut down.
    assert.ok(pyWorker!.alive(), 'the Python worker should still run');
    const ping = await celery(['inspect', 'ping']);
    assert.match(ping.stdout, new RegExp(`->  ${escape(PY_NODE)}: OK`), ping.stdout);
    assert.doesNotMatch(ping.stdout, new RegExp(escape(TS_NODE)), ping.stdout);
  });
});
