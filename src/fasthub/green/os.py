"""Green ``os``: read/write that wait in the hub, waitpid/wait that do not block it, and a fresh hub
in the child after fork().

- ``read``/``write`` on a non-blocking fd retry after parking the green thread until the fd is ready
  (instead of raising BlockingIOError). On a blocking pipe, socket or terminal they first wait until
  the fd is ready, so the call itself returns at once (a write larger than the free pipe space may
  still block). On regular files they are the plain calls: a disk read does not wait in epoll.
  The fd belongs to the caller, who may close it with a plain close(): so the hub waits on a private
  dup of it, which it forgets (notify_close) before closing. A hub that cached interest in the
  caller's fd number would otherwise miss the next file to get that number.
- ``waitpid(pid, 0)`` for one child opens a pidfd (Linux 5.3+) and parks until the child exits; for
  "any child" (-1, 0, a process group), for WUNTRACED/WCONTINUED, or where pidfd is missing it polls
  with WNOHANG, backing off from 1 ms to 50 ms. ``wait()`` is ``waitpid(-1, 0)``.
- After ``fork()`` the child drops the hub it inherited (its epoll fd is shared with the parent) and
  gets a new one on first use; green threads of the parent do not run in the child. The compiled hub
  (``fasthub.core._hub``) registers this reset when it is loaded, so ``os.fork()`` needs nothing here.

Every other name is the stdlib's ``os``.
"""

import errno as _errno
import fcntl as _fcntl
import os as _os
import select as _select
import stat as _stat
import sys as _sys

from fasthub.core._hub import (
    notify_close as _notify_close,
    sleep as _sleep,
    wait_read as _wait_read,
    wait_write as _wait_write,
)
from fasthub.core.originals import get_original
from fasthub.green._stdlib_like import like as _like

# The real functions, whether or not os is patched (then os.read is the green read below).
_real_read = get_original("os", "read")
_real_write = get_original("os", "write")
_real_waitpid = get_original("os", "waitpid")
_pidfd_open = getattr(_os, "pidfd_open", None)
_poll = _select.poll

for _name in dir(_os):
    if not _name.startswith("__"):
        globals()[_name] = getattr(_os, _name)
del _name

__green__ = ["read", "write", "waitpid", "wait"]


def _mode(fd):
    # (blocking, readable, writable) from one fcntl; None if fd is not open (the call will say so).
    try:
        flags = _fcntl.fcntl(fd, _fcntl.F_GETFL)
    except (OSError, ValueError, TypeError):
        return None
    access = flags & _os.O_ACCMODE
    return (not flags & _os.O_NONBLOCK, access != _os.O_WRONLY, access != _os.O_RDONLY)


def _pollable(fd):
    # Blocking fds worth waiting on in the hub first: pipes/FIFOs, sockets, terminals.
    try:
        mode = _os.fstat(fd).st_mode
    except OSError:
        return False
    return _stat.S_ISFIFO(mode) or _stat.S_ISSOCK(mode) or (_stat.S_ISCHR(mode) and _os.isatty(fd))


def _ready(fd, event):
    p = _poll()
    p.register(fd, event)
    return bool(p.poll(0))


def _wait_foreign(fd, wait):
    # Wait on a dup of the caller's fd and make the hub forget it before closing (module docstring).
    dup = _os.dup(fd)
    try:
        wait(dup)
    finally:
        try:
            _notify_close(dup)
        finally:
            _os.close(dup)


@_like(_real_read)
def read(fd, length, /):
    """Read at most ``length`` bytes from ``fd``; parks the green thread while nothing is available.
    Raises what os.read raises (OSError)."""
    mode = _mode(fd)
    if mode is None or not mode[1]:
        return _real_read(fd, length)  # raises the error (EBADF) the caller should see
    if mode[0]:
        if _pollable(fd) and not _ready(fd, _select.POLLIN):
            _wait_foreign(fd, _wait_read)
        return _real_read(fd, length)
    while True:
        try:
            return _real_read(fd, length)
        except BlockingIOError:
            _wait_foreign(fd, _wait_read)


@_like(_real_write)
def write(fd, data, /):
    """Write ``data`` to ``fd``, returning the number of bytes written (maybe fewer, like os.write);
    parks the green thread while the fd cannot take any. Raises what os.write raises."""
    mode = _mode(fd)
    if mode is None or not mode[2]:
        return _real_write(fd, data)  # raises the error (EBADF) the caller should see
    if mode[0]:
        if _pollable(fd) and not _ready(fd, _select.POLLOUT):
            _wait_foreign(fd, _wait_write)
        return _real_write(fd, data)
    while True:
        try:
            return _real_write(fd, data)
        except BlockingIOError:
            _wait_foreign(fd, _wait_write)


def _wait_exit_pidfd(pid):
    # True once the child is ready to be reaped; False if pidfd cannot be used for it.
    if _pidfd_open is None:
        return False
    try:
        pidfd = _pidfd_open(pid)
    except OSError as e:
        if e.errno in (_errno.ENOSYS, _errno.EINVAL, _errno.EPERM, _errno.EMFILE, _errno.ENFILE,
                       _errno.ESRCH):
            return False
        raise
    try:
        _wait_read(pidfd)
    finally:
        _notify_close(pidfd)
        _os.close(pidfd)
    return True


@_like(_real_waitpid)
def waitpid(pid, options, /):
    """Like os.waitpid, but waiting parks only the calling green thread (WNOHANG returns at once).
    Raises ChildProcessError if there is no such child."""
    if options & _os.WNOHANG:
        return _real_waitpid(pid, options)
    if pid > 0 and not options & (getattr(_os, "WUNTRACED", 0) | getattr(_os, "WCONTINUED", 0)):
        result = _real_waitpid(pid, options | _os.WNOHANG)
        if result[0] != 0:
            return result
        if _wait_exit_pidfd(pid):
            return _real_waitpid(pid, options)
    delay = 0.001
    while True:
        result = _real_waitpid(pid, options | _os.WNOHANG)
        if result[0] != 0:
            return result
        _sleep(delay)
        delay = min(delay * 2, 0.05)


@_like(get_original("os", "wait"))
def wait():
    """Like os.wait: wait for any child; parks only the calling green thread."""
    return waitpid(-1, 0)


if _sys.platform == "win32":  # pragma: no cover - fasthub runs on POSIX
    raise ImportError("fasthub.green.os supports POSIX only")
