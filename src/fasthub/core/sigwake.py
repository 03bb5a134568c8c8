"""The main thread's hub hears signals through a pipe (signal.set_wakeup_fd).

Why: CPython's C-level signal handler only sets a flag; the Python handler runs later, between two
bytecodes of the main thread. A hub that is about to block in epoll_wait/poll with no timeout checks
the flag, finds nothing, and blocks: a signal landing between that check and the system call (or
while the hub runs C code without bytecodes) interrupts nothing, so SIGTERM's handler waits for the
next unrelated event. With the write end of a pipe given to signal.set_wakeup_fd, the C handler also
writes the signal number there; the hub watches the read end, so the wait ends and the hub runs the
Python handlers (PyErr_CheckSignals) at once.

A signal is also a wake-up the hub waits for: a program whose main green thread waits for nothing but
a signal (``stop = Event(); signal.signal(SIGTERM, lambda *a: stop.set()); stop.wait()``) is not
deadlocked while such a handler is installed, so the hub then waits in poll instead of raising
LoopExit. fasthub.green.signal records here which signals have a program handler; Python's default
SIGINT handler and handlers set past it (e.g. pytest-timeout's, through the stdlib module) do not
count.

A fd a program set with set_wakeup_fd itself (through fasthub.green.signal.set_wakeup_fd, or before
the hub existed) keeps working: the bytes the hub reads are written on to it. Only one wake-up fd
exists per process, so the hubs that installed a pipe are remembered here, and the one still alive
goes back in when another is closed.
"""

# C modules, not os/signal: monkey_patch() replaces os.read/os.write with green ones (which wait
# in the hub: this runs in the hub) and signal.set_wakeup_fd with fasthub.green.signal's (which calls
# back into this module).
import posix as _posix
import _signal

from fasthub.core.originals import get_original

# The write ends of the hub pipes currently open, oldest first.
_ours = []
# [the fd the program asked for, to which signal bytes are forwarded (-1: none)]
_user = [-1]
# Signals given a program handler through fasthub.green.signal (see handlers_wait()).
_handled = set()


def note_handler(signalnum, waits):
    """fasthub.green.signal: ``signalnum`` now has a program handler (``waits`` True) or not."""
    if waits:
        _handled.add(signalnum)
    else:
        _handled.discard(signalnum)


def handlers_wait():
    """True if a signal still has the program handler fasthub.green.signal installed for it: its
    arrival can wake a green thread, so a hub with nothing else to wait for is not deadlocked."""
    for signalnum in list(_handled):
        if getattr(_signal.getsignal(signalnum), "wakes_hub", False):
            return True
        _handled.discard(signalnum)  # replaced behind green signal's back
    return False


def for_this_thread():
    """A new SignalWakeup when called in the main thread (the only one signals are handled in),
    else None."""
    if get_original("threading", "main_thread")().ident != get_original("_thread", "get_ident")():
        return None
    return SignalWakeup()


class SignalWakeup:
    """A non-blocking pipe installed as the process's signal wake-up fd; ``fd`` is its read end."""

    __slots__ = ("fd", "_wfd")

    def __init__(self):
        """Create the pipe and install it; raises ValueError outside the main thread."""
        r, w = _posix.pipe()
        _posix.set_blocking(r, False)
        _posix.set_blocking(w, False)
        try:
            # warn_on_full_buffer=False: a full pipe already means "wake up".
            prev = _signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        except BaseException:
            _posix.close(r)
            _posix.close(w)
            raise
        if prev != -1 and prev not in _ours:
            _user[0] = prev
        self.fd = r
        self._wfd = w
        _ours.append(w)

    def drain(self):
        """Empty the pipe, passing the signal bytes on to the program's own wake-up fd if any."""
        while True:
            try:
                data = _posix.read(self.fd, 512)
            except OSError:  # EAGAIN: empty
                return
            if not data:
                return
            if _user[0] != -1:
                try:
                    _posix.write(_user[0], data)
                except OSError:  # full or closed: the same as CPython's own wake-up write
                    pass

    def close(self, _set_wakeup_fd=_signal.set_wakeup_fd, _close=_posix.close, _ours=_ours,
              _user=_user, _ValueError=ValueError):
        """Stop being the wake-up fd (another live hub pipe or the program's fd goes back in), then
        close the pipe. Idempotent. (The defaults keep what it uses at hand when a hub is freed at
        interpreter exit, after the modules' dicts, builtins, _signal's and posix's too, are
        cleared; for the same reason no builtin function is called here.)"""
        w = self._wfd
        if w < 0:
            return
        self._wfd = -1
        if w in _ours:
            _ours.remove(w)
        try:
            current = _set_wakeup_fd(-1)
        except _ValueError:
            # Closed outside the main thread: the process's wake-up fd cannot be changed from here,
            # so the pipe stays open (two fds leak) rather than let the signal handler write into a
            # closed fd whose number may be reused.
            return
        if current != w:
            restore = current  # someone replaced ours meanwhile: leave theirs in place
        elif _ours:
            restore = _ours[-1]
        else:
            restore = _user[0]
        if restore != -1:
            _set_wakeup_fd(restore, warn_on_full_buffer=restore not in _ours)
        _close(self.fd)
        _close(w)
        self.fd = -1


def set_user_fd(fd, warn_on_full_buffer=True):
    """signal.set_wakeup_fd() for a program whose main thread's hub owns the wake-up fd: record
    ``fd`` (-1 to stop) as the one to forward signal bytes to, and return the previous one. Without
    such a hub this is plain signal.set_wakeup_fd()."""
    prev = _signal.set_wakeup_fd(fd, warn_on_full_buffer=warn_on_full_buffer)  # validates fd
    if prev not in _ours:
        return prev
    _signal.set_wakeup_fd(prev, warn_on_full_buffer=False)  # the hub's pipe stays in place
    old, _user[0] = _user[0], fd
    return old
