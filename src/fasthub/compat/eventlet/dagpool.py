"""``eventlet.dagpool``: DAGPool, green threads that each produce one keyed value and consume the
values of the keys they depend on, as those become available.

``spawn(key, depends, function, *args)`` runs ``function(key, results, *args)`` in a green thread;
``results`` yields ``(key, value)`` for each key of ``depends`` as soon as it has a value (the
order values arrive in, not the order of ``depends``). What the function returns becomes the value
of ``key``, unless it ``post()``-ed one itself; an exception becomes a ``PropagateError`` value,
which consumers of that key receive as an exception in turn. Values can also be preloaded
(``DAGPool(preload)``) or ``post()``-ed from outside. ``wait``/``wait_each``/``waitall`` and
``pool[key]`` block only the calling green thread, and never when the values are already there.
"""

import fasthub
from fasthub.sync.event import Event

__all__ = ["DAGPool", "Collision", "PropagateError"]

_MISSING = object()


class Collision(Exception):
    """A second value (or green thread) for a key that already has one."""


class PropagateError(Exception):
    """The value of ``key`` when its green thread raised ``exc``; raised to whoever asks for it."""

    def __init__(self, key, exc):
        Exception.__init__(self, key, exc)
        self.key = key
        self.exc = exc

    def __str__(self):
        return f"PropagateError({self.key}): {type(self.exc).__name__}: {self.exc}"


class _Coro:
    __slots__ = ("greenthread", "depends")

    def __init__(self, depends):
        self.greenthread = None
        self.depends = depends


class DAGPool:
    """A pool of keyed values and of the green threads that will produce the missing ones."""

    def __init__(self, preload={}):
        self.values = dict(preload)
        self.coros = {}
        self._changed = Event()

    # -- producing ----------------------------------------------------------------------------------

    def spawn(self, key, depends, function, *args, **kwargs):
        """Run ``function(key, results, *args, **kwargs)`` in a green thread to produce ``key``'s
        value from the values of ``depends``. Collision if ``key`` has a value or a producer."""
        if key in self.values or key in self.coros:
            raise Collision(key)
        coro = _Coro(tuple(depends))
        self.coros[key] = coro
        coro.greenthread = fasthub.spawn(self._run, key, coro, function, args, kwargs)

    def spawn_many(self, depends, function, *args, **kwargs):
        """spawn() one green thread per item of the ``{key: depends}`` mapping."""
        for key, deps in depends.items():
            self.spawn(key, deps, function, *args, **kwargs)

    def _run(self, key, coro, function, args, kwargs):
        try:
            result = function(key, self.wait_each(coro.depends), *args, **kwargs)
        except fasthub.GreenletExit:
            return
        except BaseException as e:  # the exception is the key's value: its consumers get it
            self._forget(key, coro)
            self.post(key, PropagateError(key, e), replace=True)
            return
        self._forget(key, coro)
        if key not in self.values:
            self.post(key, result)

    def _forget(self, key, coro):
        if self.coros.get(key) is coro:
            del self.coros[key]

    def post(self, key, value, replace=False):
        """Give ``key`` its value (waking those who wait for it). Collision if it has one
        (unless ``replace``) or if another green thread is to produce it."""
        coro = self.coros.get(key)
        if coro is not None and coro.greenthread is not fasthub.getcurrent():
            raise Collision(key)
        if key in self.values and not replace:
            raise Collision(key)
        self.values[key] = value
        changed, self._changed = self._changed, Event()
        changed.set()

    def kill(self, key):
        """Kill the green thread that is to produce ``key`` (KeyError if none runs)."""
        coro = self.coros.pop(key)
        coro.greenthread.kill()
        changed, self._changed = self._changed, Event()
        changed.set()

    # -- consuming ----------------------------------------------------------------------------------

    def wait_each(self, keys=_MISSING):
        """Yield ``(key, value)`` for each of ``keys`` (default: every key with a value or a
        producer) as it becomes available; raises PropagateError for a key whose producer failed."""
        return self._wait_each(keys, raising=True, wanted=None)

    def wait_each_success(self, keys=_MISSING):
        """wait_each() without the keys whose producer failed."""
        return self._wait_each(keys, raising=False, wanted=False)

    def wait_each_exception(self, keys=_MISSING):
        """``(key, PropagateError)`` for each of ``keys`` whose producer failed."""
        return self._wait_each(keys, raising=False, wanted=True)

    def _wait_each(self, keys, raising, wanted):
        if keys is _MISSING:
            keys = list(self.values) + [k for k in self.coros if k not in self.values]
        pending = list(dict.fromkeys(keys))
        while pending:
            ready = [k for k in pending if k in self.values]
            for key in ready:
                pending.remove(key)
                value = self.values[key]
                failed = isinstance(value, PropagateError)
                if failed and raising:
                    raise value
                if wanted is None or wanted == failed:
                    yield key, value
            if not pending:
                return
            if not ready:
                self._changed.wait()   # until the next post() or kill()

    def wait(self, keys=_MISSING):
        """``{key: value}`` for ``keys`` once all have values (PropagateError if one failed)."""
        return dict(self.wait_each(keys))

    def waitall(self):
        """Wait until every key of the pool has its value (a green thread that posted its own
        value early need not have finished); return them all (PropagateError for a failure)."""
        while any(key not in self.values for key in self.coros):
            self._changed.wait()
        return self.wait()

    def __getitem__(self, key):
        return self.wait((key,))[key]

    def get(self, key, default=None):
        """``key``'s value now (``default`` if none yet); raises it if it is a PropagateError."""
        value = self.values.get(key, default)
        if isinstance(value, PropagateError):
            raise value
        return value

    def keys(self):
        """The keys that have a value."""
        return tuple(self.values)

    def items(self):
        """``(key, value)`` pairs that have a value (PropagateError if one is a failure)."""
        for value in self.values.values():
            if isinstance(value, PropagateError):
                raise value
        return tuple(self.values.items())

    def running(self):
        """How many green threads of the pool have not finished."""
        return len(self.coros)

    def running_keys(self):
        """The keys whose green threads have not finished."""
        return tuple(self.coros)

    def waiting(self):
        """How many green threads still wait for some of their dependencies."""
        return sum(1 for coro in self.coros.values() if self._missing(coro))

    def waiting_for(self, key=_MISSING):
        """The dependencies ``key``'s green thread still waits for (a set; empty if it waits for
        none or ``key`` already has a value; KeyError for an unknown key), or, without ``key``, a
        ``{key: set}`` dict of every green thread that still waits."""
        if key is _MISSING:
            return {k: self._missing(c) for k, c in self.coros.items() if self._missing(c)}
        coro = self.coros.get(key)
        if coro is None:
            if key in self.values:
                return set()
            raise KeyError(key)
        return self._missing(coro)

    def _missing(self, coro):
        return {k for k in coro.depends if k not in self.values}
