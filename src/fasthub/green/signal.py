"""Green ``signal``: Python signal handlers that neither block nor break the hub.

CPython runs a signal handler in the main thread, between two bytecodes of whatever runs there. With
green threads that is often the hub itself (it wakes from epoll with EINTR and runs the handlers), and
a handler that waits (a lock, a socket, a sleep) would then fail with BlockingInHubError, while one
that raises would be reported by the hub instead of reaching the program.

``signal.signal(signum, handler)`` therefore installs a small dispatcher in front of ``handler``:

- when the signal is handled while the main greenlet runs, the handler is called right there, exactly
  as without fasthub (synchronously; what it raises propagates from the interrupted line);
- otherwise (in the hub, or while another green thread runs) the handler runs in a new green thread,
  so it may block; an exception it raises is thrown into the main greenlet, where the main program
  is waiting (e.g. ``alarm()`` + a handler raising to interrupt a blocking call keeps working).

``getsignal()`` and the return value of ``signal()`` give back the user's handler, not the
dispatcher. SIG_DFL, SIG_IGN and ``default_int_handler`` are installed unchanged (Ctrl-C already
reaches the main greenlet as KeyboardInterrupt). Every other name is the stdlib's ``signal``.
"""

import signal as _std

from greenlet import GreenletExit as _GreenletExit, getcurrent as _getcurrent

from fasthub._greenthread import spawn as _spawn
from fasthub._hub import _throw_to_parent, get_hub as _get_hub

for _name in dir(_std):
    if not _name.startswith("__"):
        globals()[_name] = getattr(_std, _name)
del _name

__green__ = ["signal", "getsignal"]

_real_signal = _std.signal
_real_getsignal = _std.getsignal
_PLAIN = (_std.SIG_DFL, _std.SIG_IGN, _std.default_int_handler)


class _Dispatcher:
    """What is really installed with the OS for a Python handler (see the module docstring)."""

    __slots__ = ("handler",)

    def __init__(self, handler):
        self.handler = handler

    def __call__(self, signum, frame):
        if _getcurrent().parent is None:
            return self.handler(signum, frame)
        _spawn(_run_handler, self.handler, signum, frame)
        return None

    def __repr__(self):
        return f"<fasthub signal dispatcher for {self.handler!r}>"


def _run_handler(handler, signum, frame):
    try:
        handler(signum, frame)
    except _GreenletExit:
        pass
    except BaseException as e:
        # Where CPython would raise it: in the main program, which is parked in the hub.
        hub = _get_hub()
        hub.call_soon(_throw_to_parent, hub, e)


def _unwrap(handler):
    return handler.handler if isinstance(handler, _Dispatcher) else handler


def signal(signalnum, handler):
    """Set the handler for ``signalnum`` and return the previous one (like signal.signal).

    A Python callable runs as described in the module docstring; SIG_DFL, SIG_IGN and
    default_int_handler are installed as they are. Raises ValueError outside the main thread or for
    an invalid signal, TypeError for a handler that is neither callable nor SIG_DFL/SIG_IGN."""
    if callable(handler) and handler not in _PLAIN and not isinstance(handler, _Dispatcher):
        handler = _Dispatcher(handler)
    return _unwrap(_real_signal(signalnum, handler))


def getsignal(signalnum):
    """The current handler of ``signalnum``, as given to signal() (like signal.getsignal)."""
    return _unwrap(_real_getsignal(signalnum))
