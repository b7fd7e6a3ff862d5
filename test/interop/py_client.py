"""A real Celery 5.2 client for the interop tests: sends to the TS worker, prints JSON.

  /usr/bin/python3 py_client.py <scenario> [run-id]

with py_app.py's environment (INTEROP_QUEUE is the TS worker's queue).
The last line of stdout is one JSON object; the test reads it.
"""
import json
import sys
import time
from datetime import datetime, timedelta, timezone

from celery import states
from celery.backends.rpc import RPCBackend

from py_app import app, counters, mul

QUEUE = app.conf.task_default_queue
TIMEOUT = 20


def outcome(result):
    """What a Python caller sees of a finished task, success or failure."""
    value = result.get(timeout=TIMEOUT, propagate=False)
    out = {'id': result.id, 'state': result.state, 'date_done': str(result.date_done)}
    if isinstance(value, BaseException):
        out.update(
            exc_type=type(value).__name__,
            exc_module=type(value).__module__,
            exc_str=str(value),
            is_exception=True,
            has_traceback=bool(result.traceback),
        )
    else:
        out['value'] = value
    return out


def scenario_call():
    unicode_value = {'s': 'h\u00e9llo \u2713 \U0001F600', 'f': 1.5, 'n': None, 'nested': [1, [2, {'k': True}]], 'big': 2 ** 53}
    calls = {
        'send_task_args': app.send_task('interop.add', args=[2, 3], queue=QUEUE),
        'send_task_kwargs': app.send_task('interop.add', kwargs={'x': 4, 'y': 5}, queue=QUEUE),
        'delay_args': mul.delay(6, 7),
        'delay_kwargs': mul.delay(x=3, y=4),
        'echo': app.send_task('interop.echo', args=[unicode_value], queue=QUEUE),
    }
    out = {name: outcome(r) for name, r in calls.items()}
    out['echo_sent'] = unicode_value
    return out


def scenario_fail():
    calls = {
        'type_error': app.send_task('interop.fail_type', args=['bad input: 42'], queue=QUEUE),
        'custom': app.send_task('interop.fail_custom', args=['card declined'], queue=QUEUE),
        'plain': app.send_task('interop.fail_plain', args=['plain failure'], queue=QUEUE),
    }
    return {name: outcome(r) for name, r in calls.items()}


def scenario_retry(run):
    r = app.send_task('interop.retry_once', args=[run, 'done after retry'], queue=QUEUE)
    # Watch the states go by (the RETRY meta must decode on the Python side too), then get().
    # One read per turn: r.state, r.info and r.ready() each read anew, and the final state
    # arriving between two of them would go unrecorded or pair RETRY with the final value.
    seen = []
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        meta = r.backend.get_task_meta(r.id)
        state, info = meta['status'], meta['result']
        if not seen or seen[-1]['state'] != state:
            seen.append({'state': state, 'info_type': type(info).__name__ if info is not None else None,
                         'info_str': str(info) if info is not None else None})
        if state in states.READY_STATES:
            break
        time.sleep(0.02)
    out = outcome(r)
    out['states_seen'] = seen
    out['runs'] = int(counters().hget('interop:%s:retry' % run, r.id) or 0)
    out['retries_seen'] = [int(v) for v in counters().lrange('interop:%s:retries:%s' % (run, r.id), 0, -1)]
    return out


def scenario_eta():
    now = datetime.now(timezone.utc)
    eta = now + timedelta(seconds=2)
    by_eta = app.send_task('interop.when', queue=QUEUE, eta=eta)
    sent_countdown = time.time()
    by_countdown = app.send_task('interop.when', queue=QUEUE, countdown=2)
    return {
        'eta': dict(outcome(by_eta), eta_sent=eta.timestamp()),
        'countdown': dict(outcome(by_countdown), sent_at=sent_countdown, countdown=2),
    }


def drop_reply_queue():
    """rpc:// only: delete this client's reply queue, so that a run leaves nothing behind.

    Celery's own client can strand it: polling `.state` reads the reply queue with basic.get
    and requeues the latest state, and once that state is final `.get()` answers from its
    cache without ever consuming. A queue that never had a consumer is not auto-deleted,
    so it would sit (with that message) until its x-expires, a day later.
    """
    if isinstance(app.backend, RPCBackend):
        with app.connection_for_write() as conn:
            app.backend.binding(conn.default_channel).delete()


def main():
    scenario = sys.argv[1]
    if scenario == 'call':
        out = scenario_call()
    elif scenario == 'fail':
        out = scenario_fail()
    elif scenario == 'retry':
        out = scenario_retry(sys.argv[2])
    elif scenario == 'eta':
        out = scenario_eta()
    else:
        raise SystemExit('unknown scenario %r' % scenario)
    drop_reply_queue()
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
