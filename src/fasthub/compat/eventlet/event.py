"""``eventlet.event``: Event, a one-shot result many green threads can wait for.

Built on fasthub's AsyncResult, with eventlet's rules: ``wait()`` returns the value sent (raising
an exception sent with ``send_exception``), or None when its ``timeout`` passes; ``send()`` a
second time and ``reset()`` of a fresh Event raise AssertionError.
"""

from fasthub.sync.event import AsyncResult

__all__ = ["Event"]


class _NotUsed:
    def __repr__(self):
        return "NOT_USED"


NOT_USED = _NotUsed()


class Event(AsyncResult):
    """eventlet's Event: send(result=None, exc=None), send_exception(*exc), wait(timeout=None),
    ready(), has_exception(), has_result(), poll(notready=None), reset()."""

    __slots__ = ("_fresh",)

    def __init__(self):
        AsyncResult.__init__(self)
        self._fresh = True

    def send(self, result=None, exc=None):
        """Wake every waiter with ``result`` (or raise ``exc`` in them); returns at once."""
        assert not self.ready(), "Trying to re-send() an already-triggered event."
        self._fresh = False
        if exc is not None and not isinstance(exc, tuple):
            exc = (exc,)
        if exc is not None:
            return AsyncResult.send_exception(self, *exc)
        return AsyncResult.set(self, result)

    def send_exception(self, *args):
        """Make waiters raise ``args`` (an exception, a class, or ``(type, value, tb)``)."""
        assert not self.ready(), "Trying to re-send() an already-triggered event."
        self._fresh = False
        return AsyncResult.send_exception(self, *args)

    def reset(self):
        """Make a triggered Event fresh again (a misfeature eventlet keeps; prefer a new Event)."""
        assert not self._fresh, "Trying to re-reset() a fresh event."
        self._fresh = True
        AsyncResult.reset(self)

    def wait(self, timeout=None):
        """Block until send(); return its value or raise its exception. With ``timeout``: return
        None if nothing was sent in time."""
        if not self._wait(timeout):
            return None
        return self.get(block=False)

    def __str__(self):
        return (f"<{type(self).__name__} at {id(self):#x} result={self._value!r} "
                f"_exc={self._exception!r} _waiters[{len(self._waiters)}]>")
