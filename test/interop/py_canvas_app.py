"""The Python side of test/interop/redis-canvas-interop.test.ts: a real Celery 5.2 app.

Run with Debian's /usr/bin/python3 (python3-celery, python3-redis) as a worker
(`celery -A py_canvas_app worker -Q <py queue> …`) and imported by py_canvas_client.py.

  CANVAS_BROKER_URL   broker and result backend (redis://…/6)
  CANVAS_PY_QUEUE     the Python worker's queue: tasks `pyc.*` are routed there
  CANVAS_TS_QUEUE     the TS worker's queue: tasks `tsc.*` are routed there

The TS worker (test/interop/ts_canvas_tasks.ts) has the same routes, so whichever side
publishes a callback, a chain step or a chord body, it reaches the right language.
"""
import json
import os

from interop_common import make_app, redis_per_process

BROKER_URL = os.environ['CANVAS_BROKER_URL']
PY_QUEUE = os.environ['CANVAS_PY_QUEUE']
TS_QUEUE = os.environ['CANVAS_TS_QUEUE']

app = make_app(
    'py_canvas_app',
    BROKER_URL,
    task_default_queue=PY_QUEUE,
    task_routes={'pyc.*': {'queue': PY_QUEUE}, 'tsc.*': {'queue': TS_QUEUE}},
)
client = redis_per_process(BROKER_URL)


@app.task(name='pyc.add')
def add(x, y):
    return x + y


@app.task(name='pyc.mul')
def mul(x, y):
    return x * y


@app.task(name='pyc.xsum')
def xsum(values):
    return sum(values)


@app.task(name='pyc.fail')
def fail(message):
    raise ValueError(message)


@app.task(name='pyc.on_error_id', bind=True)
def on_error_id(self, failed_id):
    """An old-style errback (called as a task with the failed task's id)."""
    client().set('canvas:py-errback:%s' % failed_id,
                 json.dumps({'failed_id': failed_id, 'parent_id': self.request.parent_id}), ex=300)
    return failed_id


# Stubs of the tasks only the TS worker runs, so Python clients can write ts_add.s(…).
# The Python worker never consumes the TS queue: if one of these ever ran here, it says so.
def _ts_only(name):
    def run(*args, **kwargs):
        raise RuntimeError('%s is a TS task but ran on the Python worker' % name)
    run.__name__ = name.replace('.', '_')
    return app.task(name=name)(run)


ts_add = _ts_only('tsc.add')
ts_mul = _ts_only('tsc.mul')
ts_xsum = _ts_only('tsc.xsum')
ts_triple = _ts_only('tsc.triple')
ts_fail = _ts_only('tsc.fail')


@app.task(name='tsc.on_error')
def ts_on_error(request, exc, traceback):
    """Stub of the TS errback that takes (request, exc, traceback); the TS worker runs it inline."""
    raise RuntimeError('tsc.on_error is a TS task but ran on the Python worker')
