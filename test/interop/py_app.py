"""The Python side of the interop tests: a real Celery 5.2 app.

Run by test/interop/redis-interop.test.ts and amqp-interop.test.ts (through
interop-processes.ts) with Debian's /usr/bin/python3 (python3-celery, python3-redis,
python3-amqp). Configuration comes from the environment:

  INTEROP_BROKER_URL   redis://…/12 or amqp://… (and, unless INTEROP_BACKEND_URL is set, results)
  INTEROP_BACKEND_URL  result backend URL (redis://… or rpc://)
  INTEROP_REDIS_URL    where tasks count their executions (default: the broker, if it is Redis)
  INTEROP_QUEUE        task_default_queue (the queue `.delay()` sends to)
"""
import os
import time

from interop_common import make_app, redis_per_process

BROKER_URL = os.environ['INTEROP_BROKER_URL']
BACKEND_URL = os.environ.get('INTEROP_BACKEND_URL', BROKER_URL)
COUNTERS_URL = os.environ.get('INTEROP_REDIS_URL', BROKER_URL)

app = make_app('py_app', BROKER_URL, BACKEND_URL, task_default_queue=os.environ.get('INTEROP_QUEUE', 'celery'))


class InsufficientFunds(Exception):
    """A user-defined exception: TS must see its name and module (py_app)."""


counters = redis_per_process(COUNTERS_URL)


@app.task(name='proj.add')
def add(x, y):
    return x + y


@app.task(name='proj.echo')
def echo(value):
    return value


@app.task(name='proj.fail')
def fail(message):
    raise ValueError(message)


@app.task(name='proj.fail_custom')
def fail_custom(message):
    raise InsufficientFunds(message)


@app.task(name='proj.when', bind=True)
def when(self):
    """When it ran (unix seconds, measured here) and the ETA the TS client gave it."""
    return {'executed_at': time.time(), 'eta': self.request.eta}


@app.task(name='shared.record', bind=True)
def record(self, run, work_ms=0):
    """Also registered by the TS worker: counts executions per task id, and who ran it."""
    if work_ms:
        time.sleep(work_ms / 1000.0)
    r = counters()
    pipe = r.pipeline(transaction=True)
    pipe.hincrby('interop:%s' % run, self.request.id, 1)
    pipe.hset('interop:%s:who' % run, self.request.id, 'py')
    pipe.execute()
    return 'py'


# Stubs of tasks that only the TS worker runs: Python clients call them with .delay().
# (The Python worker never consumes the TS queue, so these bodies do not run in the tests.)
@app.task(name='interop.mul')
def mul(x, y):
    return x * y
