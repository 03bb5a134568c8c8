"""``eventlet.greenpool``: GreenPool, GreenPile and GreenMap with eventlet's semantics.

GreenPool is fasthub's pool (spawn, spawn_n, waitall, resize, running, free, waiting ...) with
eventlet's ``imap``/``starmap``: results come in order as they are ready, a function that raises
raises at its own item and iteration goes on, ``imap(None, ...)`` yields tuples; and ``waitall()``
from one of the pool's own green threads raises AssertionError. GreenPile follows eventlet: its
iteration waits for green threads another green thread is still spawning into it.
"""

import fasthub
from fasthub.sync import pool as _pool
from fasthub.sync.queue import LightQueue

__all__ = ["GreenPool", "GreenPile"]


def _tuple(*args):
    return args


class GreenPool(_pool.GreenPool):
    """At most ``size`` green threads at once (see fasthub.GreenPool); eventlet's imap/starmap."""

    def waitall(self):
        """Wait until every green thread of the pool has finished."""
        me = fasthub.getcurrent()
        if me in set(self.greenlets):
            raise AssertionError("Calling waitall() from within one of the GreenPool's "
                                 "greenthreads will never terminate.")
        return super().waitall()

    def starmap(self, function, iterable):
        """``function(*args)`` for each ``args`` of ``iterable``, concurrently; results in order."""
        if function is None:
            function = _tuple
        results = GreenMap(self)

        def spawn_all():
            try:
                for args in iterable:
                    results.spawn(function, *args)
            finally:
                results.done_spawning()

        fasthub.spawn_n(spawn_all)
        return results

    def imap(self, function, *iterables):
        """Like map(), concurrently in the pool; results in order. ``function`` None: tuples."""
        return self.starmap(function, zip(*iterables))


class GreenPile:
    """Green threads spawned into a pool (``GreenPile(size_or_pool)``), iterated for their results
    in spawn order."""

    def __init__(self, size_or_pool=1000):
        self.pool = size_or_pool if hasattr(size_or_pool, "spawn") else GreenPool(size_or_pool)
        self.waiters = LightQueue()
        self.counter = 0
        self.used = False

    def spawn(self, func, *args, **kw):
        """Run ``func(*args, **kw)`` in the pool (waiting for room); its result joins the pile."""
        self.used = True
        self.counter += 1
        try:
            gt = self.pool.spawn(func, *args, **kw)
        except BaseException:
            self.counter -= 1
            raise
        self.waiters.put(gt)

    def __iter__(self):
        return self

    def next(self):
        """The next result in spawn order (raising what that green thread raised)."""
        if not self.used or self.counter == 0:
            raise StopIteration()
        try:
            return self._next()
        finally:
            self.counter -= 1

    __next__ = next

    def _next(self):
        return self.waiters.get().wait()


_DONE = object()


class GreenMap(GreenPile):
    """The pile behind imap(): ends when its spawner calls done_spawning()."""

    def done_spawning(self):
        """No more green threads will be spawned into this map."""
        self.spawn(lambda: _DONE)

    def next(self):
        gt = self.waiters.get()
        if gt is _DONE:
            self.waiters.put(_DONE)
            raise StopIteration()
        value = gt.wait()
        if value is _DONE:
            self.waiters.put(_DONE)
            raise StopIteration()
        return value

    __next__ = next
