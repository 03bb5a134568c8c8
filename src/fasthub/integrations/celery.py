"""Celery execution pool running tasks as fasthub green threads.

    export CELERY_CUSTOM_WORKER_POOL=fasthub.celery:TaskPool
    celery -A proj worker -P custom -c 500
    python -m fasthub -m celery -A proj worker -P custom -c 500      (the same, patched even earlier)

Like ``-P eventlet`` / ``-P gevent``: one worker process runs up to ``-c`` tasks at once, each in a
green thread, which suits I/O-bound tasks (HTTP calls, database queries, sleeping on rate limits).
CPU-bound tasks belong in the prefork pool.

Celery 5's ``-P`` only accepts its own names; ``custom`` means "the class named by
CELERY_CUSTOM_WORKER_POOL", and the ``celery`` command imports that class before anything else, which
is what lets this module monkey-patch before celery, kombu and your app are imported. The
``worker_pool = "fasthub.celery:TaskPool"`` setting works too, but celery imports the pool late; this
module then patches late, repairs what it can (kombu's captured ``select``) and warns.

What it does: tasks run in a ``fasthub.pool.GreenPool`` of ``-c`` green threads; ETA/countdown and
retry timers are green (``fasthub.tasks.call_later``); ``revoke(terminate=True)`` kills the task's
green thread; ``pool_grow``/``pool_shrink`` and autoscale resize the pool. kombu and celery are told
the environment is green, so the worker consumes with the blocking (green) loop that celery uses for
eventlet and gevent, and result ``get()`` calls in tasks wait green. Message acknowledgements from
task green threads are serialised, so hundreds of concurrent tasks do not exhaust kombu's Redis
connection pool.
"""

import sys
import warnings

from fasthub.core._greenthread import getcurrent, spawn as _spawn, spawn_n as _spawn_n
from fasthub.core._hub import sleep
from fasthub.patcher import LatePatchWarning, is_monkey_patched, monkey_patch

_LATE = "kombu.utils.eventio" in sys.modules and not is_monkey_patched("select")
with warnings.catch_warnings():
    # The long per-module report is about celery/kombu internals here; one clear warning follows.
    warnings.simplefilter("ignore", LatePatchWarning)
    monkey_patch()

import select as _select  # noqa: E402  (patched now)

from celery.backends.asynchronous import greenletDrainer, register_drainer  # noqa: E402
from celery.concurrency import base  # noqa: E402
from greenlet import GreenletExit  # noqa: E402
from kombu.asynchronous import timer as _timer  # noqa: E402
from kombu.utils import compat as _kombu_compat  # noqa: E402
from kombu.utils import eventio as _eventio  # noqa: E402

from fasthub.sync.event import Event  # noqa: E402
from fasthub.sync.locks import Lock  # noqa: E402
from fasthub.sync.pool import GreenPool  # noqa: E402
from fasthub.tasks import call_later  # noqa: E402

__all__ = ["TaskPool", "Timer"]

# kombu and celery pick their I/O strategy from kombu's detect_environment(): anything but 'default'
# means "green": the worker consumes with celery's blocking loop (in which our hub runs everything
# else) instead of its own epoll loop, kombu polls with select(), and result waits use a greenlet
# drainer. Its result is cached in this module global.
_kombu_compat._environment = "fasthub"
if _eventio._selectf is not _select.select:
    # kombu.utils.eventio captured select.select before we patched: a real select() would block the
    # hub for the whole poll timeout.
    _eventio._selectf = _select.select
if _LATE:
    warnings.warn(
        "fasthub.celery was imported after celery and kombu: it patched late and repaired kombu's "
        "select(), but modules of your app imported before may hold blocking originals. Load the "
        "pool first: CELERY_CUSTOM_WORKER_POOL=fasthub.celery:TaskPool with `-P custom`, or start "
        "the worker with `python -m fasthub -m celery ...`.", RuntimeWarning, stacklevel=2)


@register_drainer("fasthub")
class Drainer(greenletDrainer):
    """Result drainer for AsyncResult.get() in a green process (celery's greenlet drainer)."""

    def spawn(self, func):
        gt = _spawn(func)
        sleep(0)   # let it start draining before the caller waits on its events
        return gt

    def _event(self):
        return Event()


class _TimerRef:
    """What Timer hands back to kombu/celery for one scheduled entry."""

    __slots__ = ("call", "entry", "eta", "priority")

    def __init__(self, call, entry, eta, priority):
        self.call, self.entry, self.eta, self.priority = call, entry, eta, priority

    def cancel(self):
        self.call.cancel()
        self.entry.cancel()

    @property
    def canceled(self):
        return self.call.cancelled()


class Timer(_timer.Timer):
    """kombu's Timer with each entry run by its own green timer (fasthub.tasks.call_later) instead of
    a heap polled by the event loop: ETA/countdown tasks, retries, heartbeats."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._refs = set()

    def _enter(self, eta, priority, entry, **kwargs):
        call = call_later(max(eta - _timer.monotonic(), 0.0), entry)
        ref = _TimerRef(call, entry, eta, priority)
        self._refs.add(ref)
        call.add_done_callback(lambda _call: self._refs.discard(ref))
        return ref

    def clear(self):
        refs, self._refs = self._refs, set()
        for ref in refs:
            ref.cancel()

    def cancel(self, tref):
        tref.cancel()

    @property
    def queue(self):
        return sorted((_timer.scheduled(r.eta, r.priority, r.entry) for r in self._refs),
                      key=lambda s: (s.eta, s.priority))


def _killable(target):
    # revoke(terminate=True) kills the green thread: report it as a finished job (celery has already
    # marked the request revoked), like celery's eventlet pool, instead of a lost worker.
    def run(*args, **kwargs):
        try:
            return target(*args, **kwargs)
        except GreenletExit:
            return (False, None, None)
    return run


class TaskPool(base.BasePool):
    """Celery pool (``-P fasthub.celery:TaskPool``): each task runs in a green thread, at most
    ``limit`` (``-c``) at once; applying a task blocks the consumer green thread while all are busy."""

    Timer = Timer
    signal_safe = False
    is_green = True
    task_join_will_block = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pool = None
        self._jobs = {}    # pid (id of the green thread) -> GreenThread
        # Task acceptance and completion acknowledge the message on the broker. From hundreds of
        # green threads at once that needs as many broker connections, and kombu's Redis transport
        # allows 10 ("MaxConnectionsError: Too many connections", a classic with -P eventlet).
        # They are quick: one at a time is plenty, and keeps accept-before-done ordering.
        self._ack_lock = Lock()

    @staticmethod
    def spawn_n(fn, *args, **kwargs):
        """Used by celery's green pidbox (remote control) to run its loop beside the tasks."""
        return _spawn_n(fn, *args, **kwargs)

    def on_start(self):
        self._pool = GreenPool(self.limit)

    def on_stop(self):
        if self._pool is not None:
            self._pool.waitall()

    def on_terminate(self):
        if self._pool is not None:
            self._pool.kill(block=False)

    def on_apply(self, target, args=None, kwargs=None, callback=None, accept_callback=None, **_):
        self._pool.spawn(self._run, _killable(target), args or (), kwargs or {}, callback,
                         accept_callback)

    def _run(self, target, args, kwargs, callback, accept_callback):
        me = getcurrent()
        pid = id(me)
        self._jobs[pid] = me
        try:
            return base.apply_target(target, args, kwargs, self._serialized(callback),
                                     self._serialized(accept_callback), pid=pid)
        finally:
            self._jobs.pop(pid, None)

    def _serialized(self, fn):
        if fn is None:
            return None
        lock = self._ack_lock

        def call(*args, **kwargs):
            with lock:
                return fn(*args, **kwargs)
        return call

    def terminate_job(self, pid, signal=None):
        job = self._jobs.get(pid)
        if job is not None:
            job.kill(block=True, timeout=5.0)

    def grow(self, n=1):
        self.limit += n
        self._pool.resize(self.limit)

    def shrink(self, n=1):
        self.limit = max(1, self.limit - n)
        self._pool.resize(self.limit)

    @property
    def num_processes(self):
        return self.limit

    def _get_info(self):
        info = super()._get_info()
        info.update({
            "max-concurrency": self.limit,
            "free-threads": self._pool.free() if self._pool is not None else self.limit,
            "running-threads": self._pool.running() if self._pool is not None else 0,
        })
        return info
