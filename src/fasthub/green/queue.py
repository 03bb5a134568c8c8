"""Green ``queue``: the stdlib's Queue, LifoQueue, PriorityQueue and SimpleQueue whose blocking
``put()``/``get()`` park the green thread instead of the OS thread.

Each class is a subclass of the stdlib class (``isinstance(q, queue.Queue)`` holds) built on the green
``threading`` primitives, so it works whether or not ``threading`` itself is patched. ``Empty`` and
``Full`` are the stdlib's exceptions. ``SimpleQueue`` is the stdlib's pure-Python SimpleQueue on a
green semaphore (the C one would block the OS thread). Every other name is the stdlib's ``queue``.

For fasthub's own queues (with ``LightQueue``-style speed and eventlet/gevent names) see
``fasthub.sync.queue``; this module is the stdlib API, for ``monkey_patch(queue=True)``.
"""

import queue as _std

from fasthub.green import threading as _gthreading

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


class LifoQueue(_std.LifoQueue):
    """stdlib queue.LifoQueue (last in, first out) on green locks."""

    def __init__(self, maxsize=0):
        super().__init__(maxsize)
        _green_sync(self)


class PriorityQueue(_std.PriorityQueue):
    """stdlib queue.PriorityQueue (lowest first) on green locks."""

    def __init__(self, maxsize=0):
        super().__init__(maxsize)
        _green_sync(self)


class SimpleQueue(_std._PySimpleQueue):
    """stdlib queue.SimpleQueue (unbounded, no task tracking) whose get() parks only the green
    thread. put() never blocks."""

    def __init__(self):
        super().__init__()
        self._count = _gthreading.Semaphore(0)
