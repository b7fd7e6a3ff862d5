/**
 * Results as Celery 5.2 stored and sent them (README §3 and §4.4): the Redis
 * backend's `celery-task-meta-<id>` values (SETEX, PUBLISH, keyspace snapshots),
 * `celery-taskset-meta-<gid>` (GroupResult.save), and rpc:// reply bodies.
 */
import { strict as assert } from 'node:assert';
import {
  decodeTaskMeta,
  encodeTaskMeta,
  exceptionMessageText,
  isExceptionInfo,
  type TaskMeta,
} from '../../src/runtime/protocol';
import { fixtureNames } from '../helpers/fixtures';
import { assertSameJson } from './json-shape';
import { capturedResults, type CapturedResult } from './captured-messages';

// Exact numbers found in test/fixtures/celery.
const EXPECTED_BY_SOURCE: Record<string, number> = {
  'SETEX task': 24,
  'PUBLISH task': 24,
  'db5 task': 22,
  'result_keys_after task': 18,
  'pubsub_messages task': 22,
  'SETEX taskset': 1,
  'PUBLISH taskset': 1,
  'messages rpc': 29,
  'firehose rpc': 29,
};
const EXPECTED_TOTAL = 170;

/** What str(exc) printed for each exception the captured tasks raised. */
const EXCEPTION_TEXT: Record<string, string> = {
  ValueError: 'boom', // interop_app.fail
  RuntimeError: 'transient', // interop_app.retry_once, the RETRY state
  TaskRevokedError: 'expired', // redis_exec_expired
};

type Kind = 'task' | 'taskset' | 'rpc';

function kindOf(r: CapturedResult): Kind {
  if (r.key === 'rpc') return 'rpc';
  return r.key.startsWith('celery-taskset-meta-') ? 'taskset' : 'task';
}

function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

function where(r: CapturedResult): string {
  return `${r.file} ${r.path}`;
}

function decodeOk(r: CapturedResult): TaskMeta {
  const meta = decodeTaskMeta(r.raw);
  assert.ok(meta, `${where(r)}: decodeTaskMeta returned undefined`);
  return meta;
}

const perFile = fixtureNames()
  .map((file) => ({ file, results: capturedResults(file) }))
  .filter((f) => f.results.length > 0);
const all = perFile.flatMap((f) => f.results);

describe('results in the Celery 5.2 captures', () => {
  it(`finds all ${EXPECTED_TOTAL} results, in every place the captures keep them`, () => {
    const bySource: Record<string, number> = {};
    for (const r of all) {
      const k = `${r.source} ${kindOf(r)}`;
      bySource[k] = (bySource[k] ?? 0) + 1;
    }
    assert.deepEqual(bySource, EXPECTED_BY_SOURCE);
    assert.equal(all.length, EXPECTED_TOTAL);
  });

  for (const { file, results } of perFile) {
    const tasks = results.filter((r) => kindOf(r) === 'task');
    const rpc = results.filter((r) => kindOf(r) === 'rpc');
    const groups = results.filter((r) => kindOf(r) === 'taskset');
    describe(file, () => {
      if (tasks.length > 0) {
        it(`decodes all ${tasks.length} celery-task-meta values and re-encodes them byte-compatible (same keys, same order)`, () => {
          for (const r of tasks) {
            const meta = decodeOk(r);
            assert.equal(`celery-task-meta-${meta.task_id}`, r.key, where(r));
            assertSameJson(JSON.parse(encodeTaskMeta(meta)), JSON.parse(r.raw), where(r));
          }
        });
      }

      if (rpc.length > 0) {
        it(`decodes all ${rpc.length} rpc:// result bodies`, () => {
          for (const r of rpc) {
            const meta = decodeOk(r);
            const body = JSON.parse(r.raw);
            // The rpc backend's own layout (celery/backends/rpc.py _to_result): no date_done,
            // task_id first. encodeTaskMeta writes the key/value layout instead, so this
            // format has no encoder in src/runtime/protocol yet.
            assert.deepEqual(Object.keys(body), ['task_id', 'status', 'result', 'traceback', 'children'], where(r));
            for (const key of Object.keys(body)) assert.deepStrictEqual(meta[key], body[key], `${where(r)}: ${key}`);
          }
        });
      }

      if (groups.length > 0) {
        it('recognises a saved GroupResult as not a task meta', () => {
          for (const r of groups) {
            // {"result": [[gid, null], [[[child, null], null], ...]]}: no status, so not a task result.
            assert.equal(decodeTaskMeta(r.raw), undefined, where(r));
            const value = JSON.parse(r.raw);
            assert.deepEqual(Object.keys(value), ['result'], where(r));
            assert.equal(`celery-taskset-meta-${value.result[0][0]}`, r.key, where(r));
          }
        });
      }
    });
  }

  it('reads the exception of every FAILURE, RETRY and REVOKED result as Python printed it', () => {
    const failed = all
      .filter((r) => kindOf(r) !== 'taskset')
      .map((r) => decodeOk(r))
      .filter((meta) => meta.status !== 'SUCCESS');
    assert.deepEqual(countBy(failed, (m) => m.status), { FAILURE: 18, RETRY: 7, REVOKED: 5 });
    for (const meta of failed) {
      assert.ok(isExceptionInfo(meta.result), `${meta.task_id}: ${JSON.stringify(meta.result)}`);
      assert.equal(exceptionMessageText(meta.result), EXCEPTION_TEXT[meta.result.exc_type], meta.task_id);
    }
  });
});

describe('encodeTaskMeta', () => {
  const base: TaskMeta = {
    status: 'SUCCESS',
    result: 4,
    traceback: null,
    children: [],
    date_done: '2026-11-24T12:48:53.517866',
    task_id: 't',
  };

  it('writes group_id before parent_id when a task has both (celery/backends/base.py _get_result_meta)', () => {
    const meta: TaskMeta = { ...base, parent_id: 'p', group_id: 'g' };
    assert.deepEqual(Object.keys(JSON.parse(encodeTaskMeta(meta))), [
      'status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id', 'task_id',
    ]);
  });

  it('keeps extended-result fields after the optional ids, with task_id last', () => {
    const meta: TaskMeta = { ...base, name: 'interop_app.add', args: [2, 2], kwargs: {}, worker: 'w@vm', retries: 0, queue: 'celery' };
    assert.deepEqual(Object.keys(JSON.parse(encodeTaskMeta(meta))), [
      'status', 'result', 'traceback', 'children', 'date_done', 'name', 'args', 'kwargs', 'worker', 'retries', 'queue', 'task_id',
    ]);
  });

  it('writes null for an undefined result', () => {
    assert.equal(JSON.parse(encodeTaskMeta({ ...base, result: undefined })).result, null);
  });
});

describe('decodeTaskMeta', () => {
  it('declines what is not a task meta', () => {
    for (const raw of ['', 'nope', 'null', '3', '[]', '"SUCCESS"', '{"result": 1}', '{"status": 1}']) {
      assert.equal(decodeTaskMeta(raw), undefined, raw);
    }
  });

  it('fills what an older or foreign writer left out', () => {
    assert.deepEqual(decodeTaskMeta('{"status": "PENDING", "task_id": "x"}'), {
      status: 'PENDING',
      result: null,
      traceback: null,
      children: [],
      date_done: null,
      task_id: 'x',
    });
  });
});

describe('exceptionMessageText', () => {
  it('prints like str(exc) for zero, one and several args', () => {
    assert.equal(exceptionMessageText({ exc_type: 'ValueError', exc_message: [], exc_module: 'builtins' }), '');
    assert.equal(exceptionMessageText({ exc_type: 'ValueError', exc_message: ['boom'], exc_module: 'builtins' }), 'boom');
    assert.equal(exceptionMessageText({ exc_type: 'KeyError', exc_message: [5], exc_module: 'builtins' }), '5');
    assert.equal(
      exceptionMessageText({ exc_type: 'ValueError', exc_message: ['a', 1, null], exc_module: 'builtins' }),
      "('a', 1, None)",
    );
    assert.equal(exceptionMessageText({ exc_type: 'Exception', exc_message: 'plain', exc_module: null }), 'plain');
  });
});
