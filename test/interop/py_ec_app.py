"""The Python side of test/interop/redis-events-control.test.ts: a real Celery 5.2 app.

Run with Debian's /usr/bin/python3 (python3-celery, python3-redis) as a worker
(`celery -A py_ec_app worker …`) and as the app of `celery events / inspect / control`.

  EC_BROKER_URL  broker and result backend (redis://…/15)
  EC_QUEUE       task_default_queue
"""
import os
import time

from interop_common import make_app, redis_per_process

BROKER_URL = os.environ['EC_BROKER_URL']

app = make_app('py_ec_app', BROKER_URL, task_default_queue=os.environ.get('EC_QUEUE', 'celery'))
client = redis_per_process(BROKER_URL)


@app.task(name='ec.py_add')
def py_add(x, y):
    return x + y


@app.task(name='ec.py_block', bind=True)
def py_block(self, release_key, max_s=30):
    """Runs until `release_key` exists in Redis (or max_s passes): an 'active' task to inspect."""
    deadline = time.time() + max_s
    r = client()
    while time.time() < deadline:
        if r.exists(release_key):
            return 'released'
        time.sleep(0.05)
    return 'timed out'
