"""psycopg 3 on fasthub: green waits in place of psycopg's C ``wait_c``.

psycopg 3 drives libpq in non-blocking mode from generators and hands each generator to a "wait"
function in ``psycopg.waiting``; with its C extension installed (``psycopg[binary]``/``[c]``) that
function is ``wait_c``, which blocks in C ``poll()`` and so freezes every green thread, patched socket
module or not. ``patch()`` replaces ``psycopg.waiting.wait`` and ``wait_conn`` (the functions psycopg's
sync Connection calls) with versions that park only the calling green thread in the hub. Async
connections (asyncio) are left alone.

``fasthub.monkey_patch()`` calls ``patch()`` when psycopg is installed.

Like psycopg's own waits, a ``timeout`` raises psycopg's wait-timeout error (which psycopg turns into
``ConnectionTimeout`` / ``CancellationTimeout``). The ``interval`` argument (psycopg wakes up every
``interval`` seconds to notice Ctrl-C) is not needed: the hub notices signals itself. A connection must
be used by one green thread at a time (psycopg's internal lock is green only under monkey_patch);
``fasthub.pool.ConnectionPool`` hands out one connection per green thread.
"""

import psycopg
from psycopg import errors as _e
from psycopg import waiting as _waiting

from fasthub.core._hub import (FdClosedError, Waiter, get_hub, monotonic, notify_close, wait_read,
                               wait_write)

__all__ = ["patch", "unpatch", "is_patched", "wait", "wait_conn"]

_WAIT_R = int(_waiting.Wait.R)
_WAIT_W = int(_waiting.Wait.W)
_READY_NONE = _waiting.Ready.NONE
_READY_R = _waiting.Ready.R
_READY_W = _waiting.Ready.W
# psycopg >= 3.2 raises its private _WaitTimeout and maps it per operation; older ones raise
# ConnectionTimeout directly.
_WaitTimeout = getattr(_e, "_WaitTimeout", _e.ConnectionTimeout)


class _Expired(Exception):
    """Our own timeout signal, never seen outside this module."""


_EXPIRED = _Expired()


def _wait_fd(fileno, state, deadline):
    """Park until ``fileno`` is ready for ``state`` (Wait.R / W / RW); return the Ready value, or
    Ready.NONE when ``deadline`` (monotonic seconds or None) passes first."""
    timeout = None if deadline is None else max(0.0, deadline - monotonic())
    try:
        if state == _WAIT_R:
            wait_read(fileno, timeout, _EXPIRED)
            return _READY_R
        if state == _WAIT_W:
            wait_write(fileno, timeout, _EXPIRED)
            return _READY_W
        return _wait_either(fileno, deadline)
    except _Expired:
        return _READY_NONE
    except FdClosedError as exc:
        raise _e.OperationalError("connection socket closed") from exc


def _wait_either(fileno, deadline):
    # Readable or writable, whichever comes first (libpq sending a large query while the server may
    # already answer): one Waiter woken by whichever listener fires first.
    hub = get_hub()
    w = Waiter()
    reader = hub.add_reader(fileno, w.switch, _READY_R)
    try:
        writer = hub.add_writer(fileno, w.switch, _READY_W)
    except BaseException:
        reader.cancel()
        raise
    timer = hub.timers.schedule(deadline, w, None) if deadline is not None else None
    try:
        ready = w.get()
    finally:
        reader.cancel()
        writer.cancel()
        if timer is not None:
            timer.cancel()
    return _READY_NONE if ready is None else ready


def wait(gen, fileno, interval=None, timeout=None):
    """Run psycopg generator ``gen`` on socket ``fileno`` to completion, parking the calling green
    thread while it waits; return the generator's result.

    Raises psycopg's wait-timeout error if ``timeout`` seconds pass first, OperationalError if the
    socket is closed meanwhile, and whatever the generator raises.
    """
    deadline = None if timeout is None else monotonic() + timeout
    try:
        state = next(gen)
        while True:
            ready = _wait_fd(fileno, state, deadline)
            state = gen.send(ready)
            if ready is _READY_NONE:
                raise _WaitTimeout("wait timeout expired")
    except StopIteration as ex:
        return ex.value


def wait_conn(gen, interval=None, timeout=None):
    """Like ``wait()`` for connection generators, which yield ``(fileno, state)``: the socket may
    change while connecting (several hosts, SSL negotiation)."""
    deadline = None if timeout is None else monotonic() + timeout
    known_fd = -1
    try:
        fileno, state = next(gen)
        while True:
            if fileno != known_fd:
                # A socket libpq just opened: its number may have belonged to one libpq closed
                # from C without notify_close(). Make the hub forget that one, or a registration it
                # cached for the old socket can leave this wait unwoken (epoll; see HUB-BUGS.md).
                notify_close(fileno)
                known_fd = fileno
            ready = _wait_fd(fileno, state, deadline)
            fileno, state = gen.send(ready)
            if ready is _READY_NONE:
                raise _WaitTimeout("wait timeout expired")
    except StopIteration as ex:
        return ex.value


_originals = {}
_ACTIVE = psycopg.pq.TransactionStatus.ACTIVE


def _connection_wait(self, *args, **kwargs):
    # psycopg.Connection.wait, plus: if a green interruption (Timeout, kill) lands while a query is
    # in flight, libpq is mid-protocol and every later query would fail with "another command is
    # already in progress". psycopg only cancels on KeyboardInterrupt; we close the connection so it
    # reports closed/broken and pools discard it.
    try:
        return _originals["Connection.wait"](self, *args, **kwargs)
    except BaseException as exc:
        if not isinstance(exc, psycopg.Error) and not isinstance(exc, KeyboardInterrupt):
            pgconn = self.pgconn
            if pgconn.transaction_status == _ACTIVE:
                try:
                    get_hub().notify_close(pgconn.socket)
                except Exception:
                    pass
                pgconn.finish()
        raise


_connection_wait.__doc__ = psycopg.Connection.wait.__doc__


def patch():
    """Make psycopg's sync connections green (idempotent). Returns None."""
    for name, green in (("wait", wait), ("wait_conn", wait_conn)):
        current = getattr(_waiting, name)
        if current is not green:
            _originals.setdefault(name, current)
            setattr(_waiting, name, green)
    if psycopg.Connection.wait is not _connection_wait:
        _originals.setdefault("Connection.wait", psycopg.Connection.wait)
        psycopg.Connection.wait = _connection_wait


def unpatch():
    """Restore psycopg's own wait functions."""
    for name, original in _originals.items():
        if name == "Connection.wait":
            psycopg.Connection.wait = original
        else:
            setattr(_waiting, name, original)
    _originals.clear()


def is_patched():
    """True if psycopg's sync waits are fasthub's."""
    return _waiting.wait is wait and _waiting.wait_conn is wait_conn


# Version check kept here, where it matters: these names are what psycopg's Connection calls.
if not (callable(getattr(_waiting, "wait", None)) and callable(getattr(_waiting, "wait_conn", None))):
    raise ImportError(f"fasthub.integrations.psycopg: psycopg {psycopg.__version__} has no "
                      "psycopg.waiting.wait/wait_conn; psycopg >= 3.1 is supported")
