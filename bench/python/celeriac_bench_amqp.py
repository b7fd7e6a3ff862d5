"""Tasks and client for `npm run bench -- amqp` (bench/amqp/python-celery.ts).

Worker, run by the bench with this directory as the working directory:
  python3 -m celery -A celeriac_bench_amqp worker --pool=prefork -c 2 \
      -Q <queue> --without-mingle --without-gossip --without-heartbeat -l warning

Client (the timed enqueue), printing "<tasks> <seconds>" on stdout:
  python3 celeriac_bench_amqp.py send <count>

Settings come from the environment: CELERIAC_BENCH_BROKER (an amqp:// URL),
CELERIAC_BENCH_QUEUE, and two files the tasks append to (no result backend,
no Redis: the bench reads the files):
  CELERIAC_BENCH_DONE     one byte per finished bench.noop (its size is the count)
  CELERIAC_BENCH_STARTED  one line per bench.mark: time.monotonic_ns() at its start
"""
import os
import sys
import time

from celery import Celery

BROKER = os.environ.get("CELERIAC_BENCH_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
QUEUE = os.environ.get("CELERIAC_BENCH_QUEUE", "bench")
DONE = os.environ.get("CELERIAC_BENCH_DONE", "/tmp/celeriac-bench-amqp.done")
STARTED = os.environ.get("CELERIAC_BENCH_STARTED", "/tmp/celeriac-bench-amqp.started")

app = Celery("celeriac_bench_amqp", broker=BROKER)
app.conf.update(
    task_ignore_result=True,
    task_default_queue=QUEUE,
    accept_content=["json"],
    task_serializer="json",
    worker_hijack_root_logger=False,
)

_fds = {}


def _append(path, data):
    """One O_APPEND descriptor per pool child and file: a write is one small syscall."""
    fd = _fds.get(path)
    if fd is None:
        fd = _fds[path] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, data)


@app.task(name="bench.noop")
def noop(payload):
    """Drain: count completions; the bench watches the file's size."""
    _append(DONE, b".")


@app.task(name="bench.mark")
def mark(payload):
    """Latency: when the task body started, on CLOCK_MONOTONIC (as Node's process.hrtime)."""
    _append(STARTED, b"%d\n" % time.monotonic_ns())


def send(count):
    """Celery's own client path (apply_async, Celery's defaults: no publisher confirms)."""
    payload = "x" * 250
    with app.producer_or_acquire() as producer:
        noop.apply_async((payload,), producer=producer)  # connects and declares the queue: not timed
        start = time.perf_counter()
        for _ in range(count - 1):
            noop.apply_async((payload,), producer=producer)
        elapsed = time.perf_counter() - start
    print(count - 1, elapsed, flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "send":
        send(int(sys.argv[2]))
    else:
        sys.exit("usage: celeriac_bench_amqp.py send <count>")
