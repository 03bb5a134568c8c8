"""Run work later, with a handle to cancel it or wait for its result.

    from fasthub.tasks import call_later

    reminder = call_later(30, send_email, user, subject="Still there?")
    ...
    reminder.cancel()                    # the user came back: it never runs

    report = call_later(0.5, build_report, day)
    data = report.result(timeout=10)     # park this green thread until it is ready

Each call runs in its own green thread (``fasthub.spawn_after``) when its delay expires. A scheduled
call costs one timer and one not-yet-started green thread; cancelling before it starts is O(1).
Callers in other green threads can ``result()``, ``wait()`` or ``add_done_callback()`` on the same
handle. ``call_soon`` runs as soon as the hub gets to it and ``call_at`` at a ``fasthub.monotonic()``
deadline.

Cancelling a call that already started kills its green thread (GreenletExit is raised where it is
waiting) unless ``cancel(kill=False)``. Exceptions raised by the function are kept for ``result()``
and not reported by the hub.
"""

from greenlet import GreenletExit

from fasthub.core._greenthread import spawn_after
from fasthub.core._hub import monotonic

__all__ = ["call_later", "call_soon", "call_at", "ScheduledCall", "CancelledError"]


class CancelledError(Exception):
    """Raised by ScheduledCall.result() when the call was cancelled."""


_PENDING, _RUNNING, _DONE, _CANCELLED = "pending", "running", "done", "cancelled"


class ScheduledCall:
    """A handle on a function scheduled by call_later()/call_soon()/call_at()."""

    __slots__ = ("eta", "_gt", "_state", "_value", "_exc", "_callbacks", "__weakref__")

    def __init__(self, delay, fn, args, kwargs):
        if not callable(fn):
            raise TypeError(f"fasthub.tasks: {fn!r} is not callable")
        delay = max(0.0, float(delay))
        self.eta = monotonic() + delay   #: when it is due (fasthub.monotonic() seconds)
        self._state = _PENDING
        self._value = None
        self._exc = None
        self._callbacks = []
        self._gt = spawn_after(delay, self._run, fn, args, kwargs)
        self._gt.link(self._finished)

    def _run(self, fn, args, kwargs):
        self._state = _RUNNING
        try:
            self._value = fn(*args, **kwargs)
        except GreenletExit:
            raise   # cancel() while running: _finished records it
        except Exception as e:   # kept for result(); not an unhandled green-thread error
            self._exc = e

    def _finished(self, gt):
        if self._state != _CANCELLED:
            if gt.exception is not None and isinstance(gt.exception, GreenletExit):
                self._state = _CANCELLED
            else:
                self._state = _DONE
        callbacks, self._callbacks = self._callbacks, None
        for cb in callbacks:
            cb(self)

    # -- state --------------------------------------------------------------------------------------

    def cancel(self, kill=True):
        """Stop the call. Not started yet: it never runs. Running and ``kill``: GreenletExit is raised
        in it (this returns without waiting for it to unwind). Returns True if the call was stopped,
        False if it had already finished (or is running and ``kill`` is False)."""
        if self._state == _PENDING:
            self._state = _CANCELLED
            self._gt.kill(block=False)
            return True
        if self._state == _RUNNING and kill:
            self._state = _CANCELLED
            self._gt.kill(block=False)
            return True
        return False

    def cancelled(self):
        """True if cancel() stopped it."""
        return self._state == _CANCELLED

    def done(self):
        """True once it finished, raised, or was cancelled."""
        return self._callbacks is None

    def running(self):
        return self._state == _RUNNING

    def add_done_callback(self, fn):
        """Call ``fn(call)`` once it is done (at once if it already is), in the green thread that
        finished it. ``fn`` must not block for long."""
        if self._callbacks is None:
            fn(self)
        else:
            self._callbacks.append(fn)

    # -- waiting ------------------------------------------------------------------------------------

    def wait(self, timeout=None):
        """Park the calling green thread until done; True if done, False if ``timeout`` expired."""
        if self._callbacks is None:
            return True
        return self._gt.join(timeout)

    def result(self, timeout=None):
        """The function's return value, parking the calling green thread until it is available.

        Raises the function's exception if it raised, CancelledError if it was cancelled, and
        TimeoutError if it is not done within ``timeout`` seconds.
        """
        if not self.wait(timeout):
            raise TimeoutError(f"fasthub.tasks: the call was not done within {timeout} s")
        if self._state == _CANCELLED:
            raise CancelledError("fasthub.tasks: the call was cancelled")
        if self._exc is not None:
            raise self._exc
        return self._value

    def exception(self, timeout=None):
        """The exception the function raised (None if it returned); waits like result()."""
        if not self.wait(timeout):
            raise TimeoutError(f"fasthub.tasks: the call was not done within {timeout} s")
        if self._state == _CANCELLED:
            raise CancelledError("fasthub.tasks: the call was cancelled")
        return self._exc

    def __repr__(self):
        return f"<fasthub ScheduledCall {self._state} eta={self.eta:.3f}>"


def call_later(delay, fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` in a new green thread after ``delay`` seconds; returns a
    ScheduledCall to cancel it or get its result. Does not block."""
    return ScheduledCall(delay, fn, args, kwargs)


def call_soon(fn, *args, **kwargs):
    """call_later(0, ...): run it as soon as the calling green thread yields."""
    return ScheduledCall(0.0, fn, args, kwargs)


def call_at(when, fn, *args, **kwargs):
    """Run it at ``when``, a ``fasthub.monotonic()`` time (at once if that is past)."""
    return ScheduledCall(when - monotonic(), fn, args, kwargs)
