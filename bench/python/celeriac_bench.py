"""Tasks for `npm run bench -- redis` (bench/redis/python-celery.ts).

Run by the bench as:
  python3 -m celery -A celeriac_bench worker --pool=prefork -c 2 \
      --without-mingle --without-gossip -l warning
with this directory as the working directory. The broker is db 14 unless
CELERIAC_BENCH_BROKER says otherwise.
"""
import os
import time

import redis
from celery import Celery

BROKER = os.environ.get("CELERIAC_BENCH_BROKER", "redis://127.0.0.1:6379/14")

app = Celery("celeriac_bench", broker=BROKER)
app.conf.update(
    task_ignore_result=True,
    task_default_queue="bench",
    accept_content=["json"],
    task_serializer="json",
)

_client = None


def _redis():
    """One connection per pool child (redis-py's pool reconnects after a fork)."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(BROKER)
    return _client


@app.task(name="bench.noop")
def noop(payload):
    """Drain: count completions; the bench polls the counter."""
    _redis().incr("bench:done")


@app.task(name="bench.mark")
def mark(payload):
    """Latency: report when the task body started, on CLOCK_MONOTONIC (as Node's process.hrtime)."""
    _redis().lpush("bench:started", time.monotonic_ns())
