/**
 * Canvas across languages over Redis (db 6, flushed before and after), with real Python
 * Celery 5.2.6 (Debian's /usr/bin/python3) and a real `celeriac worker` CLI process:
 *
 *   1. chords whose header runs on one language's worker and whose body runs on the other's,
 *      both ways, sent by a TS client and by a Python client (the join goes through Celery's
 *      `celery-taskset-meta-<gid>.s/.j/.t` keys whichever worker finishes the header), and
 *      a failing header → the body fails with ChordError on either side;
 *   2. a Python client's chain `add.s(1, 2) | ts_triple.s() | mul.s(10)`;
 *   3. a TS client's chain whose middle step runs in Python;
 *   4. a Python client's `link` and `link_error` handled by the TS worker;
 *   5. `.get()` inside a task on the CLI worker fails with SyncSubtaskError.
 *
 * Tasks `pyc.*` run only on the Python worker (its queue), `tsc.*` only on the TS worker;
 * both apps route by name with the same task_routes, so follow-ups published by either side
 * reach the right worker. Python: test/interop/py_canvas_app.py + py_canvas_client.py;
 * TS: test/interop/ts_canvas_tasks.ts.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type Redis from 'ioredis';
import { AsyncResult, chain, chord, createApp, createLogger, sig, type App, type Signature } from '../../src/runtime';
import { flushDb, rawClient, redisUrl } from '../helpers/redis';
import { sleep } from '../helpers/wait';
import { failureOf } from '../helpers/runtime-harness';
import {
  pythonEnv,
  requireSystemCelery,
  runPythonJson,
  startCeleriacWorker,
  startCeleryWorker,
  stop,
  tailOf,
  waitReady,
  type Proc,
} from './interop-processes';

const DB = 6;
const URL = redisUrl(DB);
const RUN = randomUUID().slice(0, 8);
const PY_QUEUE = `canvas-py-${RUN}`;
const TS_QUEUE = `canvas-ts-${RUN}`;
const ROUTES = { 'pyc.*': { queue: PY_QUEUE }, 'tsc.*': { queue: TS_QUEUE } };
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** What py_canvas_app.py (and so py_canvas_client.py) reads. */
const PY_ENV = pythonEnv({ CANVAS_BROKER_URL: URL, CANVAS_PY_QUEUE: PY_QUEUE, CANVAS_TS_QUEUE: TS_QUEUE });

/** Resolves once the process has printed a match (a worker logs "succeeded" a moment after storing the result). */
async function logged(p: Proc, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(p.output())) {
    if (Date.now() > deadline) assert.match(p.output(), pattern, `${p.name} did not log ${pattern} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Run py_canvas_client.py <scenario> and parse the JSON object on the last line of its stdout. */
function runPyClient(scenario: string): Promise<any> {
  return runPythonJson('py_canvas_client.py', [scenario], PY_ENV);
}

describe('interop with Python Celery 5.2 over Redis: canvas across languages', function () {
  this.timeout(120_000);
  let pyWorker: Proc | undefined;
  let tsWorker: Proc | undefined;
  let app: App;
  let raw: Redis;
  /** A signature sent through this test's client app, whatever app is current. */
  const s = (name: string, ...args: unknown[]): Signature => sig(name, args).withApp(app);

  before(async function () {
    this.timeout(60_000);
    requireSystemCelery(['celery', 'redis'], 'python3-celery python3-redis');
    await flushDb(DB);
    raw = rawClient(DB);
    app = createApp(
      { broker: URL, backend: URL, task_default_queue: TS_QUEUE, task_routes: ROUTES },
      { env: {}, log: createLogger({ level: 'warn' }) },
    );
    pyWorker = startCeleryWorker({ app: 'py_canvas_app', env: PY_ENV, queues: [PY_QUEUE], node: `pycanvas-${RUN}@%h` });
    tsWorker = startCeleriacWorker({
      tasks: path.join(__dirname, 'ts_canvas_tasks.ts'),
      brokerUrl: URL,
      backendUrl: URL,
      queues: [TS_QUEUE],
      node: `tscanvas-${RUN}@%h`,
      env: { CANVAS_REDIS_URL: URL, CANVAS_PY_QUEUE: PY_QUEUE, CANVAS_TS_QUEUE: TS_QUEUE },
    });
    await Promise.all([waitReady(pyWorker, / ready\./), waitReady(tsWorker, / ready: /)]);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(`${tailOf(pyWorker)}\n${tailOf(tsWorker)}`);
  });

  after(async function () {
    this.timeout(30_000);
    await Promise.all([stop(pyWorker, true), stop(tsWorker, false)]);
    await app?.close();
    raw?.disconnect();
    await flushDb(DB);
  });

  /** The chord join keys of group `gid` that exist now. */
  async function chordKeys(gid: string): Promise<string[]> {
    const keys = ['.j', '.s', '.t'].map((x) => `celery-taskset-meta-${gid}${x}`);
    const exists = await Promise.all(keys.map((k) => raw.exists(k)));
    return keys.filter((_, i) => exists[i]).map((k) => k.slice(-2));
  }

  /**
   * A chord whose header failed and whose join ran in the *Python* worker: Celery 5.2.6 leaves
   * `.j` and `.s` behind (celery/backends/redis.py on_chord_part_return deletes them only in
   * the `finally` around `callback.delay`, which a ChordError never reaches); they expire
   * with result_expires. Celeriac's join deletes them in every case.
   */
  async function assertCeleryLeftFailedChordKeys(gid: string): Promise<void> {
    assert.deepEqual(await chordKeys(gid), ['.j', '.s']);
    const ttl = await raw.ttl(`celery-taskset-meta-${gid}.j`);
    assert.ok(ttl > 0 && ttl <= 86_400, `they expire (ttl ${ttl})`);
  }

  /** The group id of each chord the client sent, in order (from the header messages). */
  function recordChordGroups(): { groups: string[]; dispose(): void } {
    const groups: string[] = [];
    const sub = app.events.on('task-sent', (t) => {
      const g = t.message.headers.group;
      if (typeof g === 'string' && !groups.includes(g)) groups.push(g);
    });
    return { groups, dispose: () => sub.dispose() };
  }

  describe('1. chords across languages', () => {
    it('TS client: Python header → TS body, and TS header → Python body', async () => {
      const rec = recordChordGroups();
      const pyHeader = await chord([0, 1, 2].map((i) => s('pyc.add', i, i)), s('tsc.xsum')).applyAsync();
      const tsHeader = await chord([0, 1, 2, 3].map((i) => s('tsc.add', i, i)), s('pyc.xsum')).applyAsync();
      assert.equal(await pyHeader.get({ timeout: 20 }), 6);
      assert.equal(await tsHeader.get({ timeout: 20 }), 12);
      // Who ran the bodies: the Python worker logs pyc.xsum, the TS worker tsc.xsum.
      await logged(tsWorker!, new RegExp(`tsc\\.xsum\\[${pyHeader.id}\\] succeeded`));
      await logged(pyWorker!, new RegExp(`pyc\\.xsum\\[${tsHeader.id}\\] succeeded`));
      rec.dispose();
      assert.equal(rec.groups.length, 2);
      for (const gid of rec.groups) assert.deepEqual(await chordKeys(gid), [], `chord ${gid}: no .j/.s/.t left`);
    });

    it('TS client: a failing header fails the body with ChordError, whichever worker joins', async () => {
      const rec = recordChordGroups();
      const pyFails = await chord([s('pyc.add', 1, 1), s('pyc.fail', 'py header broke')], s('tsc.xsum')).applyAsync();
      const tsFails = await chord([s('tsc.add', 1, 1), s('tsc.fail', 'ts header broke')], s('pyc.xsum')).applyAsync();
      const e1 = await failureOf(pyFails.get({ timeout: 20 }));
      assert.equal(e1.excType, 'ChordError');
      assert.match(e1.excMessage, new RegExp(`^Dependency ${UUID} raised ValueError\\('py header broke'\\)$`));
      const e2 = await failureOf(tsFails.get({ timeout: 20 }));
      assert.equal(e2.excType, 'ChordError');
      assert.equal(e2.excModule, 'celery.exceptions');
      assert.match(e2.excMessage, new RegExp(`^Dependency ${UUID} raised RangeError\\('ts header broke'\\)$`));
      rec.dispose();
      const [pyGid, tsGid] = rec.groups;
      await assertCeleryLeftFailedChordKeys(pyGid);
      assert.deepEqual(await chordKeys(tsGid), [], 'the TS join deletes .j/.s/.t after a failure too');
    });

    it('Python client: both directions, and both failures, as Python sees them', async () => {
      const out = await runPyClient('chords');
      assert.deepEqual(out.py_header_ts_body.value, 6, JSON.stringify(out.py_header_ts_body));
      assert.equal(out.py_header_ts_body.state, 'SUCCESS');
      assert.deepEqual(out.ts_header_py_body.value, 12, JSON.stringify(out.ts_header_py_body));
      await logged(tsWorker!, new RegExp(`tsc\\.xsum\\[${out.py_header_ts_body.id}\\] succeeded`));
      // Python header fails → the Python worker fails the TS body.
      assert.equal(out.py_header_fails.state, 'FAILURE', JSON.stringify(out.py_header_fails));
      assert.equal(out.py_header_fails.exc_type, 'ChordError');
      assert.match(out.py_header_fails.exc_str, /raised ValueError\('py header broke'\)$/);
      // TS header fails → the TS worker fails the Python body; Python rebuilds celery.exceptions.ChordError.
      assert.equal(out.ts_header_fails.state, 'FAILURE', JSON.stringify(out.ts_header_fails));
      assert.equal(out.ts_header_fails.exc_type, 'ChordError');
      assert.equal(out.ts_header_fails.exc_module, 'celery.exceptions');
      assert.match(out.ts_header_fails.exc_str, new RegExp(`^Dependency ${UUID} raised RangeError\\('ts header broke'\\)$`));
      // The client stored .s (Python), the TS worker joined (.j) and deleted them all.
      assert.deepEqual(await chordKeys(out.ts_header_py_body.parent_id), []);
      assert.deepEqual(await chordKeys(out.ts_header_fails.parent_id), []);
      assert.deepEqual(await chordKeys(out.py_header_ts_body.parent_id), []);
      await assertCeleryLeftFailedChordKeys(out.py_header_fails.parent_id);
    });
  });

  describe('2–3. chains across languages', () => {
    it("Python client: add.s(1, 2) | ts_triple.s() | mul.s(10) — the middle step on the TS worker", async () => {
      const out = await runPyClient('chain');
      assert.equal(out.state, 'SUCCESS', JSON.stringify(out));
      assert.equal(out.value, 90);
      assert.equal(out.first.value, 3);
      assert.equal(out.middle.value, 9);
      const [first, middle, last] = out.ids as string[];
      await logged(tsWorker!, new RegExp(`tsc\\.triple\\[${middle}\\] succeeded`));
      // The TS worker ran the step with the id Python assigned, and stored its parent.
      const meta = JSON.parse((await raw.get(`celery-task-meta-${middle}`))!);
      assert.equal(meta.parent_id, first);
      assert.equal(JSON.parse((await raw.get(`celery-task-meta-${last}`))!).parent_id, middle, 'the step TS published has parent_id = the TS step');
    });

    it('TS client: chain(tsc.add(1, 2), pyc.mul(10), tsc.add(5)) — the middle step in Python', async () => {
      const sent: { name: string; id: string; parent: unknown; root: unknown }[] = [];
      const sub = app.events.on('task-sent', (t) => sent.push({ name: t.name, id: t.id, parent: t.message.headers.parent_id, root: t.message.headers.root_id }));
      try {
        const r = await chain(s('tsc.add', 1, 2), s('pyc.mul', 10), s('tsc.add', 5)).applyAsync();
        assert.ok(r instanceof AsyncResult);
        assert.equal(await r.get({ timeout: 20 }), 35);
        const rootId = sent[0].id;
        const metaLast = JSON.parse((await raw.get(`celery-task-meta-${r.id}`))!);
        assert.equal(metaLast.result, 35);
        // The last step was published by the Python worker: its parent is the Python step.
        const middleId = metaLast.parent_id as string;
        await logged(pyWorker!, new RegExp(`pyc\\.mul\\[${middleId}\\] succeeded`));
        assert.equal(JSON.parse((await raw.get(`celery-task-meta-${middleId}`))!).parent_id, rootId);
      } finally {
        sub.dispose();
      }
    });
  });

  describe('4. link and link_error from a Python client, handled by the TS worker', () => {
    it('link: the TS worker sends both callbacks (Python and TS) with its result first', async () => {
      const out = await runPyClient('link');
      assert.equal(out.task.value, 5, JSON.stringify(out));
      assert.equal(out.py_callback.value, 50, JSON.stringify(out.py_callback));
      assert.equal(out.ts_callback.value, 500, JSON.stringify(out.ts_callback));
      await logged(pyWorker!, new RegExp(`pyc\\.mul\\[${out.py_callback.id}\\] succeeded`));
    });

    it('link_error: an errback taking (request, exc, traceback) runs inline; a one-arg one is sent with the failed id', async () => {
      const out = await runPyClient('link_error');
      assert.equal(out.task.state, 'FAILURE', JSON.stringify(out));
      assert.equal(out.task.exc_type, 'RangeError');
      assert.deepEqual(out.ts_inline_errback, {
        id: out.task.id,
        name: 'tsc.fail',
        exc_type: 'RangeError',
        exc_message: 'boom 9',
        has_traceback: true,
      });
      assert.equal(out.py_errback.value, out.task.id, JSON.stringify(out.py_errback));
      assert.deepEqual(out.py_errback_note, { failed_id: out.task.id, parent_id: out.task.id });
      // Inline means nothing was published for it: no tsc.on_error ever reached the TS queue.
      assert.doesNotMatch(tsWorker!.output(), /tsc\.on_error\[/);
    });
  });

  describe('5. a worker process must not wait for results', () => {
    it('.get() inside a task on the CLI worker fails with SyncSubtaskError', async () => {
      const r = await app.sendTask('tsc.waits', []);
      const err = await failureOf(r.get({ timeout: 20 }));
      assert.equal(err.excType, 'SyncSubtaskError');
      assert.match(err.excMessage, /Never call result\.get\(\) within a task/);
    });
  });
});
