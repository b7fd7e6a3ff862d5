"""What the Python apps of the interop tests share (py_app.py, py_canvas_app.py, py_ec_app.py).

Imported from test/interop (PYTHONPATH) by Debian's /usr/bin/python3 with python3-celery and
python3-redis; each app reads its own environment and passes the URLs in.
"""
import os

import redis
from celery import Celery


def make_app(name, broker_url, backend_url=None, **conf):
    """A Celery app speaking JSON in UTC, results in `backend_url` (default: the broker)."""
    app = Celery(name, broker=broker_url, backend=backend_url or broker_url)
    app.conf.update(
        task_serializer='json',
        result_serializer='json',
        accept_content=['json'],
        enable_utc=True,
        timezone='UTC',
        worker_hijack_root_logger=True,
        **conf
    )
    return app


def redis_per_process(url):
    """A function returning this process's Redis client for `url`.

    One client per process: prefork children must not share the parent's sockets.
    """
    clients = {}

    def client():
        pid = os.getpid()
        c = clients.get(pid)
        if c is None:
            c = clients[pid] = redis.Redis.from_url(url)
        return c

    return client
