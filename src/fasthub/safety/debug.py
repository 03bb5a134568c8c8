"""FASTHUB_DEBUG=1: warn when a green thread calls an original blocking function while others wait.

The blocking detector (fasthub.monitor) reports a block after it happened. This mode catches the cause
before it bites: it watches C calls (through the interpreter's profile hook, since the originals are C
functions and cannot be wrapped) and warns, once per call site and pointing at it, when a green thread
calls one of these while the hub has other work:

- the original ``time.sleep`` (with a positive delay);
- a socket operation on a socket whose fd is in blocking mode (``recv``, ``send``, ``sendall``,
  ``accept``, ``connect``...);
- ``acquire()`` of an OS lock (``_thread.lock`` / ``RLock``) that is already held, so it would block;
- the original ``select.select``/``poll``, ``os.waitpid``/``os.wait`` without WNOHANG.

The profile hook makes every call slower, so this is a development tool, not for production.
``enable()``/``disable()`` switch it at run time; the warning class is BlockingCallWarning.
"""

import _socket
import _thread
import os
import select
import sys
import threading
import time
import warnings

from fasthub.core._hub import all_hubs
from fasthub.sync import locks

__all__ = ["BlockingCallWarning", "enable", "disable", "enabled"]


class BlockingCallWarning(RuntimeWarning):
    """A green thread called an original blocking function while other green threads were waiting."""


_SOCKET_BLOCKING_METHODS = {
    "recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "send", "sendall", "sendto",
    "sendmsg", "accept", "_accept", "connect",
}
_ORIG_SLEEP = time.sleep
_ORIG_SELECT = select.select
_ORIG_WAITPID = os.waitpid
_ORIG_WAIT = getattr(os, "wait", None)
_LOCK_TYPES = (type(_thread.allocate_lock()), type(_thread.RLock()))

_seen_sites = set()
_enabled = False


def _hub_of_this_thread():
    ident = _thread.get_ident()
    for hub in all_hubs():
        if hub.thread_ident == ident:
            return hub
    return None


def _others_waiting(hub):
    return hub.parked > 0 or hub.ready_count > 0


def _why_blocking(func, arg_self):
    """Say why calling ``func`` (the C function object of a c_call event) would block, or None."""
    if func is _ORIG_SLEEP:
        return "time.sleep (the original, blocking)"
    if func is _ORIG_SELECT:
        return "select.select (the original, blocking)"
    if func is _ORIG_WAITPID or (func is _ORIG_WAIT and _ORIG_WAIT is not None):
        return f"os.{func.__name__} (the original, blocking)"
    name = getattr(func, "__name__", "")
    if isinstance(arg_self, _socket.socket) and name in _SOCKET_BLOCKING_METHODS:
        try:
            blocking = arg_self.getblocking()
        except OSError:
            return None
        if blocking:
            return f"socket.{name} on a blocking socket (fd {arg_self.fileno()})"
    if isinstance(arg_self, _LOCK_TYPES) and name in ("acquire", "acquire_lock", "__enter__"):
        if arg_self.locked() if hasattr(arg_self, "locked") else False:
            return f"acquire() of an OS lock that is already held ({type(arg_self).__name__})"
    return None


def _profile(frame, event, arg):
    if event != "c_call":
        return
    why = _why_blocking(arg, getattr(arg, "__self__", None))
    if why is None:
        return
    hub = _hub_of_this_thread()
    if hub is None or not _others_waiting(hub):
        return
    import greenlet

    if greenlet.getcurrent() is hub:
        return
    site = (frame.f_code.co_filename, frame.f_lineno)
    if site in _seen_sites:
        return
    _seen_sites.add(site)
    warnings.warn_explicit(
        f"fasthub: a green thread calls {why} while other green threads wait for the hub; it blocks "
        f"them all. Use the fasthub equivalent or fasthub.monkey_patch() (FASTHUB_DEBUG=1 reports "
        f"each call site once)",
        BlockingCallWarning, site[0], site[1], module=frame.f_globals.get("__name__"),
    )


def enable():
    """Start warning about original blocking calls (this thread and threads started later), and
    record where locks are taken, for deadlock reports."""
    global _enabled
    if not _enabled:
        locks.track_sites(True)
    _enabled = True
    sys.setprofile(_profile)
    threading.setprofile(_profile)


def disable():
    """Stop warning; forget which call sites were already reported."""
    global _enabled
    if _enabled:
        locks.track_sites(False)
    _enabled = False
    sys.setprofile(None)
    threading.setprofile(None)
    _seen_sites.clear()


def enabled():
    """True while the FASTHUB_DEBUG checks are on."""
    return _enabled


def _enable_from_environment():
    if os.environ.get("FASTHUB_DEBUG", "") not in ("", "0"):
        enable()
