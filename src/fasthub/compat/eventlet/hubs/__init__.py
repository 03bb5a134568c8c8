"""``eventlet.hubs``: get_hub, use_hub, trampoline, notify_close, notify_opened, IOClosed.

fasthub runs one compiled hub per OS thread (epoll on Linux, kqueue on BSD/macOS); ``use_hub()``
is accepted and changes nothing. ``trampoline()`` parks the calling green thread on fasthub's hub.
"""

import errno

import fasthub
from fasthub import FdClosedError
from fasthub.compat.eventlet.hubs import hub as _hub_module
from fasthub.compat.eventlet.timeout import Timeout

__all__ = ["use_hub", "get_hub", "get_default_hub", "trampoline"]


class HubError(Exception):
    """eventlet's error for hub selection problems."""


class IOClosed(IOError):
    """The fd was closed while a green thread waited on it."""


def get_default_hub():
    """The module of the hub eventlet would pick: here always ``eventlet.hubs.hub``."""
    return _hub_module


def use_hub(mod=None):
    """Accepted for compatibility; fasthub's hub is fixed (see the module docstring)."""


def get_hub():
    """The hub of this OS thread, with eventlet's interface."""
    return _hub_module.for_hub(fasthub.get_hub())


def trampoline(fd, read=None, write=None, timeout=None, timeout_exc=Timeout, mark_as_closed=None):
    """Park the calling green thread until ``fd`` (an int or an object with fileno()) is readable
    (``read=True``) or writable (``write=True``). Raises ``timeout_exc`` after ``timeout`` seconds
    and IOClosed if the fd is closed meanwhile."""
    if read and write:
        raise AssertionError("not allowed to trampoline for reading and writing")
    if not (read or write):
        raise AssertionError("You must specify read= or write=")
    hub = fasthub.get_hub()
    if fasthub.getcurrent() is hub:
        raise AssertionError("do not call blocking functions from the mainloop")
    exc = None
    if timeout is not None:
        exc = timeout_exc("timed out") if timeout_exc is not Timeout else Timeout(None)
    try:
        if read:
            return hub.wait_read(fd, timeout, exc)
        return hub.wait_write(fd, timeout, exc)
    except FdClosedError:
        if mark_as_closed is not None:
            mark_as_closed()
        raise IOClosed(errno.ENOTCONN, "Operation on closed file") from None


def notify_close(fd):
    """Tell green threads waiting on ``fd`` that it is being closed."""
    fasthub.notify_close(fd)


def notify_opened(fd):
    """eventlet bookkeeping for a new fd; fasthub needs none."""
