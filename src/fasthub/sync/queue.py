"""Queues for green threads: Queue, LifoQueue, PriorityQueue (the stdlib's API) and LightQueue.

They raise the stdlib's own ``queue.Empty`` and ``queue.Full``, so ``except queue.Empty:`` keeps
working. ``maxsize`` follows the stdlib: 0 (or None, or negative) means unbounded. eventlet's
``Queue(0)`` was a rendezvous channel; here, as in gevent >= 1.1 and the stdlib, it is unbounded.

How waiting works. Items live in the container (a deque for FIFO); getters and putters that must wait
park in a WaitList each (fasthub.core._waitlist). A put() wakes the first getter, which then takes an item
itself: the item is never handed through the wake-up, so it cannot be lost if that getter dies or
times out meanwhile. A woken getter that finds the item already taken (another green thread got
there first) goes back to the FRONT of the line; one that leaves with an exception after being woken
passes the wake-up on (the WaitList does that). Putters on a full bounded queue work the same way.

Threads. Green threads of different OS threads may share a queue. The stock containers are changed
with single C calls (deque.append/popleft, list.append/pop), atomic under the GIL, and a waiter
re-checks the queue once it is queued (park's ``ready``), so no wake-up is lost between OS threads. Compound steps (the
size check of a bounded put, the unfinished-task count, custom or heap containers) take a small OS
mutex that is never held across a switch.

Subclassing: override ``_init(maxsize)``, ``_qsize()``, ``_put(item)``, ``_get()`` as with the
stdlib (store the container as ``self.queue``). Hooks must not block; custom hooks run under a mutex.
"""

import heapq
from collections import deque
from queue import Empty, Full
from _thread import allocate_lock as _os_lock

from fasthub.core._hub import monotonic
from fasthub.core._waitlist import ParkTimeout, WaitList

__all__ = ["Queue", "LifoQueue", "PriorityQueue", "LightQueue", "Empty", "Full"]


def _locked(fn, mutex):
    def call(*args):
        mutex.acquire()
        try:
            return fn(*args)
        finally:
            mutex.release()
    return call


def _check_timeout(timeout):
    if timeout is not None and timeout < 0:
        raise ValueError("'timeout' must be a non-negative number")


class LightQueue:
    """A FIFO queue without task_done()/join() (eventlet's LightQueue): slightly cheaper puts.

    Unbounded by default; with ``maxsize`` > 0, put() blocks while the queue is full.
    """

    _joinable = False

    def __init__(self, maxsize=0):
        if maxsize is None or maxsize < 0:
            maxsize = 0
        self.maxsize = maxsize
        self._init(maxsize)
        self._getters = WaitList()
        self._putters = WaitList()
        self._mutex = _os_lock()
        # Unfinished tasks, counted as the length of a deque of None: append() and pop() are single
        # C calls, atomic across OS threads without a mutex (an int += is not guaranteed to be).
        self._tasks = deque()
        self._joiners = WaitList()
        # What a put() calls to count an unfinished task (None for a LightQueue): an instance
        # attribute, which the adaptive interpreter reads faster than the class's _joinable.
        self._count_task = self._tasks.append if self._joinable else None
        self._bind_hooks()

    # -- the container (stdlib-style hooks) --------------------------------------------------------

    def _init(self, maxsize):
        self.queue = deque()

    def _qsize(self):
        return len(self.queue)

    def _put(self, item):
        self.queue.append(item)

    def _get(self):
        return self.queue.popleft()

    def _bind_hooks(self):
        # The hot paths call self._sizex/_putx/_getx. With the stock hooks they are the container's
        # own C methods (no Python frame, atomic under the GIL); with any custom hook they are the
        # hooks themselves, run under a mutex of their own as the stdlib runs them under its lock.
        cls = type(self)
        fast = []
        for name in ("_qsize", "_put", "_get"):
            factory = _FAST_HOOKS.get(getattr(cls, name))
            if factory is None:
                break
            fast.append(factory(self.queue))
        if len(fast) == 3:
            self._sizex, self._putx, self._getx = fast
        else:
            hook_mutex = _os_lock()
            self._sizex = _locked(self._qsize, hook_mutex)
            self._putx = _locked(self._put, hook_mutex)
            self._getx = _locked(self._get_nonempty, hook_mutex)

    def _get_nonempty(self):
        # A custom _get() is only called on a non-empty queue (the stdlib's contract); _getx, like
        # the stock containers' pop methods, raises IndexError instead.
        if not self._qsize():
            raise IndexError("get from an empty queue")
        return self._get()

    # -- size ---------------------------------------------------------------------------------------

    def qsize(self):
        """Number of items in the queue."""
        return self._sizex()

    def empty(self):
        """True if the queue holds no item."""
        return not self._sizex()

    def full(self):
        """True if the queue is bounded and holds ``maxsize`` items."""
        return 0 < self.maxsize <= self._sizex()

    def getting(self):
        """Number of green threads blocked in get() (eventlet's name)."""
        return len(self._getters)

    def putting(self):
        """Number of green threads blocked in put() (eventlet's name)."""
        return len(self._putters)

    def resize(self, size):
        """Change ``maxsize`` (None or 0: unbounded); putters that now fit are woken."""
        if size is None or size < 0:
            size = 0
        self.maxsize = size
        self._putters.unpark_all()

    # -- put ----------------------------------------------------------------------------------------

    def put(self, item, block=True, timeout=None):
        """Put ``item`` in the queue. If it is bounded and full, block the calling green thread until
        there is room, at most ``timeout`` seconds; raise queue.Full if there is still none (at once
        with ``block=False``). Unbounded queues never block."""
        if self.maxsize > 0:
            return self._put_bounded(item, block, timeout)
        count_task = self._count_task
        if count_task is not None:
            # Count before the item is visible, so a getter in another OS thread cannot call
            # task_done() for it first.
            count_task(None)
        putx = self._putx  # (a local: see get())
        putx(item)
        if self._getters:
            self._getters.unpark_one()

    def put_nowait(self, item):
        """put(item, block=False)."""
        return self.put(item, False)

    def _try_put(self, item):
        m = self._mutex
        m.acquire()
        try:
            if self.maxsize > 0 and self._sizex() >= self.maxsize:
                return False
            if self._joinable:
                self._tasks.append(None)
            self._putx(item)
        finally:
            m.release()
        if self._getters:
            self._getters.unpark_one()
        return True

    def _put_bounded(self, item, block, timeout):
        if self._try_put(item):
            return
        if not block:
            raise Full
        _check_timeout(timeout)
        deadline = None if timeout is None else monotonic() + timeout
        self._wait_turn(self._putters, deadline, lambda: self._try_put(item), Full)

    # -- get ----------------------------------------------------------------------------------------

    def get(self, block=True, timeout=None):
        """Remove and return an item. If the queue is empty, block the calling green thread until an
        item is put, at most ``timeout`` seconds; raise queue.Empty if there is still none (at once
        with ``block=False``)."""
        # The hot path: the hooks are read into locals because a call through a method stored on the
        # instance is never specialized by CPython's adaptive interpreter (3.11+); a plain attribute
        # read is.
        sizex = self._sizex
        if sizex():
            getx = self._getx
            try:
                item = getx()
            except IndexError:
                pass  # another OS thread took it between the check and the call
            else:
                if self._putters:
                    self._putters.unpark_one()
                return item
        if not block:
            raise Empty
        if timeout is not None:
            _check_timeout(timeout)
            return self._wait_turn(self._getters, monotonic() + timeout, self._try_get, Empty)
        # The common wait (no timeout), inlined: park until a put() wakes us (or an item is there
        # once we are queued), then take the item. This path is half of a green hand-off through a
        # Queue: every Python-level call counts.
        try:
            self._getters.park(None, sizex, None, False, self)
        except ParkTimeout:
            raise Empty from None  # interpreter shutdown: cannot wait
        getx = self._getx
        try:
            item = getx()   # woken for an item: it is there unless another getter was quicker
        except IndexError:
            pass
        else:
            if self._putters:
                self._putters.unpark_one()
            return item
        # Another green thread took the item first: wait again, at the head of the line.
        return self._wait_turn(self._getters, None, self._try_get, Empty, True)

    def get_nowait(self):
        """get(block=False)."""
        return self.get(False)

    def _try_get(self):
        # Returns [item] or None.
        if not self._sizex():
            return None
        try:
            item = self._getx()
        except IndexError:
            return None
        if self._putters:
            self._putters.unpark_one()
        return [item]

    # -- the waiting line shared by get and put -----------------------------------------------------

    def _wait_turn(self, line, deadline, attempt, exc_class, front=False):
        """Park in ``line`` until ``attempt()`` succeeds; raise ``exc_class`` at ``deadline``.

        ``attempt()`` returns a true value on success: for get(), a one-item list holding the item;
        for put(), True. park() tries it once we are queued (the other side, maybe in another OS
        thread, may have acted between our failed attempt and the queueing) and returns None when
        woken.
        """
        while True:
            try:
                done = line.park(deadline, attempt, None, front, self)
            except ParkTimeout:
                raise exc_class from None  # timed out (or the interpreter is shutting down)
            if done is None:  # woken: our turn to try
                done = attempt()
            if done:
                return done[0] if type(done) is list else None
            if deadline is not None and monotonic() >= deadline:
                raise exc_class
            front = True  # woken but beaten to it: keep our place at the head of the line

    def __repr__(self):
        return (f"<fasthub.{type(self).__name__} at {id(self):#x} maxsize={self.maxsize} "
                f"qsize={self._sizex()} getters={len(self._getters)} putters={len(self._putters)}>")


class Queue(LightQueue):
    """A FIFO queue with the stdlib's API, for green threads: put/get (block, timeout),
    put_nowait/get_nowait, qsize/empty/full, task_done/join. ``maxsize`` 0 means unbounded."""

    _joinable = True

    def task_done(self):
        """Mark one item previously got as processed; join() returns when every item put is done.
        ValueError if called more times than items were put."""
        try:
            self._tasks.pop()
        except IndexError:
            raise ValueError("task_done() called too many times") from None
        if not self._tasks and self._joiners:
            self._joiners.unpark_all()

    @property
    def unfinished_tasks(self):
        """Items put and not yet marked done with task_done() (the stdlib's attribute)."""
        return len(self._tasks)

    def join(self, timeout=None):
        """Block until every item put has been marked done with task_done(), at most ``timeout``
        seconds (gevent's extension). Returns True when all are done, False on timeout."""
        deadline = None if timeout is None else monotonic() + timeout
        while self._tasks:
            try:
                self._joiners.park(deadline, self._all_done, None, False, self)
            except ParkTimeout:
                return not self._tasks  # timed out (or the interpreter is shutting down)
        return True

    def _all_done(self):
        return not self._tasks


class LifoQueue(Queue):
    """A last-in, first-out Queue."""

    def _init(self, maxsize):
        self.queue = []

    def _get(self):
        return self.queue.pop()


class PriorityQueue(Queue):
    """A Queue that returns the lowest item first (``heapq`` order); put (priority, data) tuples."""

    def _init(self, maxsize):
        self.queue = []

    def _put(self, item):
        heapq.heappush(self.queue, item)

    def _get(self):
        return heapq.heappop(self.queue)


# Stock hooks whose behaviour is exactly one C method of the container (see _bind_hooks).
_FAST_HOOKS = {
    LightQueue._qsize: lambda q: q.__len__,
    LightQueue._put: lambda q: q.append,
    LightQueue._get: lambda q: q.popleft,
    LifoQueue._get: lambda q: q.pop,
}
