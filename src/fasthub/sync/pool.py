"""GreenPool (bounded concurrency) and GreenPile (results in spawn order), eventlet's API plus
gevent's Pool names (join, kill, map, imap_unordered).

A pool holds at most ``size`` running green threads: spawn() takes a permit of a FIFO Semaphore,
blocking while the pool is full, and a link on the green thread gives the permit back when it ends,
however it ends (return, exception, kill, killed before it started).

Spawning from inside a full pool. A green thread of the pool that spawns into its own full pool would
wait for a slot that may only free up when it finishes itself; if every member does that the pool
deadlocks. As in eventlet, such a spawn runs the function at once in the caller (using the caller's
slot) and returns a finished handle.

imap/starmap/imap_unordered/GreenPile catch the function's exception inside the green thread and
raise it in the consumer at that result's position, so a failing item is reported once, to the code
that iterates, not also to the hub's error handler. They start at most ``size`` calls ahead of the
consumer, so an endless iterable does not fill memory.
"""

from collections import deque

from greenlet import GreenletExit

from fasthub.core._greenthread import getcurrent, spawn as _spawn
from fasthub.sync.event import Event
from fasthub.sync.locks import Semaphore
from fasthub.sync.queue import LightQueue

__all__ = ["GreenPool", "GreenPile"]


def _capture(function, args, kwargs=None):
    # Run in a pool green thread for imap/GreenPile: return (True, value) or (False, exception).
    try:
        if kwargs:
            return (True, function(*args, **kwargs))
        return (True, function(*args))
    except Exception as e:
        return (False, e)


def _capture_into(results, function, args):
    # imap_unordered: always deliver something, even when killed, so the consumer never waits for
    # a result that will not come.
    try:
        value = function(*args)
    except Exception as e:
        results.put((False, e))
    except BaseException as e:
        results.put((False, e))
        raise
    else:
        results.put((True, value))


def _unwrap(outcome):
    ok, value = outcome
    if ok:
        return value
    raise value


class _InlineResult:
    """What GreenPool.spawn() returns when it ran the function in the caller (see the module
    docstring): an already finished green thread with the GreenThread interface."""

    __slots__ = ("value",)

    dead = True
    started = True
    exception = None

    def __init__(self, value):
        self.value = value

    def ready(self):
        return True

    def successful(self):
        return True

    def wait(self):
        return self.value

    def get(self, block=True, timeout=None):
        return self.value

    def join(self, timeout=None):
        return True

    def link(self, func, *args, **kwargs):
        func(self, *args, **kwargs)

    def unlink(self, func, *args, **kwargs):
        return False

    def kill(self, exception=GreenletExit, block=True, timeout=None):
        pass

    def cancel(self, *throw_args):
        return False

    def __bool__(self):
        return False

    def __repr__(self):
        return f"<fasthub inline pool result {self.value!r}>"


class GreenPool:
    """Run at most ``size`` green threads at once.

    ``spawn()`` blocks the caller while the pool is full. ``waitall()``/``join()`` wait for the
    running ones; ``imap``/``starmap``/``map``/``imap_unordered`` run a function over iterables with
    bounded concurrency.
    """

    def __init__(self, size=1000):
        if size < 0:
            raise ValueError(f"fasthub: GreenPool size must be >= 0, not {size!r}")
        self.size = size
        self._sem = Semaphore(size)
        self._running = {}  # GreenThread -> None, in spawn order
        self._idle = Event()
        self._idle.set()

    # -- spawning -----------------------------------------------------------------------------------

    def spawn(self, function, *args, **kwargs):
        """Run ``function(*args, **kwargs)`` in a new green thread of the pool; return its
        GreenThread. Blocks while the pool is full (FIFO). Called by a member of a full pool, runs
        the function at once in the caller instead (its exception propagates) and returns a finished
        handle, as eventlet does, to avoid a deadlock."""
        sem = self._sem
        if sem._value <= 0 and self._running and getcurrent() in self._running:
            return _InlineResult(function(*args, **kwargs))
        sem.acquire()
        try:
            gt = _spawn(function, *args, **kwargs)
        except BaseException:
            sem.release()
            raise
        self._running[gt] = None
        self._idle.clear()
        gt.link(self._on_done)
        return gt

    def spawn_n(self, function, *args, **kwargs):
        """Like spawn(), returning None (eventlet's fire-and-forget name)."""
        self.spawn(function, *args, **kwargs)

    def _on_done(self, gt):
        # Runs when a member ends (in its green thread, or in whoever killed it before it started).
        self._running.pop(gt, None)
        self._sem.release()
        if not self._running:
            self._idle.set()

    # -- state --------------------------------------------------------------------------------------

    def running(self):
        """Number of green threads of the pool not finished yet."""
        return len(self._running)

    def free(self):
        """Number of green threads that could be spawned now without blocking (may be negative just
        after a resize() below the running count)."""
        return self._sem.counter

    free_count = free  # gevent's name

    def full(self):
        """True if spawn() would block."""
        return self._sem.counter <= 0

    def waiting(self):
        """Number of green threads blocked in spawn() waiting for a free slot."""
        return self._sem.waiting()

    @property
    def coroutines_running(self):
        """The set of running GreenThreads (eventlet's attribute; a copy)."""
        return set(self._running)

    @property
    def greenlets(self):
        """The running GreenThreads (gevent's attribute; a copy)."""
        return set(self._running)

    def __len__(self):
        return len(self._running)

    def __contains__(self, gt):
        return gt in self._running

    def resize(self, new_size):
        """Change the size. Growing wakes spawners blocked on a full pool at once; shrinking lets the
        running green threads finish, and spawn() blocks until fewer than ``new_size`` run."""
        if new_size < 0:
            raise ValueError(f"fasthub: GreenPool size must be >= 0, not {new_size!r}")
        delta = new_size - self.size
        self.size = new_size
        self._sem._adjust(delta)

    # -- waiting ------------------------------------------------------------------------------------

    def _check_not_member(self, what):
        if self._running and getcurrent() in self._running:
            raise RuntimeError(f"fasthub: {what}() called from one of the pool's own green threads "
                               f"would wait for itself forever")

    def waitall(self):
        """Block until no green thread of the pool is running. RuntimeError if called from one."""
        self._check_not_member("waitall")
        self._idle.wait()

    def join(self, timeout=None, raise_error=False):
        """Block until no green thread of the pool is running, at most ``timeout`` seconds; True if
        the pool is empty. With ``raise_error``, raise the exception of the first (in spawn order)
        green thread that was running at the call and failed (gevent's Pool.join)."""
        self._check_not_member("join")
        members = list(self._running) if raise_error else ()
        empty = self._idle.wait(timeout)
        for gt in members:
            if gt.dead and not gt.successful():
                raise gt.exception
        return empty

    def kill(self, exception=GreenletExit, block=True, timeout=None):
        """Kill every running green thread of the pool (except the caller, if it is one) with
        ``exception``; with ``block``, wait until they are gone, at most ``timeout`` seconds."""
        me = getcurrent()
        members = [gt for gt in self._running if gt is not me]
        for gt in members:
            gt.kill(exception, block=False)
        if block:
            from fasthub.core._greenthread import joinall
            joinall(members, timeout=timeout)

    # -- mapping ------------------------------------------------------------------------------------

    def imap(self, function, *iterables):
        """Like the builtin map(), but each call runs in a green thread of the pool; yields results in
        input order as they are ready, raising a call's exception at its position. Lazy: calls start
        as the consumer iterates, at most ``size`` ahead."""
        return self._map_gen(function, zip(*iterables))

    def starmap(self, function, iterable):
        """Like itertools.starmap(), concurrently: ``function(*args)`` for each args in iterable,
        results in order (see imap())."""
        return self._map_gen(function, iterable)

    def _map_gen(self, function, arg_tuples):
        pending = deque()
        limit = max(self.size, 1)
        for args in arg_tuples:
            if len(pending) >= limit:
                yield _unwrap(pending.popleft().wait())
            pending.append(self.spawn(_capture, function, args))
        while pending:
            yield _unwrap(pending.popleft().wait())

    def map(self, function, *iterables):
        """list(imap(function, *iterables)) (gevent's Pool.map): blocks until all calls are done."""
        return list(self.imap(function, *iterables))

    def imap_unordered(self, function, *iterables):
        """Like imap(), but yields each result as soon as it is ready, in completion order."""
        results = LightQueue()
        limit = max(self.size, 1)
        outstanding = 0
        for args in zip(*iterables):
            if outstanding >= limit:
                outstanding -= 1
                yield _unwrap(results.get())
            self.spawn(_capture_into, results, function, args)
            outstanding += 1
        while outstanding:
            outstanding -= 1
            yield _unwrap(results.get())

    def __repr__(self):
        return (f"<fasthub.GreenPool at {id(self):#x} size={self.size} running={len(self._running)} "
                f"waiting={self._sem.waiting()}>")


class GreenPile:
    """Spawn calls into a pool and iterate over their results in spawn order.

    ``GreenPile(size_or_pool=1000)``: a new GreenPool of that size, or an existing GreenPool to
    share. ``spawn()`` blocks while the pool is full; iterating yields each result (raising its
    exception) and stops once every spawned call has been consumed.
    """

    def __init__(self, size_or_pool=1000):
        if isinstance(size_or_pool, GreenPool):
            self.pool = size_or_pool
        else:
            self.pool = GreenPool(size_or_pool)
        self._pending = deque()
        self.used = False

    def spawn(self, function, *args, **kwargs):
        """Run ``function(*args, **kwargs)`` in the pool; its result comes out of the iteration."""
        self.used = True
        self._pending.append(self.pool.spawn(_capture, function, args, kwargs))

    @property
    def counter(self):
        """Number of spawned results not yet consumed (eventlet's attribute)."""
        return len(self._pending)

    def __iter__(self):
        return self

    def __next__(self):
        """The next result in spawn order (waits for it); StopIteration when none is pending."""
        if not self._pending:
            raise StopIteration
        return _unwrap(self._pending.popleft().wait())

    next = __next__

    def __len__(self):
        return len(self._pending)

