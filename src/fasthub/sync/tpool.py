"""A pool of real OS threads for blocking or CPU-heavy calls (eventlet's ``tpool``).

``execute(fn, *args)`` hands ``fn`` to a worker thread and parks only the calling green thread; the
worker hands the result back with ``Waiter.switch``/``Waiter.throw``, which are safe from another OS
thread (they go through the hub's ``call_soon_threadsafe`` and its wake-up fd). Every other green thread
keeps running meanwhile.

Why the originals are captured here: once ``fasthub.patcher`` has swapped ``_thread`` and ``threading``
for green versions, a "thread" started through them is a green thread and a "lock" is a green lock.
The pool must keep real threads and real locks, so this module takes ``_thread.start_new_thread`` and
``_thread.allocate_lock`` at import time, and ``fasthub/__init__.py`` imports it before any patching
can happen.

While a job runs, the calling thread's hub counts it in ``hub.external_refs``, so the hub does not
declare LoopExit while a worker still owes it a result.
"""

import atexit
import contextvars
import os
import _thread
from collections import deque

from fasthub.core._hub import (
    BlockingInHubError, Waiter, get_hub, register_internal_thread, unregister_internal_thread,
)

# Real threads and locks, captured before anything can patch them (see the module docstring).
_start_new_thread = _thread.start_new_thread
_allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident
_getcurrent_greenlet = __import__("greenlet").getcurrent

DEFAULT_SIZE = 20

__all__ = ["execute", "to_thread", "Proxy", "set_num_threads", "get_num_threads", "killall"]


class _Job:
    __slots__ = ("fn", "args", "kwargs", "waiter")

    def __init__(self, fn, args, kwargs, waiter):
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.waiter = waiter


class _Pool:
    """The shared state of the worker threads; every field is guarded by ``mutex``."""

    def __init__(self):
        self.mutex = _allocate_lock()
        self.jobs = deque()
        self.idle = []          # wake-up locks of parked workers (held; release() wakes one)
        self.done_locks = {}    # worker ident -> lock the worker releases when it exits
        self.size = None        # resolved lazily from FASTHUB_THREADPOOL_SIZE on first use
        self.nthreads = 0
        self.stopping = False

    def limit(self):
        if self.size is None:
            self.size = _size_from_env()
        return self.size

    def submit(self, job):
        with self.mutex:
            if self.stopping:
                raise RuntimeError("fasthub.tpool: the pool is shutting down (killall() is running)")
            self.jobs.append(job)
            if self.idle:
                self.idle.pop().release()
            elif self.nthreads < self.limit():
                self._start_worker()

    def _start_worker(self):
        # Called with the mutex held. The new worker records its ident itself; count it now so a
        # burst of submissions does not start more threads than the limit.
        done = _allocate_lock()
        done.acquire()
        self.nthreads += 1
        try:
            _start_new_thread(self._work, (done,))
        except BaseException:
            self.nthreads -= 1
            raise

    def _work(self, done):
        ident = _get_ident()
        wake = _allocate_lock()
        wake.acquire()
        with self.mutex:
            self.done_locks[ident] = done
        # An idle worker can wake no hub (a running job is counted in hub.external_refs): tell the
        # hub's deadlock detector not to wait for it.
        register_internal_thread(ident)
        try:
            while True:
                with self.mutex:
                    if self.stopping or self.nthreads > self.limit():
                        return
                    if self.jobs:
                        job = self.jobs.popleft()
                    else:
                        job = None
                        self.idle.append(wake)
                if job is None:
                    wake.acquire()  # released by submit(), set_num_threads() or killall()
                    continue
                _run(job)
                job = None  # drop the result and arguments now, not at the next job
        finally:
            unregister_internal_thread(ident)
            with self.mutex:
                self.nthreads -= 1
                self.done_locks.pop(ident, None)
                if wake in self.idle:
                    self.idle.remove(wake)
            done.release()

    def wake_idle(self):
        # Called with the mutex held: every parked worker re-checks stopping and the size limit.
        while self.idle:
            self.idle.pop().release()


def _size_from_env():
    raw = os.environ.get("FASTHUB_THREADPOOL_SIZE")
    if not raw:
        return DEFAULT_SIZE
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(
            f"fasthub.tpool: FASTHUB_THREADPOOL_SIZE must be a positive integer, got {raw!r}") from None
    if n < 1:
        raise ValueError(f"fasthub.tpool: FASTHUB_THREADPOOL_SIZE must be at least 1, got {n}")
    return n


def _run(job):
    # In a worker thread. Whatever happens, the waiting green thread gets an answer.
    try:
        result = job.fn(*job.args, **job.kwargs)
    except BaseException as exc:
        _deliver(job.waiter.throw, exc)
    else:
        _deliver(job.waiter.switch, result)


def _deliver(method, value):
    try:
        method(value)
    except RuntimeError:
        # The caller's hub was destroyed (its thread ended): nobody is left to receive the result.
        pass


_pool = _Pool()
_worker_idents = _pool.done_locks  # read-only view for diagnostics: idents of live worker threads


def execute(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` in a real OS thread of the pool and return its result.

    Blocks only the calling green thread until the worker finishes; the exception ``fn`` raised is
    re-raised here with the worker's traceback. Called from a pool worker itself, runs ``fn`` inline
    (waiting on the pool from inside it could deadlock). Raises BlockingInHubError from a hub callback.
    """
    if _get_ident() in _pool.done_locks:
        return fn(*args, **kwargs)
    hub = get_hub()
    if _getcurrent_greenlet() is hub:
        raise BlockingInHubError(
            "fasthub.tpool.execute() was called from the hub (a callback, timer or link); "
            "spawn() a green thread to call it")
    waiter = Waiter(hub)
    hub.external_refs += 1
    try:
        _pool.submit(_Job(fn, args, kwargs, waiter))
        return waiter.get()
    finally:
        hub.external_refs -= 1


def to_thread(fn, *args, **kwargs):
    """Like execute(), but ``fn`` runs in a copy of the caller's contextvars context.

    The green twin of ``asyncio.to_thread``: blocks only the calling green thread, re-raises what
    ``fn`` raised.
    """
    ctx = contextvars.copy_context()
    return execute(ctx.run, fn, *args, **kwargs)


def set_num_threads(n):
    """Set the maximum number of worker threads (default 20, or FASTHUB_THREADPOOL_SIZE).

    Threads start lazily, one per job that finds no idle worker. Lowering the limit retires idle
    workers at once and busy ones after their current job. Raises ValueError unless ``n >= 1``.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"fasthub.tpool.set_num_threads: need at least 1 thread, got {n}")
    with _pool.mutex:
        _pool.size = n
        if _pool.nthreads > n:
            _pool.wake_idle()
        # Queued jobs mean every worker is busy: a raised limit gives them threads of their own now.
        for _ in range(min(n - _pool.nthreads, len(_pool.jobs))):
            _pool._start_worker()


def get_num_threads():
    """The maximum number of worker threads."""
    with _pool.mutex:
        return _pool.limit()


def killall(timeout=None):
    """Stop every worker thread and wait for them: eventlet's orderly pool shutdown.

    Jobs not yet started fail in their callers with RuntimeError; running jobs finish first. Waits at
    most ``timeout`` seconds (None: until all workers exit) and returns True if they all did. The pool
    starts again on the next execute(). Blocks the whole calling OS thread (it is for shutdown); runs
    at interpreter exit too. Raises RuntimeError from a pool worker.
    """
    if _get_ident() in _pool.done_locks:
        raise RuntimeError("fasthub.tpool.killall() cannot be called from a pool worker thread")
    with _pool.mutex:
        _pool.stopping = True
        dropped = list(_pool.jobs)
        _pool.jobs.clear()
        _pool.wake_idle()
        done_locks = list(_pool.done_locks.values())
    for job in dropped:
        _deliver(job.waiter.throw,
                 RuntimeError("fasthub.tpool.killall() stopped the pool before this job ran"))
    all_done = True
    try:
        for lock in done_locks:
            if not lock.acquire(True, -1 if timeout is None else max(timeout, 0)):
                all_done = False
    finally:
        with _pool.mutex:
            _pool.stopping = False
    return all_done


def _after_fork_in_child():
    # The child has none of the parent's threads: start from an empty pool.
    global _pool, _worker_idents
    size = _pool.size
    _pool = _Pool()
    _pool.size = size
    _worker_idents = _pool.done_locks


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _atexit_killall():
    # Idle workers exit at once; a worker stuck in a long call is not waited for forever.
    killall(timeout=5.0)


atexit.register(_atexit_killall)


class Proxy:
    """Wraps ``obj`` so that its method calls run in the thread pool (eventlet's ``tpool.Proxy``).

    ``proxy.method(*args)`` blocks only the calling green thread. Non-callable attributes are returned
    as they are, except that attributes named in ``autowrap_names`` or instances of the types in
    ``autowrap`` come back wrapped in a Proxy too (so do such method results). Pass
    ``nonblocking=True`` to a method call to run it directly in the calling thread.
    """

    def __init__(self, obj, autowrap=(), autowrap_names=()):
        self._obj = obj
        self._autowrap = tuple(autowrap)
        self._autowrap_names = frozenset(autowrap_names)

    def _wrap(self, value, name=None):
        if isinstance(value, Proxy):
            return value
        if (self._autowrap and isinstance(value, self._autowrap)) or (
                name is not None and name in self._autowrap_names):
            return Proxy(value, self._autowrap, self._autowrap_names)
        return value

    def _call(self, fn, args, kwargs, name=None):
        if kwargs.pop("nonblocking", False):
            return fn(*args, **kwargs)
        return self._wrap(execute(fn, *args, **kwargs), name)

    def __getattr__(self, name):
        if name.startswith("__") or name in ("_obj", "_autowrap", "_autowrap_names"):
            raise AttributeError(name)
        attr = getattr(self._obj, name)
        if not callable(attr):
            return self._wrap(attr, name)

        def call_in_pool(*args, **kwargs):
            return self._call(attr, args, kwargs, name)

        call_in_pool.__name__ = name
        call_in_pool.__doc__ = getattr(attr, "__doc__", None)
        return call_in_pool

    def __call__(self, *args, **kwargs):
        return self._call(self._obj, args, kwargs)

    # Container and iteration protocols go through the pool too (they may block, e.g. a DB cursor).
    def __getitem__(self, key):
        return self._call(self._obj.__getitem__, (key,), {})

    def __setitem__(self, key, value):
        execute(self._obj.__setitem__, key, value)

    def __delitem__(self, key):
        execute(self._obj.__delitem__, key)

    def __contains__(self, item):
        return execute(self._obj.__contains__, item)

    def __len__(self):
        return len(self._obj)

    def __iter__(self):
        it = iter(self._obj)
        if it is self._obj:
            return self
        return Proxy(it, self._autowrap, self._autowrap_names)

    def __next__(self):
        return self._call(next, (self._obj,), {})

    def __bool__(self):
        return bool(self._obj)

    def __eq__(self, other):
        return self._obj == (other._obj if isinstance(other, Proxy) else other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._obj)

    def __str__(self):
        return str(self._obj)

    def __repr__(self):
        return f"<fasthub.tpool.Proxy of {self._obj!r}>"
