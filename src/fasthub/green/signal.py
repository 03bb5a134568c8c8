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
dispatcher. While a Python handler is installed, a program waiting for nothing but its signal is not
deadlocked: the hub waits for the signal instead of raising LoopExit. SIG_DFL and SIG_IGN are
installed unchanged. ``monkey_patch(signal=True)`` also puts the dispatcher in front of Python's
default SIGINT handler, so Ctrl-C (or ``_thread.interrupt_main()`` called in a green thread) raises
KeyboardInterrupt in the main program, where CPython raises it, instead of in whichever green thread
happened to run; a second Ctrl-C arriving before the main program could take the first raises right
where it lands (a green thread stuck in a loop that never waits can still be interrupted).

The main thread's hub owns the process's wake-up fd (see fasthub.core.sigwake); ``set_wakeup_fd``
records the program's own fd instead of replacing the hub's, and the hub writes the signal bytes on
to it. Every other name is the stdlib's ``signal``.
"""

import signal as _std

from greenlet import GreenletExit as _GreenletExit, getcurrent as _getcurrent

from fasthub.core._greenthread import spawn as _spawn
from fasthub.core._hub import _throw_to_parent, get_hub as _get_hub
from fasthub.core.sigwake import note_handler as _note_handler, set_user_fd as _set_user_fd
from fasthub.green._stdlib_like import like as _like

for _name in dir(_std):
    if not _name.startswith("__"):
        globals()[_name] = getattr(_std, _name)
del _name

__green__ = ["signal", "getsignal", "set_wakeup_fd"]

_real_signal = _std.signal
_real_getsignal = _std.getsignal
_PLAIN = (_std.SIG_DFL, _std.SIG_IGN, _std.default_int_handler)


class _Dispatcher:
    """What is really installed with the OS for a Python handler (see the module docstring)."""

    __slots__ = ("handler", "pending")

    def __init__(self, handler):
        self.handler = handler
        self.pending = False

    def __call__(self, signum, frame):
        if _getcurrent().parent is None:
            return self.handler(signum, frame)
        if self.handler is _std.default_int_handler:
            if self.pending:
                return self.handler(signum, frame)  # the main program did not get the first one yet
            hub = _get_hub()
            if _getcurrent() is hub:
                self.pending = True
                hub.call_soon(self._interrupt_main)
                return None
            # In a green thread: raise it in the main program now (it is parked in the hub, where
            # CPython's main thread would be blocked), and have the hub resume us next.
            hub.call_soon(_getcurrent().switch)
            hub.parent.throw(KeyboardInterrupt())
            return None
        _spawn(_run_handler, self.handler, signum, frame)
        return None

    @property
    def wakes_hub(self):
        """A program handler: the hub waits for its signal rather than call a wait a deadlock
        (fasthub.core.sigwake). Python's default SIGINT handler does not count."""
        return self.handler is not _std.default_int_handler

    def _interrupt_main(self):
        self.pending = False
        _throw_to_parent(_get_hub(), KeyboardInterrupt())

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


_route_sigint = False


def _after_patch():
    # monkey_patch(signal=True): route Python's default SIGINT handler through the dispatcher.
    global _route_sigint
    _route_sigint = True
    try:
        if _real_getsignal(_std.SIGINT) is _std.default_int_handler:
            _real_signal(_std.SIGINT, _Dispatcher(_std.default_int_handler))
    except ValueError:  # not the main thread: signals cannot be set from here
        pass


def _after_unpatch():
    # fasthub.unpatch(): Python's default SIGINT handler goes back in front (the other handlers set
    # while patched stay behind their dispatcher until set again: see fasthub.patcher).
    global _route_sigint
    _route_sigint = False
    try:
        current = _real_getsignal(_std.SIGINT)
        if isinstance(current, _Dispatcher) and current.handler is _std.default_int_handler:
            _real_signal(_std.SIGINT, _std.default_int_handler)
    except ValueError:  # not the main thread: signals cannot be set from here
        pass


def _unwrap(handler):
    return handler.handler if isinstance(handler, _Dispatcher) else handler


@_like(_real_signal)
def signal(signalnum, handler):
    """Set the handler for ``signalnum`` and return the previous one (like signal.signal).

    A Python callable runs as described in the module docstring; SIG_DFL, SIG_IGN and
    default_int_handler are installed as they are. Raises ValueError outside the main thread or for
    an invalid signal, TypeError for a handler that is neither callable nor SIG_DFL/SIG_IGN."""
    if handler is _std.default_int_handler and _route_sigint and signalnum == _std.SIGINT:
        handler = _Dispatcher(handler)  # keep Ctrl-C going to the main program once patched
    elif callable(handler) and handler not in _PLAIN and not isinstance(handler, _Dispatcher):
        handler = _Dispatcher(handler)
    previous = _real_signal(signalnum, handler)
    _note_handler(signalnum, getattr(handler, "wakes_hub", False))
    return _unwrap(previous)


@_like(_real_getsignal)
def getsignal(signalnum):
    """The current handler of ``signalnum``, as given to signal() (like signal.getsignal)."""
    return _unwrap(_real_getsignal(signalnum))


@_like(_std.set_wakeup_fd)
def set_wakeup_fd(fd, /, *, warn_on_full_buffer=True):
    """Have signal numbers written to ``fd`` (-1: stop) and return the previous fd (like
    signal.set_wakeup_fd), without taking the wake-up away from the main thread's hub. Raises
    ValueError outside the main thread or for a blocking fd."""
    return _set_user_fd(fd, warn_on_full_buffer)


# Named where it is patched, not after _signal (the C module the original comes from): CPython's
# test_signal requires every routine of signal that is not a builtin to say 'signal' (pydoc), and a
# Python replacement cannot be a builtin.
set_wakeup_fd.__module__ = "signal"
