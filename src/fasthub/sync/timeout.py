"""Timeout: raise an exception in a green thread after some seconds, wherever it waits.

``Timeout`` is a BaseException (as in eventlet and gevent), so ``except Exception`` in user code does
not swallow it by accident. It starts when created (eventlet) and ``start()`` is harmless when it is
already running (so gevent code that calls ``Timeout(...).start()`` works unchanged).

How it fires. The timer lives in the hub's timer heap and runs in the hub. It throws into the raw
greenlet that started the Timeout, but green threads run on reused worker greenlets (see
_greenthread.pyx), so by the time the timer fires that worker may be running another green thread, or
none. The timer therefore remembers the GreenThread as well and throws only if the worker still runs
it; a Timeout left pending by a finished green thread is dropped, never delivered to a stranger.

The throw lands in whatever the green thread is parked in (a Waiter, a socket wait, a sleep); every
fasthub wait cleans up its registration when an exception passes through it.
"""

import greenlet as _greenlet_mod

from fasthub.core._greenthread import Worker
from fasthub.core._hub import BlockingInHubError, get_hub, monotonic

__all__ = ["Timeout", "with_timeout", "WaitTimeout"]

_getcurrent = _greenlet_mod.getcurrent
_NONE = object()


class Timeout(BaseException):
    """Raise an exception in the current green thread after ``seconds`` (None: never).

    ``exception``: None (or True, as eventlet spells it) raises this Timeout itself; False raises it
    too, but a ``with Timeout(...)`` block then exits silently; an exception class or instance is raised instead of the Timeout.

    Use it as a context manager (``with Timeout(5): ...``) or call ``cancel()`` when the guarded work
    is done. Nested timeouts are independent: each ``with`` block swallows (with False) or lets
    through only its own Timeout. Creating one inside a hub callback raises BlockingInHubError.
    """

    #: eventlet's marker (``eventlet.timeout.is_timeout()`` looks for it).
    is_timeout = True

    def __init__(self, seconds=None, exception=None, ref=True):
        # ``ref`` is accepted for gevent compatibility: fasthub timers always count as pending work
        # for the hub (a wait guarded only by a Timeout ends with the Timeout, not LoopExit).
        BaseException.__init__(self, seconds)
        self.seconds = seconds
        self.exception = exception
        self._timer = None
        self._greenlet = None
        self._task = None
        self.start()

    # -- arming -------------------------------------------------------------------------------------

    def start(self):
        """Arm the timer for the current green thread; does nothing if it is already pending or if
        ``seconds`` is None. Returns self."""
        if self.seconds is None or (self._timer is not None and self._timer.pending):
            return self
        try:
            g = _getcurrent()
            hub = get_hub()
        except RuntimeError:
            # Interpreter shutdown: greenlet refuses getcurrent(). Nothing can time out any more;
            # leave the Timeout unarmed rather than breaking the shutdown path that made it.
            return self
        if g is hub:
            raise BlockingInHubError(
                "fasthub: a Timeout cannot be started in the hub (a callback, timer or link "
                "function); spawn() a green thread and use the Timeout there")
        self._greenlet = g
        self._task = g.task if type(g) is Worker else None
        self._timer = hub.timers.schedule(monotonic() + self.seconds, self._fire, None)
        return self

    @classmethod
    def start_new(cls, timeout=None, exception=None, ref=True):
        """Return a started Timeout: ``timeout`` itself if it is a Timeout (started if needed), else
        ``Timeout(timeout, exception)`` (gevent's name)."""
        if isinstance(timeout, Timeout):
            if not timeout.pending:
                timeout.start()
            return timeout
        return cls(timeout, exception)

    def _fire(self):
        # Runs in the hub when the deadline passes.
        g = self._greenlet
        self._timer = None
        self._greenlet = None
        if g is None or g.dead:
            return
        if type(g) is Worker and g.task is not self._task:
            # The green thread that started this Timeout has finished; the worker has moved on.
            return
        exc = self.exception
        if exc is None or exc is False or exc is True:   # True: eventlet's way to say self
            exc = self
        elif isinstance(exc, type):
            exc = exc()
        g.throw(exc)

    # -- state --------------------------------------------------------------------------------------

    @property
    def pending(self):
        """True while the timer is armed and has not fired."""
        return self._timer is not None and self._timer.pending

    def cancel(self):
        """Disarm the timer (O(1)). Harmless if it already fired or was never armed."""
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()
        self._greenlet = None
        self._task = None

    close = cancel  # gevent's name

    # -- context manager ----------------------------------------------------------------------------

    def __enter__(self):
        if not self.pending:
            self.start()
        return self

    def __exit__(self, typ, value, tb):
        self.cancel()
        if value is self and self.exception is False:
            return True
        return None

    # -- display ------------------------------------------------------------------------------------

    def __str__(self):
        if self.seconds is None:
            return ""
        suffix = "" if self.seconds == 1 else "s"
        if self.exception is None or self.exception is False:
            return f"{self.seconds} second{suffix}"
        return f"{self.seconds} second{suffix}: {self.exception}"

    def __repr__(self):
        state = " pending" if self.pending else ""
        exc = "" if self.exception is None else f" exception={self.exception!r}"
        return f"<fasthub.Timeout at {id(self):#x} seconds={self.seconds!r}{exc}{state}>"


class WaitTimeout(Timeout, TimeoutError):
    """Raised by ``get(timeout=...)`` style calls (AsyncResult.get) that gave up waiting.

    It is both a TimeoutError (``except TimeoutError`` as with concurrent.futures) and a fasthub
    Timeout (``except Timeout`` as with gevent's AsyncResult.get), so code written either way works.
    It has no timer of its own.
    """

    def __init__(self, message="timed out"):
        TimeoutError.__init__(self, message)
        self.seconds = None
        self.exception = None
        self._timer = None
        self._greenlet = None
        self._task = None

    def __str__(self):
        return TimeoutError.__str__(self)

    def __repr__(self):
        return f"WaitTimeout({TimeoutError.__str__(self)!r})"


def with_timeout(seconds, function, *args, timeout_value=_NONE, **kwargs):
    """Call ``function(*args, **kwargs)`` and return its result, but give up after ``seconds``.

    On timeout, return ``timeout_value`` if it was given, else raise the Timeout. Only this call's own
    Timeout is turned into ``timeout_value``; any other exception (including an outer Timeout)
    propagates.
    """
    timeout = Timeout(seconds)
    try:
        return function(*args, **kwargs)
    except Timeout as exc:
        if exc is timeout and timeout_value is not _NONE:
            return timeout_value
        raise
    finally:
        timeout.cancel()
