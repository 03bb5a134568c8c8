"""Cooperative drop-in for the ``select`` module: select(), poll() and epoll() (kqueue() on BSD and
macOS) park only the calling green thread.

How a wait works. Each call first asks the real kernel interface with a zero timeout, which also
checks the arguments exactly as the stdlib does. Only if nothing is ready does it wait: the fds are
registered in a private, short-lived epoll (kqueue) object and the green thread waits in the hub for
that one fd to become readable, then asks the real interface again for the precise answer.

A call that finds something ready at once still lets every other ready green thread run once before
it returns (one trip through the hub): a server that polls in a loop and always has work would
otherwise never let anything else run, its own clients included (CPython's TLS FTP and POP3 tests
hung that way). The timeout is checked by the real interface too: an unusual value (huge, NaN, not
a number) is first passed to it with a pipe whose write end is always ready, so the same exception
is raised (the checks differ between select, poll and epoll, and between CPython versions).

Why a private epoll rather than the hub's own fd table: the caller's fds are not ours. Another green
thread may be waiting on the same fd (select() must still work, as it does between OS threads), and
the caller may close the fd later with os.close() behind the hub's back; registering it in the hub
would leave cached interest for a number the kernel will reuse. The private epoll is closed (after
``notify_close``) when the call ends, so nothing outlives it. The cost is a few system calls per
call that actually waits; green sockets, the hot path, never come here.
"""

import errno as _errno
import os as _os
import select as _std

from greenlet import getcurrent as _getcurrent

from fasthub.core._hub import Waiter as _Waiter
from fasthub.core._hub import get_hub as _get_hub
from fasthub.core._hub import get_hub_if_exists as _get_hub_if_exists
from fasthub.core._hub import monotonic as _monotonic
from fasthub.core._hub import notify_close as _notify_close
from fasthub.core._hub import sleep as _sleep
from fasthub.green._stdlib_like import like as _like

for _name in dir(_std):
    if not (_name.startswith("__") and _name.endswith("__")):
        globals()[_name] = getattr(_std, _name)
del _name

error = OSError
_HAVE_EPOLL = hasattr(_std, "epoll")
_HAVE_KQUEUE = hasattr(_std, "kqueue")

# The real kernel interfaces, taken at import: once monkey-patched, the stdlib module's own names are
# the green versions below, and calling them from here would recurse.
_real_select = _std.select
_real_poll = _std.poll
_real_epoll = getattr(_std, "epoll", None)
_real_kqueue = getattr(_std, "kqueue", None)

# Event bits of poll() masks that mean "wait to read" / "wait to write".
_POLL_READ = getattr(_std, "POLLIN", 1) | getattr(_std, "POLLPRI", 2)
_POLL_WRITE = getattr(_std, "POLLOUT", 4)


class _Expired(Exception):
    """Internal: the wait's timeout passed."""


def _cooperate():
    # Something was ready without waiting: let the other ready green threads run once (see the
    # module docstring). Not in a thread without a hub (nothing else can run there) nor in the hub.
    hub = _get_hub_if_exists()
    if hub is not None and _getcurrent() is not hub:
        _sleep(0)


# --- checking unusual timeouts with the real interfaces -----------------------------------------------

class _AlwaysReady:
    """The write end of a pipe nobody writes to (always ready to write), for passing an unusual
    timeout to a real interface that must return at once. A program may close fds it does not own
    (when daemonizing): the pipe is checked to be ours before each use, and made again if not."""

    def __init__(self):
        self.fds = None
        self.identity = None
        self.epoll = None

    def fd(self):
        if self.fds is not None:
            try:
                st = _os.fstat(self.fds[1])
                if (st.st_dev, st.st_ino) == self.identity:
                    return self.fds[1]
            except OSError:
                pass
            self.epoll = None  # registered the old fd (its number may now be another file's)
        self.fds = _os.pipe()
        st = _os.fstat(self.fds[1])
        self.identity = (st.st_dev, st.st_ino)
        return self.fds[1]

    def select(self, timeout):
        _real_select([], [self.fd()], [], timeout)

    def poll(self, timeout):
        checker = _real_poll()
        checker.register(self.fd(), _POLL_WRITE)
        checker.poll(timeout)

    def epoll_poll(self, timeout, maxevents):
        fd = self.fd()
        if self.epoll is None:
            self.epoll = _real_epoll()
            self.epoll.register(fd, _std.EPOLLOUT)
        self.epoll.poll(timeout, maxevents)


_always_ready = _AlwaysReady()


def _plain(timeout, low):
    # The common values every interface accepts; anything else goes to the real one first.
    return timeout is None or (type(timeout) in (int, float) and low <= timeout <= 1e6)


def _fileno(obj):
    if isinstance(obj, int):
        fd = obj
    else:
        fd = obj.fileno()
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer")
    if fd < 0:
        raise ValueError(f"file descriptor cannot be a negative integer ({fd})")
    return fd


def _wait_any(interest, timeout):
    """Park until one fd of ``interest`` ({fd: (want_read, want_write, want_pri)}) may be ready.

    Returns False if ``timeout`` seconds (None: no limit) passed first, True otherwise (a hint only).
    """
    if _HAVE_EPOLL:
        waiter = _real_epoll(max(len(interest), 1))
        try:
            for fd, (rd, wr, pri) in interest.items():
                mask = ((_std.EPOLLIN if rd else 0) | (_std.EPOLLOUT if wr else 0)
                        | (_std.EPOLLPRI if pri else 0))
                try:
                    waiter.register(fd, mask)
                except PermissionError:
                    return True  # a regular file: always ready, let the caller look again
            return _park(waiter.fileno(), timeout)
        finally:
            _close_private(waiter)
    if _HAVE_KQUEUE:
        waiter = _real_kqueue()
        try:
            changes = []
            for fd, (rd, wr, pri) in interest.items():
                if rd or pri:
                    changes.append(_std.kevent(fd, _std.KQ_FILTER_READ, _std.KQ_EV_ADD))
                if wr:
                    changes.append(_std.kevent(fd, _std.KQ_FILTER_WRITE, _std.KQ_EV_ADD))
            if changes:
                waiter.control(changes, 0, 0)
            return _park(waiter.fileno(), timeout)
        finally:
            _close_private(waiter)
    raise OSError(_errno.ENOSYS, "fasthub.green.select needs epoll or kqueue")


def _park(fd, timeout):
    try:
        _get_hub().wait_read(fd, timeout, _Expired())
    except _Expired:
        return False
    return True


def _close_private(obj):
    try:
        _notify_close(obj.fileno())
    finally:
        obj.close()


def _check_seconds(timeout):
    if timeout is None:
        return None
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise TypeError("timeout must be a float or None") from None
    if value != value:
        raise ValueError("Invalid value NaN (not a number)")
    return value


def _wait_nothing(seconds):
    # Nothing to watch: sleep, or (no timeout) park until the program ends; with nothing else
    # pending the hub reports LoopExit instead of hanging silently.
    if seconds is not None:
        _sleep(seconds)
    else:
        _Waiter().get()


def _deadline(timeout):
    return None if timeout is None else _monotonic() + timeout


def _remaining(deadline):
    if deadline is None:
        return None
    return max(deadline - _monotonic(), 0.0)


@_like(_real_select)
def select(rlist, wlist, xlist, timeout=None, /):
    """Wait until some of the objects (fds or objects with fileno()) are ready for reading, writing
    or have an exceptional condition; return the three lists of ready objects.

    Parks only the calling green thread; ``timeout`` in seconds (None: no limit) returns three empty
    lists. Raises ValueError/TypeError/OSError for bad arguments, as select.select does.
    """
    if not _plain(timeout, 0):
        _always_ready.select(timeout)
    timeout = None if timeout is None else float(timeout)
    # The real select checks every argument (and answers when something is ready already). Lists
    # and tuples go to it as they are (a fileno() that mutates its list sees what the stdlib's
    # would); other iterables are read once, here.
    rlist, wlist, xlist = (x if type(x) in (list, tuple) else list(x) for x in (rlist, wlist, xlist))
    ready = _real_select(rlist, wlist, xlist, 0)
    if ready[0] or ready[1] or ready[2] or timeout == 0:
        _cooperate()
        return ready
    interest = {}
    for objs, slot in ((rlist, 0), (wlist, 1), (xlist, 2)):
        for obj in objs:
            flags = list(interest.get(_fileno(obj), (False, False, False)))
            flags[slot] = True
            interest[_fileno(obj)] = tuple(flags)
    if not interest:
        _wait_nothing(timeout)
        return [], [], []
    deadline = _deadline(timeout)
    while True:
        woke = _wait_any(interest, _remaining(deadline))
        ready = _real_select(rlist, wlist, xlist, 0)
        if ready[0] or ready[1] or ready[2] or not woke:
            return ready
        # Readiness was a hint the real select does not confirm: do not spin on it.
        _sleep(0.001)


@_like(_real_poll)
def poll():
    """A green polling object, like ``select.poll()``: register()/modify()/unregister() as the
    stdlib's, and its poll() parks only the calling green thread."""
    obj = object.__new__(_GreenPoll)
    obj._poll = _real_poll()
    obj._masks = {}
    obj._running = False
    return obj


@_like(type(_real_poll()))
class _GreenPoll:
    """The green ``select.poll`` object (made by poll(); like the stdlib's, not by its type)."""

    __slots__ = ("_poll", "_masks", "_running")

    def __new__(cls, *args, **kwargs):
        raise TypeError(f"cannot create '{cls.__module__}.{cls.__qualname__}' instances")

    def register(self, fd, eventmask=_POLL_READ | _POLL_WRITE):
        """Watch ``fd`` for the events in ``eventmask`` (default POLLIN|POLLPRI|POLLOUT)."""
        self._poll.register(fd, eventmask)
        self._masks[_fileno(fd)] = eventmask

    def modify(self, fd, eventmask):
        """Change the events of an fd already registered (FileNotFoundError otherwise)."""
        self._poll.modify(fd, eventmask)
        self._masks[_fileno(fd)] = eventmask

    def unregister(self, fd):
        """Stop watching ``fd`` (KeyError if it was not registered)."""
        self._poll.unregister(fd)
        self._masks.pop(_fileno(fd), None)

    def poll(self, timeout=None, /):
        """Return a list of ``(fd, events)`` for the ready fds, waiting at most ``timeout``
        milliseconds (None or negative: no limit). Parks only the calling green thread.
        RuntimeError if another green thread is in poll() on this object (as between threads)."""
        if not _plain(timeout, -1):
            _always_ready.poll(timeout)
        if self._running:
            raise RuntimeError("concurrent poll() invocation")
        self._running = True
        try:
            return self._poll_now_or_wait(timeout)
        finally:
            self._running = False

    def _poll_now_or_wait(self, timeout):
        if timeout is not None:
            timeout = float(timeout)
            if timeout < 0:
                timeout = None
        events = self._poll.poll(0)
        if events or timeout == 0:
            _cooperate()
            return events
        seconds = None if timeout is None else timeout / 1000.0
        interest = {fd: (bool(mask & _POLL_READ), bool(mask & _POLL_WRITE), False)
                    for fd, mask in self._masks.items()}
        if not interest:
            _wait_nothing(seconds)
            return []
        deadline = _deadline(seconds)
        while True:
            woke = _wait_any(interest, _remaining(deadline))
            events = self._poll.poll(0)
            if events or not woke:
                return events
            _sleep(0.001)


class _GreenKernelPoller:
    """Shared part of the green epoll and kqueue objects: they wrap the real object (the C types
    cannot be subclassed) and wait for its own fd to become readable, which the kernel signals
    when events are pending."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def fileno(self):
        """The kernel object's fd."""
        return self._obj.fileno()

    @property
    def closed(self):
        """True once close() was called."""
        return self._obj.closed

    def close(self):
        """Close the kernel object (green threads waiting on it get FdClosedError)."""
        if not self._obj.closed:
            _notify_close(self._obj.fileno())
        self._obj.close()

    def __enter__(self):
        if self._obj.closed:
            raise ValueError("I/O operation on closed epoll object")
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        # The C object closes its fd when collected: tell the hub first (the number is reused).
        obj = getattr(self, "_obj", None)
        if obj is not None and not obj.closed:
            try:
                _notify_close(obj.fileno())
            except Exception:  # noqa: BLE001 - a finalizer must not raise
                pass

    def _wait_events(self, fetch, timeout):
        # fetch() asks the kernel without waiting; park on the fd until it has something.
        events = fetch()
        if events or timeout == 0:
            _cooperate()
            return events
        deadline = _deadline(timeout)
        fd = self._obj.fileno()
        while True:
            if not _park(fd, _remaining(deadline)):
                return []
            events = fetch()
            if events:
                return events


if _HAVE_EPOLL:
    @_like(_real_epoll)
    class epoll(_GreenKernelPoller):
        """A green ``select.epoll``: poll() parks only the calling green thread; register(),
        modify(), unregister(), fileno(), close() and fromfd() are the stdlib's. One green thread at
        a time may wait in poll() on a given epoll object (another gets ConcurrentUseError)."""

        __slots__ = ()

        def __init__(self, sizehint=-1, flags=0):
            super().__init__(_real_epoll(sizehint, flags))

        @classmethod
        def fromfd(cls, fd):
            """A green epoll object owning the epoll fd ``fd``."""
            self = cls.__new__(cls)
            _GreenKernelPoller.__init__(self, _real_epoll.fromfd(fd))
            return self

        def register(self, fd, eventmask=_std.EPOLLIN | _std.EPOLLPRI | _std.EPOLLOUT):
            """Watch ``fd`` for ``eventmask``; FileExistsError if already registered."""
            self._obj.register(fd, eventmask)

        def modify(self, fd, eventmask):
            """Change the events of a registered fd."""
            self._obj.modify(fd, eventmask)

        def unregister(self, fd):
            """Stop watching ``fd``."""
            self._obj.unregister(fd)

        def poll(self, timeout=None, maxevents=-1):
            """Return ``[(fd, events)]``, waiting at most ``timeout`` seconds (None or negative:
            no limit)."""
            if not (_plain(timeout, -1) and type(maxevents) is int
                    and (maxevents == -1 or 1 <= maxevents <= 1 << 20)):
                _always_ready.epoll_poll(timeout, maxevents)
            if timeout is not None:
                timeout = float(timeout)
                if timeout < 0:
                    timeout = None
            obj = self._obj
            return self._wait_events(lambda: obj.poll(0, maxevents), timeout)


if _HAVE_KQUEUE:
    class kqueue(_GreenKernelPoller):
        """A green ``select.kqueue``: control() parks only the calling green thread."""

        __slots__ = ()

        def __init__(self):
            super().__init__(_real_kqueue())

        @classmethod
        def fromfd(cls, fd):
            """A green kqueue object owning the kqueue fd ``fd``."""
            self = cls.__new__(cls)
            _GreenKernelPoller.__init__(self, _real_kqueue.fromfd(fd))
            return self

        def control(self, changelist, max_events, timeout=None):
            """Apply ``changelist`` and return up to ``max_events`` events, waiting at most
            ``timeout`` seconds (None: no limit)."""
            if timeout is not None:
                timeout = _check_seconds(timeout)
                if timeout < 0:
                    raise ValueError(f"timeout must be positive or None, got {timeout}")
            obj = self._obj
            events = obj.control(changelist, max_events, 0)
            if events or max_events == 0:
                return events
            return self._wait_events(lambda: obj.control(None, max_events, 0), timeout)


# Names that differ from the stdlib module's (what fasthub.patcher swaps in).
__green__ = ["select", "poll"] + (["epoll"] if _HAVE_EPOLL else []) + (["kqueue"] if _HAVE_KQUEUE else [])
