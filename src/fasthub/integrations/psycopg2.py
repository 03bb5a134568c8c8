"""psycopg2 on fasthub: a wait callback that parks the green thread in the hub, not the OS thread.

psycopg2 talks to PostgreSQL through libpq in C, so socket patching cannot reach it. Its "green"
support (``psycopg2.extensions.set_wait_callback``) puts libpq in non-blocking mode and calls a Python
function whenever libpq would block; ``wait_callback`` below polls the connection and waits for its
socket with ``fasthub.wait_read``/``wait_write``. Every connection made after ``patch()`` is green:
connect, queries, named (server-side) cursors and LISTEN/NOTIFY (wait with ``fasthub.wait_read(
conn.fileno())``, then ``conn.poll()``) all yield to other green threads.

``fasthub.monkey_patch()`` calls ``patch()`` when psycopg2 is installed. Migrating from psycogreen:
``psycogreen.gevent.patch_psycopg()`` / ``psycogreen.eventlet.patch_psycopg()`` become ``patch()``.

Caveats (psycopg2's, not ours): with a wait callback installed, ``copy_from``/``copy_to``/
``copy_expert`` raise ProgrammingError (psycopg 3's COPY is green: see ``integrations.psycopg``); a
connection must be used by one green thread at a time (use ``fasthub.pool.ConnectionPool``); if the
wait is interrupted (a ``fasthub.Timeout``, ``kill()``), the query is still running on the server, so
psycopg2 closes the connection (``conn.closed == 2``) rather than leave it half-used.
"""

import psycopg2
from psycopg2 import extensions

from fasthub.core._hub import notify_close, wait_read, wait_write

__all__ = ["patch", "unpatch", "is_patched", "wait_callback"]

_POLL_OK = extensions.POLL_OK
_POLL_READ = extensions.POLL_READ
_POLL_WRITE = extensions.POLL_WRITE
_STATUS_SETUP = extensions.STATUS_SETUP


def wait_callback(conn):
    """psycopg2's wait callback: ``conn.poll()`` until POLL_OK, parking the calling green thread in
    the hub until the connection's socket is readable/writable.

    Raises psycopg2.OperationalError for an unexpected poll state, and whatever interrupts the wait
    (Timeout, GreenletExit, KeyboardInterrupt); psycopg2 then closes the connection, whose query
    state is unknown.
    """
    # A connection being set up has a socket libpq just opened. Its number may have belonged to a
    # socket libpq closed from C, without notify_close(): tell the hub to forget that one first, or
    # a cached registration for the old socket can leave this wait unwoken (epoll). See HUB-BUGS.md.
    fresh = conn.status == _STATUS_SETUP
    known_fd = -1
    while True:
        state = conn.poll()
        if state == _POLL_OK:
            return
        if fresh:
            fd = conn.fileno()
            if fd != known_fd:   # libpq may move to another socket (next host, SSL retry)
                notify_close(fd)
                known_fd = fd
        # If the wait is interrupted, psycopg2 marks the connection closed (closed == 2) itself: the
        # server may still be running the query, and libpq is mid-protocol.
        if state == _POLL_READ:
            wait_read(conn.fileno())
        elif state == _POLL_WRITE:
            wait_write(conn.fileno())
        else:
            raise psycopg2.OperationalError(f"fasthub: unexpected psycopg2 poll() state {state!r}")


def patch():
    """Install ``wait_callback`` as psycopg2's wait callback (idempotent). Connections opened
    afterwards are green. Returns None."""
    extensions.set_wait_callback(wait_callback)


def unpatch():
    """Remove the wait callback: new connections block the OS thread again."""
    if extensions.get_wait_callback() is wait_callback:
        extensions.set_wait_callback(None)


def is_patched():
    """True if psycopg2's wait callback is fasthub's."""
    return extensions.get_wait_callback() is wait_callback
