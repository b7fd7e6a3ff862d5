import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { createBackend } from '../../src/runtime/backends/create-backend';
import type { ResultBackend } from '../../src/runtime/backends/backend';
import { createLogger } from '../../src/runtime/log';
import { decodeTaskMeta, type TaskMeta } from '../../src/runtime/protocol/result-meta';
import { TimeoutError } from '../../src/runtime/errors';
import { loadFixture } from '../helpers/fixtures';
import { flushDb, rawClient, REDIS_DB, redisUrl } from '../helpers/redis';

const silent = createLogger({ level: 'silent' });

function meta(id: string, status: string, result: unknown = null): TaskMeta {
  return { status, result, traceback: null, children: [], date_done: status === 'SUCCESS' ? '2026-11-24T12:00:00.000000' : null, task_id: id };
}

describe('redis result backend (Celery layout)', () => {
  let backend: ResultBackend;
  let raw: Redis;
  const db = REDIS_DB.backend;

  before(() => flushDb(db));
  beforeEach(async () => {
    backend = await createBackend(redisUrl(db), { log: silent, resultExpires: 86_400 });
    raw = rawClient(db);
  });
  afterEach(async () => {
    await backend.close();
    raw.disconnect();
  });
  after(() => flushDb(db));

  it('stores under celery-task-meta-<id> with result_expires as TTL, as Celery JSON', async () => {
    const id = randomUUID();
    await backend.storeResult(meta(id, 'SUCCESS', 5));
    const stored = await raw.get(`celery-task-meta-${id}`);
    assert.ok(stored);
    const parsed = JSON.parse(stored);
    assert.deepEqual(Object.keys(parsed), ['status', 'result', 'traceback', 'children', 'date_done', 'task_id']);
    assert.equal(parsed.result, 5);
    assert.equal(await raw.ttl(`celery-task-meta-${id}`), 86_400);
  });

  it('honours a shorter result_expires', async () => {
    const short = await createBackend(redisUrl(db), { log: silent, resultExpires: 120 });
    const id = randomUUID();
    await short.storeResult(meta(id, 'SUCCESS', 1));
    const ttl = await raw.ttl(`celery-task-meta-${id}`);
    assert.ok(ttl > 0 && ttl <= 120, `ttl ${ttl}`);
    await short.close();
  });

  it('publishes the stored JSON on the channel of the same name (no db prefix)', async () => {
    const id = randomUUID();
    const sub = rawClient(db);
    const got = new Promise<string>((resolve) => sub.on('message', (_c, m) => resolve(m)));
    await sub.subscribe(`celery-task-meta-${id}`);
    await backend.storeResult(meta(id, 'SUCCESS', 'hello'));
    assert.equal(decodeTaskMeta(await got)?.result, 'hello');
    sub.disconnect();
  });

  it('waits for a result stored later, and resolves on the ready state only', async () => {
    const id = randomUUID();
    const waiting = backend.waitFor(id, { timeout: 10 });
    await backend.storeResult({ ...meta(id, 'RETRY'), result: { exc_type: 'X', exc_message: ['later'], exc_module: null } });
    await backend.storeResult(meta(id, 'SUCCESS', 42));
    const m = await waiting;
    assert.equal(m.status, 'SUCCESS');
    assert.equal(m.result, 42);
  });

  it('times out waiting with the last state in the message', async () => {
    const id = randomUUID();
    await assert.rejects(backend.waitFor(id, { timeout: 0.2 }), (e: unknown) => e instanceof TimeoutError && /PENDING/.test(e.message));
  });

  it('never overwrites a SUCCESS (a duplicate run keeps the first result)', async () => {
    const id = randomUUID();
    await backend.storeResult(meta(id, 'SUCCESS', 'first'));
    await backend.storeResult(meta(id, 'STARTED'));
    await backend.storeResult(meta(id, 'SUCCESS', 'second'));
    const m = await backend.getTaskMeta(id);
    assert.equal(m.status, 'SUCCESS');
    assert.equal(m.result, 'first');
  });

  it('reads many metas in one call, PENDING for unknown ids', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await backend.storeResult(meta(a, 'SUCCESS', 1));
    const metas = await backend.getTaskMetas([a, b]);
    assert.deepEqual(
      metas.map((m) => m.status),
      ['SUCCESS', 'PENDING'],
    );
  });

  it('forgets a result', async () => {
    const id = randomUUID();
    await backend.storeResult(meta(id, 'SUCCESS', 1));
    await backend.forget(id);
    assert.equal(await raw.exists(`celery-task-meta-${id}`), 0);
    assert.equal((await backend.getTaskMeta(id)).status, 'PENDING');
  });

  it('saves a group exactly as Celery GroupResult.save() does', async () => {
    const fixture = loadFixture('redis_groupresult_save');
    await backend.saveGroup(fixture.group_id, fixture.children);
    const key = `celery-taskset-meta-${fixture.group_id}`;
    assert.deepEqual(JSON.parse((await raw.get(key))!), JSON.parse(fixture.key_value));
    assert.equal(await raw.ttl(key), fixture.key_ttl);
  });

  it('restores a group saved by Python Celery', async () => {
    const fixture = loadFixture('redis_groupresult_save');
    const gid = randomUUID();
    await raw.set(`celery-taskset-meta-${gid}`, fixture.key_value);
    assert.deepEqual(await backend.restoreGroup(gid), fixture.children);
    assert.equal(await backend.restoreGroup(randomUUID()), undefined);
  });
});
