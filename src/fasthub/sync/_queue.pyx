# cython: language_level=3, boundscheck=False, wraparound=False, binding=False
"""The compiled queues: LightQueue and Queue (LifoQueue, PriorityQueue and the public module:
fasthub.sync.queue).

Compiled because a green hand-off through a Queue pair is two puts and two gets, and in Python
their calls, attribute reads and the park() call cost more than the switches themselves.

How waiting works. Items live in the container (a deque for FIFO); getters and putters that must wait
park in a WaitList each (fasthub.core._waitlist). A put() wakes the first getter, which then takes an
item itself: the item is never handed through the wake-up, so it cannot be lost if that getter dies or
times out meanwhile. A woken getter that finds the item already taken (another green thread got
there first) goes back to the FRONT of the line; one that leaves with an exception after being woken
passes the wake-up on (the WaitList does that). Putters on a full bounded queue work the same way.

Threads. Green threads of different OS threads may share a queue. With the stock containers every
change is a single C call (deque.append/popleft, list.append/pop) made from this compiled code, atomic
under the GIL, and a waiter re-checks the queue once it is queued (park's ``ready``), so no wake-up is
lost between OS threads. The unfinished-task count is C arithmetic, atomic under the GIL too. Compound
steps (the size check of a bounded put, custom or heap containers) take a small OS mutex that is never
held across a switch.

Subclassing: override ``_init(maxsize)``, ``_qsize()``, ``_put(item)``, ``_get()`` as with the
stdlib (store the container as ``self.queue``). Hooks must not block; custom hooks run under a mutex.
"""

cimport cython
from cpython.object cimport PyObject_Size

from collections import deque
from queue import Empty, Full
from _thread import allocate_lock as _os_lock

from fasthub.core._hub cimport monotonic
from fasthub.core._waitlist cimport WaitList
from fasthub.core._waitlist import ParkTimeout

# Stock hooks whose whole behaviour is one C method of the container, by that method's name (see
# _bind_hooks); fasthub.sync.queue adds LifoQueue's.
FAST_HOOKS = {}

cdef object _NOTHING = object()   # _take() found no item


def _locked(fn, mutex):
    def call(*args):
        mutex.acquire()
        try:
            return fn(*args)
        finally:
            mutex.release()
    return call


cdef int _check_timeout(object timeout) except -1:
    if timeout is not None and timeout < 0:
        raise ValueError("'timeout' must be a non-negative number")
    return 0


@cython.auto_pickle(False)
cdef class LightQueue:
    """A FIFO queue without task_done()/join() (eventlet's LightQueue): slightly cheaper puts.

    Unbounded by default; with ``maxsize`` > 0, put() blocks while the queue is full.
    """

    def __cinit__(self, *args, **kwargs):
        # Here, not in __init__: a subclass that forgets super().__init__() must not leave None
        # where the compiled code expects a WaitList.
        self._getters = WaitList()
        self._putters = WaitList()
        self._joiners = WaitList()
        self._mutex = _os_lock()

    def __init__(self, maxsize=0):
        self.maxsize = maxsize
        self._joinable = isinstance(self, Queue)
        self._init(self._maxsize)
        self._bind_hooks()

    @property
    def maxsize(self):
        """The bound: put() blocks while the queue holds this many items; 0 means unbounded."""
        return self._maxsize

    @maxsize.setter
    def maxsize(self, size):
        # The stdlib's convention: 0, None or a negative size means unbounded.
        self._maxsize = 0 if size is None or size < 0 else size

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
            method = FAST_HOOKS.get(getattr(cls, name))
            if method is None:
                break
            fast.append(getattr(self.queue, method))
        if len(fast) == 3:
            self._sizex, self._putx, self._getx = fast
            self._sized = True
        else:
            self._sized = False
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
        return 0 < self._maxsize <= self._sizex()

    def getting(self):
        """Number of green threads blocked in get() (eventlet's name)."""
        return self._getters._len

    def putting(self):
        """Number of green threads blocked in put() (eventlet's name)."""
        return self._putters._len

    def resize(self, size):
        """Change ``maxsize`` (None or 0: unbounded); putters that now fit are woken."""
        self.maxsize = size
        self._putters._unpark_all(None)

    def _has_room(self):
        return self._maxsize <= 0 or self._sizex() < self._maxsize

    # -- put ----------------------------------------------------------------------------------------

    def put(self, item, bint block=True, timeout=None):
        """Put ``item`` in the queue. If it is bounded and full, block the calling green thread until
        there is room, at most ``timeout`` seconds; raise queue.Full if there is still none (at once
        with ``block=False``). Unbounded queues never block."""
        if self._maxsize > 0:
            if self._try_put(item):
                return
            if not block:
                raise Full
            _check_timeout(timeout)
            self._wait_turn(self._putters, None if timeout is None else monotonic() + timeout,
                            self._has_room, False, item, Full, False)
            return
        self._store(item)
        if self._getters._len:
            self._getters._unpark_one(None)

    def put_nowait(self, item):
        """put(item, block=False)."""
        return self.put(item, False)

    cdef int _store(self, object item) except -1:
        # Count the task before the item is visible, so a getter in another OS thread cannot call
        # task_done() for it first; take the count back if the hook refuses the item.
        if self._joinable:
            self._unfinished += 1
        try:
            self._putx(item)
        except BaseException:
            if self._joinable:
                self._unfinished -= 1
            raise
        return 0

    cdef bint _try_put(self, object item) except -1:
        # A bounded put if there is room now; False if there is none.
        self._mutex.acquire()
        try:
            if self._maxsize > 0 and self._sizex() >= self._maxsize:
                return False
            self._store(item)
        finally:
            self._mutex.release()
        if self._getters._len:
            self._getters._unpark_one(None)
        return True

    # -- get ----------------------------------------------------------------------------------------

    def get(self, bint block=True, timeout=None):
        """Remove and return an item. If the queue is empty, block the calling green thread until an
        item is put, at most ``timeout`` seconds; raise queue.Empty if there is still none (at once
        with ``block=False``)."""
        cdef object item = self._take()
        if item is not _NOTHING:
            return item
        if not block:
            raise Empty
        if timeout is None:
            return self._wait_turn(self._getters, None, self._sizex, True, None, Empty, False)
        _check_timeout(timeout)
        return self._wait_turn(self._getters, monotonic() + timeout, self._sizex, True, None, Empty,
                               False)

    def get_nowait(self):
        """get(block=False)."""
        return self.get(False)

    cdef object _take(self):
        # The next item, or _NOTHING if the queue is empty; wakes a putter waiting for room.
        cdef object item
        if self._sized:
            if PyObject_Size(self.queue) == 0:
                return _NOTHING
        elif not self._sizex():
            return _NOTHING
        try:
            item = self._getx()
        except IndexError:
            return _NOTHING  # another OS thread took it between the check and the call
        if self._putters._len:
            self._putters._unpark_one(None)
        return item

    # -- the waiting line shared by get and put -----------------------------------------------------

    cdef object _wait_turn(self, WaitList line, object deadline, object ready, bint getting,
                           object item, object exc_class, bint front):
        # Park in ``line`` until our get (``getting``) or put of ``item`` succeeds; raise ``exc_class``
        # at ``deadline``. ``ready`` tells park() whether to leave at once: the other side, maybe in
        # another OS thread, may have acted between our failed attempt and the queueing.
        cdef object got
        while True:
            try:
                line._park(deadline, ready, None, front, self)
            except ParkTimeout:
                raise exc_class from None  # timed out (or the interpreter is shutting down)
            if getting:
                got = self._take()
                if got is not _NOTHING:
                    return got
            elif self._try_put(item):
                return None
            if deadline is not None and monotonic() >= deadline:
                raise exc_class
            front = True  # woken but beaten to it: keep our place at the head of the line

    def __repr__(self):
        return (f"<fasthub.{type(self).__name__} at {id(self):#x} maxsize={self._maxsize} "
                f"qsize={self._sizex()} getters={self._getters._len} putters={self._putters._len}>")


@cython.auto_pickle(False)
cdef class Queue(LightQueue):
    """A FIFO queue with the stdlib's API, for green threads: put/get (block, timeout),
    put_nowait/get_nowait, qsize/empty/full, task_done/join. ``maxsize`` 0 means unbounded."""

    def task_done(self):
        """Mark one item previously got as processed; join() returns when every item put is done.
        ValueError if called more times than items were put."""
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joiners._len:
            self._joiners._unpark_all(None)

    @property
    def unfinished_tasks(self):
        """Items put and not yet marked done with task_done() (the stdlib's attribute)."""
        return self._unfinished

    def join(self, timeout=None):
        """Block until every item put has been marked done with task_done(), at most ``timeout``
        seconds (gevent's extension). Returns True when all are done, False on timeout."""
        deadline = None if timeout is None else monotonic() + timeout
        while self._unfinished:
            try:
                self._joiners._park(deadline, self._all_done, None, False, self)
            except ParkTimeout:
                return self._unfinished == 0  # timed out (or the interpreter is shutting down)
        return True

    def _all_done(self):
        return self._unfinished == 0


FAST_HOOKS.update({LightQueue._qsize: "__len__", LightQueue._put: "append", LightQueue._get: "popleft"})
