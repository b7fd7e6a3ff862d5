import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { TaskFailedError, TaskRevokedError, TimeoutError, states, type App } from '../../src/runtime';
import type { TaskMeta } from '../../src/runtime/protocol/result-meta';
import { Harness } from '../helpers/runtime-harness';

function meta(taskId: string, status: string, result: unknown, traceback: string | null = null): TaskMeta {
  return { status, result, traceback, children: [], date_done: '2030-01-01T00:00:00.000000', task_id: taskId };
}

async function store(app: App, m: TaskMeta): Promise<void> {
  await (await app.connectBackend()).storeResult(m);
}

describe('app: AsyncResult', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('reports PENDING for an id nothing is known about', async () => {
    const app = h.app();
    const result = app.asyncResult(randomUUID());
    assert.equal(await result.state(), states.PENDING);
    assert.equal(await result.ready(), false);
  });

  it('get() returns the stored value of a SUCCESS', async () => {
    const app = h.app();
    const id = randomUUID();
    await store(app, meta(id, states.SUCCESS, { total: 5 }));
    const result = app.asyncResult(id);
    assert.deepEqual(await result.get({ timeout: 1 }), { total: 5 });
    assert.equal(await result.successful(), true);
  });

  it('get() waits for a result stored after it was called', async () => {
    const app = h.app();
    const id = randomUUID();
    const pending = app.asyncResult(id).get({ timeout: 5 });
    await new Promise((r) => setTimeout(r, 20));
    await store(app, meta(id, states.STARTED, { pid: 1 }));
    await store(app, meta(id, states.SUCCESS, 'later'));
    assert.equal(await pending, 'later');
  });

  it('get() throws TaskFailedError with the stored type, message and traceback', async () => {
    const app = h.app();
    const id = randomUUID();
    const traceback = 'Traceback (most recent call last):\n  File "tasks.py", line 3, in div\nZeroDivisionError: division by zero';
    await store(app, meta(id, states.FAILURE, { exc_type: 'ZeroDivisionError', exc_message: ['division by zero'], exc_module: 'builtins' }, traceback));
    const err = await app
      .asyncResult(id)
      .get({ timeout: 1 })
      .then(
        () => assert.fail('expected get() to throw'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof TaskFailedError, `expected TaskFailedError, got ${String(err)}`);
    assert.equal(err.taskId, id);
    assert.equal(err.excType, 'ZeroDivisionError');
    assert.equal(err.excMessage, 'division by zero');
    assert.equal(err.excModule, 'builtins');
    assert.equal(err.traceback, traceback);
    assert.match(err.message, /ZeroDivisionError: division by zero/);
  });

  it('get({ propagate: false }) returns the stored exception info instead of throwing', async () => {
    const app = h.app();
    const id = randomUUID();
    const info = { exc_type: 'ValueError', exc_message: ['bad value'], exc_module: 'builtins' };
    await store(app, meta(id, states.FAILURE, info));
    assert.deepEqual(await app.asyncResult(id).get({ timeout: 1, propagate: false }), info);
    assert.equal(await app.asyncResult(id).failed(), true);
  });

  it('get() throws TimeoutError when no result comes in time', async () => {
    const app = h.app();
    const id = randomUUID();
    await assert.rejects(app.asyncResult(id).get({ timeout: 0.05 }), (err: unknown) => {
      assert.ok(err instanceof TimeoutError, `expected TimeoutError, got ${String(err)}`);
      assert.match(err.message, new RegExp(id));
      assert.match(err.message, /PENDING/);
      return true;
    });
  });

  it('get() keeps waiting through non-ready states (RETRY) until the timeout', async () => {
    const app = h.app();
    const id = randomUUID();
    await store(app, meta(id, states.RETRY, { exc_type: 'Retry', exc_message: ['later'], exc_module: 'celery.exceptions' }));
    await assert.rejects(app.asyncResult(id).get({ timeout: 0.05 }), (err: unknown) => {
      assert.ok(err instanceof TimeoutError);
      assert.match((err as Error).message, /RETRY/);
      return true;
    });
  });

  it('get() throws TaskRevokedError for a REVOKED task', async () => {
    const app = h.app();
    const id = randomUUID();
    await store(app, meta(id, states.REVOKED, { exc_type: 'TaskRevokedError', exc_message: ['expired'], exc_module: 'celery.exceptions' }));
    await assert.rejects(app.asyncResult(id).get({ timeout: 1 }), TaskRevokedError);
  });

  it('get() can be cancelled with an AbortSignal', async () => {
    const app = h.app();
    const controller = new AbortController();
    const pending = app.asyncResult(randomUUID()).get({ signal: controller.signal });
    controller.abort(new Error('user gave up'));
    await assert.rejects(pending, /user gave up/);
  });

  it('forget() removes the stored result', async () => {
    const app = h.app();
    const id = randomUUID();
    await store(app, meta(id, states.SUCCESS, 1));
    await app.asyncResult(id).forget();
    assert.equal(await app.asyncResult(id).state(), states.PENDING);
  });

  it('serializes to its task id', () => {
    const app = h.app();
    const id = randomUUID();
    assert.equal(JSON.stringify({ r: app.asyncResult(id) }), JSON.stringify({ r: id }));
    assert.equal(String(app.asyncResult(id)), id);
  });
});
