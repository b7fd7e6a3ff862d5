/**
 * Canvas on the embedded memory:// broker: signatures, link/link_error, chain, group, chord
 * and their nesting.
 *
 * 1. Encoding: messages built by the app are taken off their queue (no worker) and compared
 *    with what real Celery 5.2.6 published for the same canvas (test/fixtures/celery,
 *    README §1.3): every uuid is replaced by a symbol in order of first appearance and the
 *    client's reply address by <oid>, then the bodies must be equal *including key order*.
 * 2. Behaviour with in-process workers: partial args, immutable signatures, callbacks,
 *    errbacks (inline and sent), chain results and failures, group order, chord join and
 *    chord failure, nesting, GroupResult save/restore.
 * 3. SyncSubtaskError: `.get()` inside a process-pool child raises unless
 *    `{ disableSyncSubtasks: false }`.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import {
  AsyncResult,
  GroupResult,
  Signature,
  Worker,
  chain,
  chord,
  group,
  sig,
  type App,
  type SentTask,
  type TaskContext,
} from '../../src/runtime';
import type { BrokerMessage } from '../../src/runtime/protocol/message';
import { bodyText } from '../../src/runtime/protocol/serializer';
import { KeyValueBackend } from '../../src/runtime/backends/key-value-backend';
import type { TaskRun } from '../../src/runtime/worker/task-run';
import { loadTaskModule } from '../../src/runtime/loader/load-task-module';
import { loadFixture } from '../helpers/fixtures';
import { Harness, failureOf, quietLog, sleep, uniqueQueue, waitUntil } from '../helpers/runtime-harness';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SIGNATURE_KEYS = ['task', 'args', 'kwargs', 'options', 'subtask_type', 'immutable'];
const EMBED_KEYS = ['callbacks', 'errbacks', 'chain', 'chord'];

type Body = [unknown[], Record<string, unknown>, Record<string, any>];

function bodyOf(m: BrokerMessage): Body {
  const t = bodyText(m);
  assert.ok(t.ok, 'readable body');
  return JSON.parse(t.text) as Body;
}

/** Uuids → <id0>, <id1>… in order of first appearance; the client's reply address → <oid>. */
function symbolic(value: unknown, oid: string, ids = new Map<string, string>()): unknown {
  if (typeof value === 'string') {
    if (value === oid) return '<oid>';
    if (!UUID_RE.test(value)) return value;
    if (!ids.has(value)) ids.set(value, `<id${ids.size}>`);
    return ids.get(value);
  }
  if (Array.isArray(value)) return value.map((v) => symbolic(v, oid, ids));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, symbolic(v, oid, ids)]));
  }
  return value;
}

interface PyMessage {
  headers: Record<string, unknown>;
  body: Body;
  replyTo: string;
}

/** The task messages LPUSHed in a capture, in order: by the Python client only, or by anyone (workers too). */
function pythonMessages(fixture: string, who: 'client' | 'any' = 'client'): PyMessage[] {
  const f = loadFixture(fixture);
  return (f.redis_commands as { cmd: string[]; who: string }[])
    .filter((c) => c.cmd[0] === 'LPUSH' && !c.cmd[1].includes('pidbox') && (who === 'any' || c.who.startsWith('client')))
    .map((c) => {
      const env = JSON.parse(c.cmd[2]);
      return {
        headers: env.headers,
        body: JSON.parse(Buffer.from(env.body, 'base64').toString('utf8')) as Body,
        replyTo: env.properties.reply_to,
      };
    });
}

/** Take exactly `n` messages off `queue` (acking them), failing if fewer or more arrive. */
async function takeMessages(app: App, queue: string, n: number): Promise<BrokerMessage[]> {
  const broker = await app.connectBroker();
  const got: BrokerMessage[] = [];
  const consumer = await broker.consume([queue], { prefetch: 0 }, (d) => {
    got.push(d.message);
    d.ack();
  });
  try {
    await waitUntil(() => got.length >= n, `${n} messages on ${queue}`, 3000);
    await sleep(30); // one too many would show up here
  } finally {
    await consumer.cancel();
  }
  assert.equal(got.length, n, `expected exactly ${n} messages on ${queue}`);
  return got;
}

/** Every task message the app publishes (clients and, in-process, its worker's follow-ups). */
function recordSent(app: App): SentTask[] {
  const sent: SentTask[] = [];
  app.events.on('task-sent', (t) => sent.push(t));
  return sent;
}

async function kvBackend(app: App): Promise<KeyValueBackend> {
  const backend = await app.connectBackend();
  assert.ok(backend instanceof KeyValueBackend);
  return backend;
}

describe('canvas', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  describe('encoding, compared with the Celery 5.2 captures (no worker)', () => {
    /** An app with the capture's task names; nothing consumes its queue. */
    function captureApp() {
      const queue = uniqueQueue('enc');
      const app = h.app({ task_default_queue: queue });
      const add = app.task('interop_app.add', (a: number, b: number) => a + b);
      const mul = app.task('interop_app.mul', (a: number, b: number) => a * b);
      const xsum = app.task('interop_app.xsum', (xs: number[]) => xs.reduce((s, x) => s + x, 0));
      const fail = app.task('interop_app.fail', () => {
        throw new Error('boom');
      });
      const onError = app.task('interop_app.on_error', (_request: unknown, _exc: unknown, _tb: unknown) => undefined);
      return { app, queue, add, mul, xsum, fail, onError };
    }

    it("a signature's JSON has Celery's keys in Celery's order; si/set/link/linkError", () => {
      const { add, mul, onError } = captureApp();
      const s = add.s(2);
      assert.deepEqual(Object.keys(s.toJSON()), SIGNATURE_KEYS);
      assert.deepEqual(s.toJSON(), { task: 'interop_app.add', args: [2], kwargs: {}, options: {}, subtask_type: null, immutable: false });
      // JSON.stringify goes through toJSON: the same text Celery's json.dumps gives (modulo spaces).
      assert.equal(
        JSON.stringify(mul.s(10)),
        '{"task":"interop_app.mul","args":[10],"kwargs":{},"options":{},"subtask_type":null,"immutable":false}',
      );
      assert.equal(add.si(1, 2).toJSON().immutable, true);
      assert.equal(add.s(1).si().toJSON().immutable, true);
      assert.deepEqual(add.s(1).set({ queue: 'other', priority: 3 }).toJSON().options, { queue: 'other', priority: 3 });
      const linked = add.s(1, 2).link(mul.s(10)).linkError(onError.s());
      assert.deepEqual(linked.toJSON().options, { link: [mul.s(10).toJSON()], link_error: [onError.s().toJSON()] });
      // sig() by name and task.signature() are the same thing.
      assert.deepEqual(sig('interop_app.add', [1], { y: 2 }).toJSON(), add.signature([1], { y: 2 }).toJSON());
      // Partial application: extra args go first, kwargs merge; si ignores both.
      assert.deepEqual(add.s(10).merged([1], { z: 1 }).args, [1, 10]);
      assert.deepEqual(sig('x', [], { a: 1 }).merged([], { b: 2 }).kwargs, { a: 1, b: 2 });
      assert.deepEqual(add.si(10).merged([1], { z: 1 }), { args: [10], kwargs: {}, options: {} });
    });

    it('link: embed.callbacks is exactly what add.apply_async((1, 2), link=mul.s(10)) sent', async () => {
      const { app, queue, add, mul } = captureApp();
      const [py] = pythonMessages('redis_send_link');
      const r = await add.applyAsync([1, 2], {}, { link: [mul.s(10)] });
      const [m] = await takeMessages(app, queue, 1);
      assert.equal(JSON.stringify(symbolic(bodyOf(m), app.oid)), JSON.stringify(symbolic(py.body, py.replyTo)));
      // The same through Signature.link().
      await add.s(1, 2).link(mul.s(10)).delay();
      const [m2] = await takeMessages(app, queue, 1);
      assert.deepEqual(bodyOf(m2), bodyOf(m));
      assert.equal(m.headers.id, r.id);
    });

    it('link_error: embed.errbacks is exactly what fail.apply_async(link_error=on_error.s()) sent', async () => {
      const { app, queue, fail, onError } = captureApp();
      const [py] = pythonMessages('redis_send_link_error');
      await fail.applyAsync([], {}, { linkError: [onError.s()] });
      const [m] = await takeMessages(app, queue, 1);
      const body = bodyOf(m);
      assert.deepEqual(Object.keys(body[2]), EMBED_KEYS);
      assert.equal(JSON.stringify(symbolic(body, app.oid)), JSON.stringify(symbolic(py.body, py.replyTo)));
    });

    it("chain: one message whose embed.chain is the rest reversed, ids and reply_to assigned up front (as Celery's)", async () => {
      const { app, queue, add, mul } = captureApp();
      const [py] = pythonMessages('redis_send_chain');
      const result = await chain(add.s(1, 2), add.s(3), mul.s(10)).applyAsync();
      assert.ok(result instanceof AsyncResult);
      const [m] = await takeMessages(app, queue, 1);
      const body = bodyOf(m);
      assert.equal(JSON.stringify(symbolic(body, app.oid)), JSON.stringify(symbolic(py.body, py.replyTo)));
      const rest = body[2].chain as { task: string; options: Record<string, unknown> }[];
      assert.deepEqual(
        rest.map((s) => s.task),
        ['interop_app.mul', 'interop_app.add'],
        'the next step is the last element',
      );
      for (const step of rest) {
        assert.deepEqual(Object.keys(step), SIGNATURE_KEYS);
        assert.deepEqual(Object.keys(step.options), ['task_id', 'reply_to']);
        assert.match(String(step.options.task_id), UUID_RE);
        assert.equal(step.options.reply_to, app.oid);
      }
      // The chain's result is its last step, known before anything ran.
      assert.equal(result.id, rest[0].options.task_id);
      // Headers as Celery's first message: a root task, not in a group.
      assert.equal(m.headers.task, 'interop_app.add');
      assert.equal(m.headers.root_id, m.headers.id);
      assert.equal(m.headers.parent_id, null);
      assert.equal(m.headers.group, null);
      assert.equal(m.headers.group_index, null);
      assert.equal(m.headers.argsrepr, py.headers.argsrepr);
      assert.equal(m.properties.reply_to, app.oid);
      assert.deepEqual(Object.keys(m.headers), Object.keys(py.headers), "headers in Celery's order");
    });

    it('group: one message per member sharing `group`, group_index null, own root_id, empty embed', async () => {
      const { app, queue, add } = captureApp();
      const py = pythonMessages('redis_send_group');
      assert.equal(py.length, 3);
      const gr = await group(add.s(0, 0), add.s(1, 1), add.s(2, 2)).applyAsync();
      assert.ok(gr instanceof GroupResult);
      const ms = await takeMessages(app, queue, 3);
      assert.deepEqual(
        ms.map((m) => m.headers.id),
        gr.ids,
        'members in order, ids as in the GroupResult',
      );
      ms.forEach((m, i) => {
        assert.equal(m.headers.group, gr.id);
        assert.equal(m.headers.group_index, null, 'plain group members have no index (as Celery)');
        assert.equal(py[i].headers.group_index, null);
        assert.equal(m.headers.root_id, m.headers.id);
        assert.equal(m.headers.parent_id, null);
        assert.equal(m.headers.argsrepr, py[i].headers.argsrepr);
        assert.equal(JSON.stringify(symbolic(bodyOf(m), app.oid)), JSON.stringify(symbolic(py[i].body, py[i].replyTo)));
      });
    });

    it('chord: header messages with group_index 0..n-1 and embed.chord = the body with its task_id; .s = size', async () => {
      const { app, queue, add, xsum } = captureApp();
      const py = pythonMessages('redis_send_chord');
      assert.equal(py.length, 3);
      const result = await chord([0, 1, 2].map((i) => add.s(i, i)), xsum.s()).applyAsync();
      const ms = await takeMessages(app, queue, 3);
      const gid = ms[0].headers.group as string;
      assert.match(gid, UUID_RE);
      ms.forEach((m, i) => {
        assert.equal(m.headers.group, gid);
        assert.equal(m.headers.group_index, i);
        assert.equal(py[i].headers.group_index, i);
        assert.equal(m.headers.root_id, m.headers.id);
        assert.equal(m.headers.argsrepr, py[i].headers.argsrepr);
        const body = bodyOf(m);
        assert.equal(body[2].chord.options.task_id, result.id, "embed.chord carries the body's task id");
        assert.equal(JSON.stringify(symbolic(body, app.oid)), JSON.stringify(symbolic(py[i].body, py[i].replyTo)));
      });
      // The client stored the chord size under Celery's key; nothing else (no plain taskset meta).
      const store = (await kvBackend(app)).store;
      assert.equal(await store.get(`celery-taskset-meta-${gid}.s`), '3');
      assert.equal((await store.get(`celery-taskset-meta-${gid}`)) ?? null, null);
    });

    it('follow-ups a worker publishes match what the Celery worker published (redis_exec_chain/link/chord)', async () => {
      const { app, add, mul, xsum } = captureApp();
      const sent = recordSent(app);
      const worker = h.track(new Worker(app, { log: quietLog, concurrency: 4 }));
      await worker.start();
      /** Headers that say how a message relates to the others, and the body; ids as symbols shared across messages. */
      const view = (ms: { headers: Record<string, unknown>; body: unknown }[], oid: string) => {
        const ids = new Map<string, string>();
        return ms.map((m) => {
          const { id, task, root_id, parent_id, group, group_index, argsrepr, kwargsrepr } = m.headers;
          return JSON.stringify(symbolic({ id, task, root_id, parent_id, group, group_index, argsrepr, kwargsrepr, body: m.body }, oid, ids));
        });
      };
      const tsView = (from: number, oid: string) => view(sent.slice(from).map((s) => ({ headers: s.message.headers, body: bodyOf(s.message) })), oid);
      const pyView = (fixture: string) => {
        const ms = pythonMessages(fixture, 'any');
        return view(ms, ms[0].replyTo);
      };

      // chain(add.s(1, 2), add.s(3), mul.s(10)): three messages, the rest shrinking to [] on the last.
      const c = await chain(add.s(1, 2), add.s(3), mul.s(10)).applyAsync();
      assert.equal(await c.get({ timeout: 5 }), 60);
      assert.deepEqual(tsView(0, app.oid), pyView('redis_exec_chain'));

      // add.apply_async((1, 2), link=mul.s(10)): the callback mul(3, 10), parent and root = add.
      let from = sent.length;
      const l = await add.applyAsync([1, 2], {}, { link: [mul.s(10)] });
      await l.get({ timeout: 5 });
      await waitUntil(() => sent.length === from + 2, 'the callback message');
      assert.deepEqual(tsView(from, app.oid), pyView('redis_exec_link'));

      // chord([add(i, i) for i in range(3)], xsum.s()): the body xsum([[0, 2, 4]]), published with
      // parent = root = the header task that finished last (which one that is varies: compare without it).
      from = sent.length;
      const ch = await chord([0, 1, 2].map((i) => add.s(i, i)), xsum.s()).applyAsync();
      assert.equal(await ch.get({ timeout: 5 }), 6);
      const tsMsgs = sent.slice(from);
      const pyMsgs = pythonMessages('redis_exec_chord', 'any');
      assert.equal(tsMsgs.length, 4);
      const bodyMsg = tsMsgs[3].message;
      assert.equal(bodyMsg.headers.root_id, bodyMsg.headers.parent_id);
      assert.ok(tsMsgs.slice(0, 3).some((s) => s.id === bodyMsg.headers.parent_id));
      assert.equal(pyMsgs[3].headers.root_id, pyMsgs[3].headers.parent_id);
      const strip = (h: Record<string, unknown>) => ({ ...h, root_id: 'last header', parent_id: 'last header' });
      assert.deepEqual(
        view([...tsMsgs.slice(0, 3).map((s) => ({ headers: s.message.headers, body: bodyOf(s.message) })), { headers: strip(bodyMsg.headers), body: bodyOf(bodyMsg) }], app.oid),
        view([...pyMsgs.slice(0, 3), { headers: strip(pyMsgs[3].headers), body: pyMsgs[3].body }], pyMsgs[0].replyTo),
      );
    });

    it('chain(a, group(b, c), d) is sent as a chain whose next step is a chord (group | step → chord)', async () => {
      const { app, queue, add, mul, xsum } = captureApp();
      const result = await chain(add.s(1, 1), group(mul.s(10), mul.s(100)), xsum.s()).applyAsync();
      const [m] = await takeMessages(app, queue, 1);
      const rest = bodyOf(m)[2].chain as Record<string, any>[];
      assert.equal(rest.length, 1);
      const step = rest[0];
      assert.deepEqual(Object.keys(step), SIGNATURE_KEYS);
      assert.equal(step.task, 'celery.chord');
      assert.equal(step.subtask_type, 'chord');
      assert.deepEqual(Object.keys(step.kwargs), ['kwargs', 'header', 'body']);
      assert.equal(step.kwargs.header.subtask_type, 'group');
      assert.deepEqual(
        step.kwargs.header.kwargs.tasks.map((t: { args: unknown[] }) => t.args),
        [[10], [100]],
      );
      assert.equal(step.kwargs.body.task, 'interop_app.xsum');
      assert.equal(step.kwargs.body.options.task_id, result.id, "the chain's result is the chord body's");
    });
  });

  describe('behaviour with an in-process worker', () => {
    /** A fresh app, its tasks and a running worker on its own queue. */
    async function setup() {
      const app = h.app();
      const calls: { name: string; args: unknown[] }[] = [];
      const note = (name: string, args: unknown[]) => calls.push({ name, args });
      const add = app.task('canvas.add', (a: number, b: number) => a + b);
      const mul = app.task('canvas.mul', (a: number, b: number) => a * b);
      const sub = app.task('canvas.sub', (a: number, b: number) => a - b);
      const xsum = app.task('canvas.xsum', (xs: number[]) => {
        note('canvas.xsum', [xs]);
        return xs.reduce((s, x) => s + x, 0);
      });
      const collect = app.task('canvas.collect', (...args: unknown[]) => {
        note('canvas.collect', args);
        return args;
      });
      /** add after a delay, so members finish out of order. */
      const slowAdd = app.task('canvas.slow_add', async (a: number, b: number, ms: number) => {
        await sleep(ms);
        return a + b;
      });
      const fail = app.task('canvas.fail', (message: string) => {
        throw new TypeError(message);
      });
      /** Takes (request, exc, traceback): Celery runs such an errback inline. */
      const inlineErrback = app.task('canvas.on_error', (request: TaskRun, exc: Error, traceback: string | null) => {
        note('canvas.on_error', [request, exc, traceback]);
      });
      /** Inline, with partial args of its own: Celery calls it with (request, exc, traceback, ...its args). */
      const taggedErrback = app.task('canvas.on_error_tagged', (request: TaskRun, exc: Error, _tb: string | null, tag: string) => {
        note('canvas.on_error_tagged', [request.id, exc.message, tag]);
      });
      /** Takes the failed task's id: sent as a task. */
      const idErrback = app.task('canvas.on_error_id', (taskId: string) => {
        note('canvas.on_error_id', [taskId]);
        return `handled ${taskId}`;
      });
      /** Bound, with the failed id: Celery never runs a bound errback inline, it sends it. */
      const boundErrback = app.task(
        'canvas.on_error_bound',
        (ctx: TaskContext, taskId: string) => {
          note('canvas.on_error_bound', [taskId, ctx.parentId]);
          return taskId;
        },
        { bind: true },
      );
      const sent = recordSent(app);
      const worker = h.track(new Worker(app, { log: quietLog, concurrency: 8 }));
      await worker.start();
      const ran = (name: string) => calls.filter((c) => c.name === name);
      return { app, worker, sent, calls, ran, add, mul, sub, xsum, collect, slowAdd, fail, inlineErrback, taggedErrback, idErrback, boundErrback };
    }

    it('partial args: the parent result is put first; kwargs merge', async () => {
      const { app, sub, add } = await setup();
      // sub(10, 1) = 9 — not sub(1, 10) = -9.
      const r = await chain(add.s(5, 5), sub.s(1)).applyAsync();
      assert.equal(await r.get({ timeout: 5 }), 9);
      const kw = app.task('canvas.kw', (a: number, opts: Record<string, number>) => ({ a, opts }));
      const r2 = await chain(add.s(1, 1), kw.signature([], { x: 1 })).applyAsync();
      assert.deepEqual(await r2.get({ timeout: 5 }), { a: 2, opts: { x: 1 } });
    });

    it(".si() ignores the parent's result", async () => {
      const { add, collect, ran } = await setup();
      const r = await chain(add.s(1, 2), collect.si('only', 'mine')).applyAsync();
      assert.deepEqual(await r.get({ timeout: 5 }), ['only', 'mine']);
      assert.deepEqual(ran('canvas.collect')[0].args, ['only', 'mine']);
    });

    it('link: the callback runs with the result first; parent_id/root_id = the linked task', async () => {
      const { app, add, mul, sent } = await setup();
      const r = await add.applyAsync([1, 2], {}, { link: [mul.s(10)] });
      assert.equal(await r.get({ timeout: 5 }), 3);
      await waitUntil(() => sent.some((s) => s.name === 'canvas.mul'), 'the callback to be sent');
      const cb = sent.find((s) => s.name === 'canvas.mul')!;
      assert.deepEqual(cb.args, [3, 10]);
      assert.equal(cb.message.headers.parent_id, r.id);
      assert.equal(cb.message.headers.root_id, r.id);
      assert.equal(await app.asyncResult(cb.id).get({ timeout: 5 }), 30);
      // Signature.link() and several callbacks: each runs.
      const r2 = await add.s(2, 2).link(mul.s(2)).link(mul.s(3)).delay();
      await r2.get({ timeout: 5 });
      await waitUntil(() => sent.filter((s) => s.name === 'canvas.mul' && s.message.headers.parent_id === r2.id).length === 2, 'two callbacks');
      assert.deepEqual(
        sent.filter((s) => s.message.headers.parent_id === r2.id).map((s) => s.args),
        [
          [4, 2],
          [4, 3],
        ],
      );
    });

    it('link_error: an errback taking (request, exc, traceback) runs inline, nothing is sent', async () => {
      const { fail, inlineErrback, ran, sent } = await setup();
      const r = await fail.applyAsync(['boom'], {}, { linkError: [inlineErrback.s()] });
      const err = await failureOf(r.get({ timeout: 5 }));
      assert.equal(err.excType, 'TypeError');
      await waitUntil(() => ran('canvas.on_error').length === 1, 'the inline errback');
      const [request, exc, traceback] = ran('canvas.on_error')[0].args as [TaskRun, Error, string | null];
      assert.equal(request.id, r.id);
      assert.equal(request.name, 'canvas.fail');
      assert.ok(exc instanceof Error);
      assert.equal(exc.name, 'TypeError');
      assert.equal(exc.message, 'boom');
      assert.match(String(traceback), /boom/);
      await sleep(50);
      assert.equal(sent.filter((s) => s.name === 'canvas.on_error').length, 0, 'an inline errback is not published');
      assert.equal(ran('canvas.on_error').length, 1);
    });

    it("link_error: an inline errback's own args follow (request, exc, traceback), as Signature.__call__ merges them", async () => {
      const { fail, taggedErrback, ran } = await setup();
      const r = await fail.applyAsync(['boom'], {}, { linkError: [taggedErrback.s('billing')] });
      await failureOf(r.get({ timeout: 5 }));
      await waitUntil(() => ran('canvas.on_error_tagged').length === 1, 'the tagged errback');
      assert.deepEqual(ran('canvas.on_error_tagged')[0].args, [r.id, 'boom', 'billing']);
    });

    it('link_error: a one-argument errback is sent as a task with the failed id (parent = the failed task)', async () => {
      const { app, fail, idErrback, ran, sent } = await setup();
      const r = await fail.applyAsync(['boom'], {}, { linkError: [idErrback.s()] });
      await failureOf(r.get({ timeout: 5 }));
      await waitUntil(() => ran('canvas.on_error_id').length === 1, 'the errback task');
      assert.deepEqual(ran('canvas.on_error_id')[0].args, [r.id]);
      const msg = sent.find((s) => s.name === 'canvas.on_error_id')!;
      assert.deepEqual(msg.args, [r.id]);
      assert.equal(msg.message.headers.parent_id, r.id);
      assert.equal(msg.message.headers.root_id, r.id);
      assert.equal(await app.asyncResult(msg.id).get({ timeout: 5 }), `handled ${r.id}`);
    });

    it('link_error: a bound errback (ctx, taskId) is sent as a task, never run inline (Celery)', async () => {
      const { fail, boundErrback, ran, sent } = await setup();
      const r = await fail.applyAsync(['boom'], {}, { linkError: [boundErrback.s()] });
      await failureOf(r.get({ timeout: 5 }));
      await waitUntil(() => ran('canvas.on_error_bound').length === 1, 'the bound errback');
      assert.deepEqual(ran('canvas.on_error_bound')[0].args, [r.id, r.id]);
      assert.equal(sent.filter((s) => s.name === 'canvas.on_error_bound').length, 1);
    });

    it('no errback runs when the task succeeds, no callback when it fails', async () => {
      const { add, fail, mul, idErrback, ran, sent } = await setup();
      const ok = await add.applyAsync([1, 1], {}, { linkError: [idErrback.s()] });
      const bad = await fail.applyAsync(['x'], {}, { link: [mul.s(2)] });
      await ok.get({ timeout: 5 });
      await failureOf(bad.get({ timeout: 5 }));
      await sleep(50);
      assert.equal(ran('canvas.on_error_id').length, 0);
      assert.equal(sent.filter((s) => s.name === 'canvas.mul').length, 0);
    });

    it("chain: the result is the last step's; each step's parent is the previous, root the first", async () => {
      const { add, mul, sent } = await setup();
      const r = await chain(add.s(1, 2), add.s(3), mul.s(10)).applyAsync();
      assert.ok(r instanceof AsyncResult);
      assert.equal(await r.get({ timeout: 5 }), 60);
      const steps = sent.filter((s) => s.message.headers.root_id === sent[0].id);
      assert.deepEqual(
        steps.map((s) => [s.name, s.args]),
        [
          ['canvas.add', [1, 2]],
          ['canvas.add', [3, 3]],
          ['canvas.mul', [6, 10]],
        ],
      );
      assert.equal(steps[0].message.headers.parent_id, null);
      assert.equal(steps[1].message.headers.parent_id, steps[0].id);
      assert.equal(steps[2].message.headers.parent_id, steps[1].id);
      assert.equal(steps[2].id, r.id, 'the last step has the id assigned up front');
      // The remaining chain shrinks as Celery's: [mul] then [].
      assert.deepEqual(bodyOf(steps[1].message)[2].chain.map((s: { task: string }) => s.task), ['canvas.mul']);
      assert.deepEqual(bodyOf(steps[2].message)[2].chain, []);
    });

    it('a chain stops at the failing step: later steps never run', async () => {
      const { app, add, fail, collect, ran, sent } = await setup();
      const failId = '00000000-0000-4000-8000-00000000fa11';
      const r = await chain(add.s(1, 2), fail.s().set({ task_id: failId }), collect.s('never')).applyAsync();
      const err = await failureOf(app.asyncResult(failId).get({ timeout: 5 }));
      assert.equal(err.excType, 'TypeError');
      assert.equal(err.excMessage, '3', 'the failing step got the previous result');
      await sleep(150);
      assert.equal(ran('canvas.collect').length, 0);
      assert.equal(sent.filter((s) => s.name === 'canvas.collect').length, 0);
      assert.ok(r instanceof AsyncResult);
      assert.equal(await r.state(), 'PENDING', "the last step's result never gets a state");
      // get() on the chain follows its parents: it ends with the failing step's error instead of waiting forever.
      assert.deepEqual(
        r.parents().map((p) => p.id),
        [failId, sent.find((s) => s.name === 'canvas.add')!.id],
      );
      const viaChain = await failureOf(r.get({ timeout: 5 }));
      assert.equal(viaChain.taskId, failId);
      assert.equal(viaChain.excType, 'TypeError');
      assert.deepEqual(await r.get({ timeout: 5, propagate: false }), { exc_type: 'TypeError', exc_message: ['3'], exc_module: 'builtins' });
      await assert.rejects(r.get({ timeout: 0.2, followParents: false }), /timed out after 0.2s waiting for task .* \(state PENDING\)/);
    });

    it('get() on a chain that succeeds returns the last value, whatever its parents did', async () => {
      const { add } = await setup();
      const r = await chain(add.s(1, 2), add.s(10), add.s(100)).applyAsync();
      assert.ok(r instanceof AsyncResult);
      assert.equal(await r.get({ timeout: 5 }), 113);
      assert.equal(r.parents().length, 2);
      assert.deepEqual(await Promise.all(r.parents().map((p) => p.get({ timeout: 5 }))), [13, 3]);
    });

    it('get() on a chain gives up at its timeout while a parent still runs, and stops on abort', async () => {
      const { slowAdd, add } = await setup();
      const r = await chain(slowAdd.s(1, 0, 1500), add.s(1)).applyAsync();
      assert.ok(r instanceof AsyncResult);
      await assert.rejects(r.get({ timeout: 0.1 }), /timed out after 0.1s/);
      const abort = new AbortController();
      const waiting = r.get({ signal: abort.signal });
      abort.abort(new Error('caller gave up'));
      await assert.rejects(waiting, /caller gave up/);
      assert.equal(await r.get({ timeout: 5 }), 2);
    });

    it('group: results come back in member order, whatever order they finish in', async () => {
      const { slowAdd } = await setup();
      const gr = await group(slowAdd.s(1, 0, 120), slowAdd.s(2, 0, 60), slowAdd.s(3, 0, 0)).applyAsync();
      assert.ok(gr instanceof GroupResult);
      assert.deepEqual(await gr.get({ timeout: 5 }), [1, 2, 3]);
      assert.equal(await gr.completedCount(), 3);
      assert.equal(await gr.successful(), true);
      for (const r of gr.results) assert.equal((await r.meta()).group_id, gr.id, 'members store their group id');
    });

    it('group with a failing member: get() raises it; propagate: false gives every outcome', async () => {
      const { add, fail } = await setup();
      const gr = await group(add.s(1, 1), fail.s('bad'), add.s(2, 2)).applyAsync();
      const err = await failureOf(gr.get({ timeout: 5 }));
      assert.equal(err.excMessage, 'bad');
      const all = await gr.get({ timeout: 5, propagate: false });
      assert.equal(all[0], 2);
      assert.equal(all[2], 4);
      assert.equal(await gr.failed(), true);
    });

    it('chord: the body gets the header results ordered by group_index; the join keys are cleaned up', async () => {
      const { app, slowAdd, collect, ran, sent } = await setup();
      const r = await chord([slowAdd.s(1, 0, 100), slowAdd.s(2, 0, 50), slowAdd.s(3, 0, 0)], collect.s('tail')).applyAsync();
      assert.deepEqual(await r.get({ timeout: 5 }), [[1, 2, 3], 'tail']);
      assert.equal(ran('canvas.collect').length, 1, 'the body runs once');
      const headers = sent.filter((s) => s.name === 'canvas.slow_add');
      const gid = headers[0].message.headers.group as string;
      const body = sent.find((s) => s.name === 'canvas.collect')!;
      assert.equal(body.id, r.id);
      const last = headers.find((s) => s.id === body.message.headers.parent_id);
      assert.ok(last, "the body's parent is the header task that finished last");
      const store = (await kvBackend(app)).store;
      for (const suffix of ['.s', '.t']) assert.equal((await store.get(`celery-taskset-meta-${gid}${suffix}`)) ?? null, null, suffix);
    });

    it('chord failure: the body is not run, it fails with ChordError, and its errbacks run', async () => {
      const { app, add, fail, xsum, inlineErrback, idErrback, ran } = await setup();
      const failId = '00000000-0000-4000-8000-0000000c0fa1';
      const body = xsum.s().linkError(inlineErrback.s()).linkError(idErrback.s());
      const r = await chord([add.s(1, 1), fail.s('header broke').set({ task_id: failId }), add.s(2, 2)], body).applyAsync();
      const err = await failureOf(r.get({ timeout: 5 }));
      assert.equal(err.excType, 'ChordError');
      assert.equal(err.excModule, 'celery.exceptions');
      assert.equal(err.excMessage, `Dependency ${failId} raised TypeError('header broke')`);
      assert.equal(err.taskId, r.id);
      await waitUntil(() => ran('canvas.on_error').length === 1 && ran('canvas.on_error_id').length === 1, 'both errbacks');
      const [request, exc] = ran('canvas.on_error')[0].args as [TaskRun, Error];
      assert.equal(request.id, r.id, "the inline errback's request is the body's");
      assert.equal(exc.name, 'ChordError');
      assert.deepEqual(ran('canvas.on_error_id')[0].args, [r.id]);
      assert.equal(ran('canvas.xsum').length, 0, 'the body never ran');
      const meta = await app.asyncResult(r.id).meta();
      assert.equal(meta.status, 'FAILURE');
    });

    it('a group inside a chain: chain(a, group(b, c), d) runs as a chord, d gets [b, c]', async () => {
      const { add, mul, xsum, ran } = await setup();
      const r = await chain(add.s(1, 1), group(mul.s(10), mul.s(100)), xsum.s()).applyAsync();
      assert.equal(await r.get({ timeout: 5 }), 220);
      assert.deepEqual(ran('canvas.xsum')[0].args, [[20, 200]]);
    });

    it('a group inside a chain, then more steps: chain(a, group(b, c), d, e)', async () => {
      const { add, mul, xsum } = await setup();
      const r = await chain(add.s(1, 1), group(mul.s(10), mul.s(100)), xsum.s(), add.s(1)).applyAsync();
      assert.equal(await r.get({ timeout: 5 }), 221);
    });

    it('a group as the last step of a chain: the chain resolves to a GroupResult of the members', async () => {
      const { add, mul, sent } = await setup();
      const r = await chain(add.s(1, 1), group(mul.s(10), mul.s(100))).applyAsync();
      assert.ok(r instanceof GroupResult, `expected a GroupResult, got ${r?.constructor?.name}`);
      assert.deepEqual(await r.get({ timeout: 5 }), [20, 200]);
      const members = sent.filter((s) => s.name === 'canvas.mul');
      assert.deepEqual(
        members.map((s) => s.id),
        r.ids,
      );
      for (const m of members) assert.equal(m.message.headers.group, r.id, 'the members carry the GroupResult id');
    });

    it('a chain that starts with a group is a chord: chain(group(a, b), c)', async () => {
      const { add, xsum } = await setup();
      const r = await chain(group(add.s(1, 1), add.s(2, 2)), xsum.s()).applyAsync();
      assert.equal(await (r as AsyncResult).get({ timeout: 5 }), 6);
    });

    it('a chain inside a group: its last step is the group member', async () => {
      const { add, mul, sent } = await setup();
      const gr = await group(chain(add.s(1, 1), mul.s(10)), add.s(5, 5)).applyAsync();
      assert.deepEqual(await gr.get({ timeout: 5 }), [20, 10]);
      const mulMsg = sent.find((s) => s.name === 'canvas.mul')!;
      assert.equal(mulMsg.message.headers.group, gr.id, 'the chain step that is the member carries the group id');
    });

    it('a chain inside a chord header: the body waits for the chain to finish', async () => {
      const { add, mul, xsum, slowAdd, ran } = await setup();
      const r = await chord([chain(slowAdd.s(1, 1, 80), mul.s(10)), add.s(2, 2)], xsum.s()).applyAsync();
      assert.equal(await r.get({ timeout: 5 }), 24);
      assert.deepEqual(ran('canvas.xsum')[0].args, [[20, 4]], 'the chain result, at its index');
    });

    it('a chain as a chord body: the result is the chain\'s last step', async () => {
      const { add, xsum, mul } = await setup();
      const r = await chord([add.s(1, 1), add.s(2, 2)], chain(xsum.s(), mul.s(10))).applyAsync();
      assert.equal(await r.get({ timeout: 5 }), 60);
    });

    it('a chord with a chain body whose header fails: the result the client holds fails with ChordError', async () => {
      const { fail, xsum, mul, ran } = await setup();
      const r = await chord([fail.s('no')], chain(xsum.s(), mul.s(10))).applyAsync();
      const err = await failureOf(r.get({ timeout: 5 }));
      assert.equal(err.excType, 'ChordError');
      assert.match(err.excMessage, /^Dependency [0-9a-f-]{36} raised TypeError\('no'\)$/);
      assert.equal(ran('canvas.xsum').length, 0);
    });

    it('a chain step with its own link: the callback and the rest of the chain both run', async () => {
      const { add, mul, collect, ran } = await setup();
      const r = await chain(add.s(1, 2).link(collect.s('cb')), mul.s(10)).applyAsync();
      assert.equal(await r.get({ timeout: 5 }), 30);
      await waitUntil(() => ran('canvas.collect').length === 1, 'the callback');
      assert.deepEqual(ran('canvas.collect')[0].args, [3, 'cb']);
    });

    it("GroupResult save/restore: Celery's taskset meta, restorable by id, forgettable", async () => {
      const { app, add } = await setup();
      const gr = await group(add.s(1, 1), add.s(2, 2)).applyAsync();
      await gr.save();
      const raw = await (await kvBackend(app)).store.get(`celery-taskset-meta-${gr.id}`);
      const fixture = loadFixture('redis_groupresult_save');
      assert.equal(
        JSON.stringify(symbolic(JSON.parse(raw!), app.oid)),
        JSON.stringify(symbolic(JSON.parse(fixture.key_value), '')),
        "the stored value has Celery's shape",
      );
      assert.deepEqual(JSON.parse(raw!).result[0], [gr.id, null]);
      const restored = await app.restoreGroup<number>(gr.id);
      assert.ok(restored);
      assert.deepEqual(restored.ids, gr.ids);
      assert.deepEqual(await restored.get({ timeout: 5 }), [2, 4]);
      assert.equal(await app.restoreGroup('00000000-0000-4000-8000-000000000000'), undefined);
      // A GroupResult made from loose results saves and restores the same way.
      const loose = app.groupResult([await add.delay(3, 3), await add.delay(4, 4)]);
      await loose.save();
      assert.deepEqual((await app.restoreGroup(loose.id))!.ids, loose.ids);
      await restored.forget();
      assert.equal(await app.restoreGroup(gr.id), undefined);
      assert.equal(await gr.results[0].state(), 'PENDING', 'forget() drops the members too');
    });

    it('a signature of one app sends through that app even when another app is current', async () => {
      const { app, add } = await setup();
      const other = h.app(); // now the current app, with another default queue and no worker
      assert.notEqual(other.conf.taskDefaultQueue, app.conf.taskDefaultQueue);
      const r = await chain(add.s(1, 2), add.s(3)).applyAsync();
      assert.equal(await r.get({ timeout: 5 }), 6);
      const gr = await group(add.s(1, 1), add.s(2, 2)).applyAsync();
      assert.deepEqual(await gr.get({ timeout: 5 }), [2, 4]);
      const s: Signature = add.s(5, 5);
      assert.equal(await (await s.delay()).get({ timeout: 5 }), 10);
    });

    it('in a program that runs its own worker (not a worker process), get() inside a task is allowed', async () => {
      const { app, add } = await setup();
      const waits = app.task('canvas.waits', async () => (await add.delay(20, 22)).get({ timeout: 5 }));
      assert.equal(await (await waits.delay()).get({ timeout: 5 }), 42);
    });
  });

  describe('SyncSubtaskError in a process-pool child', function () {
    this.timeout(40_000);
    // Its own harness: the suite's afterEach would stop this worker between the two tests.
    const hp = new Harness();
    const MODULE = path.join(__dirname, 'fixtures', 'sync-subtask-tasks.ts');
    let app: App;
    let queue: string;

    before(async function () {
      this.timeout(30_000);
      const loaded = await loadTaskModule(MODULE);
      assert.ok(loaded.app);
      app = hp.adoptApp(loaded.app);
      queue = uniqueQueue('sync');
      const worker = hp.track(new Worker(app, { pool: 'process', module: MODULE, queues: [queue], concurrency: 2, log: quietLog }));
      await worker.start();
    });
    after(() => hp.cleanup());
    const send = <R>(name: string, args: unknown[]) => app.sendTask<R>(name, args, {}, { queue });

    it('result.get() inside the task fails with SyncSubtaskError', async () => {
      const r = await send('canvassync.waits', [queue, false]);
      const err = await failureOf(r.get({ timeout: 15 }));
      assert.equal(err.excType, 'SyncSubtaskError');
      assert.match(err.excMessage, /Never call result\.get\(\) within a task/);
      const g = await send('canvassync.waits_group', [queue, false]);
      assert.equal((await failureOf(g.get({ timeout: 15 }))).excType, 'SyncSubtaskError');
    });

    it('{ disableSyncSubtasks: false } lets it wait', async () => {
      const r = await send<number>('canvassync.waits', [queue, true]);
      assert.equal(await r.get({ timeout: 15 }), 42);
      const g = await send<number[]>('canvassync.waits_group', [queue, true]);
      assert.deepEqual(await g.get({ timeout: 15 }), [3, 7]);
    });
  });
});
