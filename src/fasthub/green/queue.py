"""Green ``queue``: the stdlib's Queue, LifoQueue, PriorityQueue and SimpleQueue whose blocking
``put()``/``get()`` park the green thread instead of the OS thread.

Each class is a subclass of the stdlib class (``isinstance(q, queue.Queue)`` holds) built on the green
``threading`` primitives, so it works whether or not ``threading`` itself is patched. ``Empty`` and
``Full`` are the stdlib's exceptions. ``SimpleQueue`` replaces the C one (whose get() would block the
OS thread) with a deque and a green semaphore. Every other name is the stdlib's ``queue``.

For fasthub's own queues (with ``LightQueue``-style speed and eventlet/gevent names) see
``fasthub.sync.queue``; this module is the stdlib API, for ``monkey_patch(queue=True)``.
"""

import queue as _std
from collections import deque as _deque
from types import GenericAlias as _GenericAlias

from fasthub.green import threading as _gthreading
from fasthub.green._stdlib_like import like as _like

for _name in dir(_std):
    if not _name.startswith("__"):
        globals()[_name] = getattr(_std, _name)
del _name

__green__ = ["Queue", "LifoQueue", "PriorityQueue", "SimpleQueue"]


def _green_sync(q):
    # Replace the locks the stdlib __init__ just made with green ones; same structure.
    q.mutex = _gthreading.Lock()
    q.not_empty = _gthreading.Condition(q.mutex)
    q.not_full = _gthreading.Condition(q.mutex)
    q.all_tasks_done = _gthreading.Condition(q.mutex)


class Queue(_std.Queue):
    """stdlib queue.Queue whose blocking put()/get()/join() park only the green thread.
    Raises queue.Full / queue.Empty exactly like the stdlib."""

    def __init__(self, maxsize=0):
        super().__init__(maxsize)
        _green_sync(self)


# The stdlib's LifoQueue and PriorityQueue derive from its Queue; these derive from the green Queue
# as well, so isinstance(q, queue.Queue) holds for every green queue once queue.Queue is patched.

class LifoQueue(_std.LifoQueue, Queue):
    """stdlib queue.LifoQueue (last in, first out) on green locks."""


class PriorityQueue(_std.PriorityQueue, Queue):
    """stdlib queue.PriorityQueue (lowest first) on green locks."""


@_like(_std.SimpleQueue)
class SimpleQueue:
    """queue.SimpleQueue (unbounded, no task tracking) whose get() parks only the green thread;
    put() never blocks. Like the C type: no ``__dict__``, not picklable, subscriptable in type hints."""

    __slots__ = ("_items", "_count", "__weakref__")

    def __init__(self):
        self._items = _deque()
        self._count = _gthreading.Semaphore(0)

    def put(self, item, block=True, timeout=None):
        """Add ``item``; never blocks (``block`` and ``timeout`` are accepted for Queue's API)."""
        self._items.append(item)
        self._count.release()

    def put_nowait(self, item):
        """put(item) (it never blocks anyway)."""
        self.put(item, False)

    def get(self, block=True, timeout=None):
        """Remove and return the oldest item, parking the green thread until there is one (at most
        ``timeout`` seconds). Raises queue.Empty, or ValueError for a negative timeout."""
        if not block:
            taken = self._count.acquire(False)
        else:
            if timeout is not None and timeout < 0:
                raise ValueError("'timeout' must be a non-negative number")
            taken = self._count.acquire(True, timeout)
        if not taken:
            raise Empty
        return self._items.popleft()

    def get_nowait(self):
        """get() without waiting: queue.Empty if there is nothing."""
        return self.get(False)

    def empty(self):
        """True if the queue holds no item."""
        return not self._items

    def qsize(self):
        """The number of items in the queue."""
        return len(self._items)

    __class_getitem__ = classmethod(_GenericAlias)


# Named where it is patched in (the C type's module, _queue, is not patched): pickling the class
# then finds it, as it finds the C type.
SimpleQueue.__module__ = "queue"
