"""A real Celery 5.2 client for test/interop/redis-canvas-interop.test.ts: builds canvases that
cross between the Python and the TS worker, waits for them, prints one JSON object.

  /usr/bin/python3 py_canvas_client.py <chain|chords|link|link_error>

Environment as py_canvas_app.py. The last line of stdout is the JSON the test reads.
"""
import json
import sys
import time
import uuid

from celery import chord
from celery.result import AsyncResult

from py_canvas_app import (add, app, client, fail, mul, on_error_id, ts_add, ts_fail, ts_mul,
                           ts_on_error, ts_triple, ts_xsum, xsum)

TIMEOUT = 20


def outcome(result):
    """What a Python caller sees of a finished task, success or failure."""
    value = result.get(timeout=TIMEOUT, propagate=False)
    out = {'id': result.id, 'state': result.state}
    if result.parent is not None:  # a chord's body result: its parent is the header group
        out['parent_id'] = result.parent.id
    if isinstance(value, BaseException):
        out.update(exc_type=type(value).__name__, exc_module=type(value).__module__, exc_str=str(value))
    else:
        out['value'] = value
    return out


def by_id(task_id):
    return outcome(AsyncResult(task_id, app=app))


def scenario_chain():
    # add (Python) → triple (TS) → mul (Python)
    res = (add.s(1, 2) | ts_triple.s() | mul.s(10)).apply_async()
    out = outcome(res)
    middle = res.parent
    first = middle.parent
    out['middle'] = by_id(middle.id)
    out['first'] = by_id(first.id)
    out['ids'] = [first.id, middle.id, res.id]
    return out


def scenario_chords():
    py_header = chord([add.s(i, i) for i in range(3)], ts_xsum.s()).apply_async()
    ts_header = chord([ts_add.s(i, i) for i in range(4)], xsum.s()).apply_async()
    py_fails = chord([add.s(1, 1), fail.s('py header broke')], ts_xsum.s()).apply_async()
    ts_fails = chord([ts_add.s(1, 1), ts_fail.s('ts header broke')], xsum.s()).apply_async()
    return {
        'py_header_ts_body': outcome(py_header),
        'ts_header_py_body': outcome(ts_header),
        'py_header_fails': outcome(py_fails),
        'ts_header_fails': outcome(ts_fails),
    }


def scenario_link():
    cb_py = str(uuid.uuid4())
    cb_ts = str(uuid.uuid4())
    res = ts_add.apply_async((2, 3), link=[mul.s(10).set(task_id=cb_py), ts_mul.s(100).set(task_id=cb_ts)])
    return {'task': outcome(res), 'py_callback': by_id(cb_py), 'ts_callback': by_id(cb_ts)}


def scenario_link_error():
    eb = str(uuid.uuid4())
    res = ts_fail.apply_async(('boom 9',), link_error=[ts_on_error.s(), on_error_id.s().set(task_id=eb)])
    out = {'task': outcome(res), 'py_errback': by_id(eb)}
    # The TS errback ran inline in the TS worker: it left a note in Redis.
    deadline = time.time() + TIMEOUT
    note = None
    while note is None and time.time() < deadline:
        note = client().get('canvas:ts-errback:%s' % res.id)
        if note is None:
            time.sleep(0.05)
    out['ts_inline_errback'] = json.loads(note) if note else None
    py_note = client().get('canvas:py-errback:%s' % res.id)
    out['py_errback_note'] = json.loads(py_note) if py_note else None
    return out


SCENARIOS = {
    'chain': scenario_chain,
    'chords': scenario_chords,
    'link': scenario_link,
    'link_error': scenario_link_error,
}


def main():
    out = SCENARIOS[sys.argv[1]]()
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
