/**
 * Canvas on a real Redis (db 7, flushed before and after) with an in-process worker: chain,
 * group (and GroupResult save/restore), chord and chord failure. The chord join must use
 * Celery 5.2's keys (test/fixtures/celery/README.md §3): the client SETs
 * `celery-taskset-meta-<gid>.s` to the size, each header part is ZADDed to `.j` at its
 * group_index as `[1, id, state, result]`, `.t` is only read, and the worker that completes
 * the chord deletes `.j/.s/.t`.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { AsyncResult, GroupResult, Worker, chain, chord, group, createApp, type App, type TaskContext } from '../../src/runtime';
import type { TaskRun } from '../../src/runtime/worker/task-run';
import { loadFixture } from '../helpers/fixtures';
import { flushDb, rawClient, redisUrl } from '../helpers/redis';
import { failureOf, quietLog, sleep, waitUntil } from '../helpers/runtime-harness';

const DB = 7;
const URL = redisUrl(DB);

describe('canvas on Redis (db 7)', function () {
  this.timeout(20_000);
  let app: App;
  let worker: Worker;
  let raw: Redis;
  const calls: { name: string; args: unknown[] }[] = [];
  const ran = (name: string) => calls.filter((c) => c.name === name);
  let tasks: ReturnType<typeof defineTasks>;

  function defineTasks(a: App) {
    const note = (name: string, args: unknown[]) => calls.push({ name, args });
    return {
      add: a.task('rcanvas.add', (x: number, y: number) => x + y),
      mul: a.task('rcanvas.mul', (x: number, y: number) => x * y),
      xsum: a.task('rcanvas.xsum', (xs: number[]) => {
        note('rcanvas.xsum', [xs]);
        return xs.reduce((s, x) => s + x, 0);
      }),
      /** add, but only once `key` exists in Redis: holds a chord open while the test looks at its keys. */
      gatedAdd: a.task('rcanvas.gated_add', async (x: number, y: number, key: string) => {
        const deadline = Date.now() + 10_000;
        while (!(await raw.exists(key)) && Date.now() < deadline) await sleep(10);
        return x + y;
      }),
      fail: a.task('rcanvas.fail', (message: string) => {
        throw new RangeError(message);
      }),
      onError: a.task('rcanvas.on_error', (request: TaskRun, exc: Error, _tb: string | null) => {
        note('rcanvas.on_error', [request.id, exc.name, exc.message]);
      }),
      onErrorId: a.task(
        'rcanvas.on_error_id',
        (ctx: TaskContext, failedId: string) => {
          note('rcanvas.on_error_id', [failedId, ctx.parentId]);
        },
        { bind: true },
      ),
    };
  }

  before(async () => {
    await flushDb(DB);
    raw = rawClient(DB);
    app = createApp({ broker: URL, backend: URL, task_default_queue: `rcanvas-${randomUUID().slice(0, 8)}` }, { env: {}, log: quietLog });
    tasks = defineTasks(app);
    worker = new Worker(app, { log: quietLog, concurrency: 8 });
    await worker.start();
  });

  after(async () => {
    await worker?.stop({ timeout: 5 }).catch(() => undefined);
    await app?.close();
    raw?.disconnect();
    await flushDb(DB);
  });

  beforeEach(() => {
    calls.length = 0;
  });

  /** The chord keys of `gid` that exist now. */
  async function chordKeys(gid: string): Promise<string[]> {
    const keys = ['.j', '.s', '.t'].map((s) => `celery-taskset-meta-${gid}${s}`);
    const exists = await Promise.all(keys.map((k) => raw.exists(k)));
    return keys.filter((_, i) => exists[i]);
  }

  it('chain: each step gets the previous result; the result is the last step', async () => {
    const { add, mul } = tasks;
    const r = await chain(add.s(1, 2), add.s(3), mul.s(10)).applyAsync();
    assert.ok(r instanceof AsyncResult);
    assert.equal(await r.get({ timeout: 10 }), 60);
    const stored = JSON.parse((await raw.get(`celery-task-meta-${r.id}`))!);
    assert.equal(stored.status, 'SUCCESS');
    assert.equal(stored.result, 60);
    assert.ok(stored.parent_id, 'a chain step stores its parent_id (as Celery)');
  });

  it('group: ordered results; save() writes the taskset meta Celery restores', async () => {
    const { add } = tasks;
    const gr = await group(add.s(1, 1), add.s(2, 2), add.s(3, 3)).applyAsync();
    assert.deepEqual(await gr.get({ timeout: 10 }), [2, 4, 6]);
    for (const id of gr.ids) assert.equal(JSON.parse((await raw.get(`celery-task-meta-${id}`))!).group_id, gr.id);
    await gr.save();
    const value = await raw.get(`celery-taskset-meta-${gr.id}`);
    assert.deepEqual(JSON.parse(value!), { result: [[gr.id, null], gr.ids.map((id) => [[id, null], null])] });
    // Same text shape as Celery's (json.dumps puts spaces after separators; the structure is what matters).
    const fixture = loadFixture('redis_groupresult_save');
    assert.equal(Object.keys(JSON.parse(fixture.key_value)).join(), Object.keys(JSON.parse(value!)).join());
    assert.ok((await raw.ttl(`celery-taskset-meta-${gr.id}`)) > 86_000, 'result_expires (1 day) applies');
    const restored = await app.restoreGroup<number>(gr.id);
    assert.ok(restored instanceof GroupResult);
    assert.deepEqual(await restored.get({ timeout: 5 }), [2, 4, 6]);
  });

  it("chord: the join goes through Celery's .s/.j keys, the body gets the ordered results, the keys are deleted", async () => {
    const { add, gatedAdd, xsum } = tasks;
    const gate = `gate-${randomUUID()}`;
    const r = await chord([add.s(0, 0), add.s(1, 1), gatedAdd.s(2, 2, gate)], xsum.s()).applyAsync();
    const gid = await findChordGroup();
    // Two parts in, the third held: .s holds the size, .j the parts at their group_index, .t is not written.
    await waitUntil(async () => (await raw.zcard(`celery-taskset-meta-${gid}.j`)) === 2, 'two chord parts in .j', 10_000);
    assert.equal(await raw.get(`celery-taskset-meta-${gid}.s`), '3');
    assert.equal(await raw.exists(`celery-taskset-meta-${gid}.t`), 0);
    const parts = await raw.zrange(`celery-taskset-meta-${gid}.j`, 0, -1, 'WITHSCORES');
    const decoded = [
      [JSON.parse(parts[0]), parts[1]],
      [JSON.parse(parts[2]), parts[3]],
    ];
    assert.deepEqual(
      decoded.map(([p, score]) => [p[0], p[2], p[3], score]),
      [
        [1, 'SUCCESS', 0, '0'],
        [1, 'SUCCESS', 2, '1'],
      ],
      '[1, task_id, state, result] scored by group_index',
    );
    assert.ok((await raw.ttl(`celery-taskset-meta-${gid}.j`)) > 86_000, '.j expires with result_expires');
    await raw.set(gate, '1');
    assert.equal(await r.get({ timeout: 10 }), 6);
    assert.deepEqual(ran('rcanvas.xsum')[0].args, [[0, 2, 4]]);
    assert.deepEqual(await chordKeys(gid), [], 'no .j/.s/.t left after the chord completed');
    await raw.del(gate);
  });

  it('chord failure: the body fails with ChordError, its errbacks run, and the keys are deleted', async () => {
    const { add, fail, xsum, onError, onErrorId } = tasks;
    const failId = randomUUID();
    const r = await chord(
      [add.s(1, 1), fail.s('header broke').set({ task_id: failId }), add.s(2, 2)],
      xsum.s().linkError(onError.s()).linkError(onErrorId.s()),
    ).applyAsync();
    const err = await failureOf(r.get({ timeout: 10 }));
    assert.equal(err.excType, 'ChordError');
    assert.equal(err.excModule, 'celery.exceptions');
    assert.equal(err.excMessage, `Dependency ${failId} raised RangeError('header broke')`);
    const stored = JSON.parse((await raw.get(`celery-task-meta-${r.id}`))!);
    assert.deepEqual(stored.result, {
      exc_type: 'ChordError',
      exc_message: [`Dependency ${failId} raised RangeError('header broke')`],
      exc_module: 'celery.exceptions',
    });
    await waitUntil(() => ran('rcanvas.on_error').length === 1 && ran('rcanvas.on_error_id').length === 1, 'both errbacks', 10_000);
    assert.deepEqual(ran('rcanvas.on_error')[0].args, [r.id, 'ChordError', `Dependency ${failId} raised RangeError('header broke')`]);
    assert.deepEqual(ran('rcanvas.on_error_id')[0].args, [r.id, r.id]);
    assert.equal(ran('rcanvas.xsum').length, 0, 'the body never ran');
    const gid = JSON.parse((await raw.get(`celery-task-meta-${failId}`))!).group_id as string;
    assert.ok(gid, 'the failed header task stored its group id');
    assert.deepEqual(await chordKeys(gid), [], 'no .j/.s/.t left after the chord failed');
  });

  it('a group inside a chain (a chord) and a chain inside a chord header', async () => {
    const { add, mul, xsum } = tasks;
    const r1 = await chain(add.s(1, 1), group(mul.s(10), mul.s(100)), xsum.s()).applyAsync();
    const r2 = await chord([chain(add.s(1, 1), mul.s(10)), add.s(2, 2)], xsum.s()).applyAsync();
    assert.equal(await (r1 as AsyncResult).get({ timeout: 10 }), 220);
    assert.equal(await r2.get({ timeout: 10 }), 24);
    const left = await raw.keys('celery-taskset-meta-*');
    assert.deepEqual(
      left.filter((k) => /\.[jst]$/.test(k)),
      [],
    );
  });

  /** The one chord whose size key exists now. */
  async function findChordGroup(): Promise<string> {
    let gid: string | undefined;
    await waitUntil(
      async () => {
        const keys = await raw.keys('celery-taskset-meta-*.s');
        if (keys.length !== 1) return false;
        gid = keys[0].slice('celery-taskset-meta-'.length, -2);
        return true;
      },
      'the chord size key',
      5000,
    );
    return gid!;
  }
});
