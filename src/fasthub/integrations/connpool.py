"""A green connection pool for any DB-API 2 driver (exposed as ``fasthub.pool.ConnectionPool``).

Green threads make it cheap to run hundreds of queries at once, and equally cheap to open hundreds of
database connections by accident; a pool bounds them. ``ConnectionPool(psycopg2.connect, dsn,
max_size=20)`` opens at most 20 connections, hands one to each green thread that asks, makes the others
wait (FIFO, with a timeout), checks a connection's health before handing it out, closes connections
that sat idle too long or lived too long, and throws away connections that broke.

Names follow eventlet's ``db_pool.ConnectionPool`` (``get``/``put``/``item``, ``min_size``,
``max_size``, ``max_idle``, ``max_age``) and psycopg_pool's (``connection()``, ``getconn``/``putconn``,
``check``), so code written for either moves over by a rename.

One pool belongs to one OS thread's hub; green threads of that hub share it. It is not for sharing
between OS threads.
"""

import time
from collections import deque
from contextlib import contextmanager

from fasthub.core._greenthread import spawn_after
from fasthub.core._hub import monotonic
from fasthub.core._waitlist import ParkTimeout, WaitList

__all__ = ["ConnectionPool", "PoolTimeout", "PoolClosed"]


class PoolTimeout(TimeoutError):
    """No connection became free within the checkout timeout (all ``max_size`` are in use)."""


class PoolClosed(RuntimeError):
    """The pool was closed; it hands out no more connections."""


_CLOSED = object()   # the wake-up close() gives the green threads waiting in get()


class _Entry:
    __slots__ = ("conn", "created", "returned")

    def __init__(self, conn, now):
        self.conn = conn
        self.created = now
        self.returned = now


def _is_closed(conn):
    # DB-API has no standard "closed" flag; the common drivers have one of these. psycopg2: closed
    # is an int (2 = broken); psycopg 3: closed/broken bools; PyMySQL/MySQLdb: open.
    if getattr(conn, "closed", False) or getattr(conn, "broken", False):
        return True
    return getattr(conn, "open", True) is False


def ping(conn):
    """The default health check: run ``SELECT 1`` and end the transaction it may have opened.
    Raises whatever the driver raises for a dead connection."""
    cur = conn.cursor()
    try:
        cur.execute("SELECT 1")
        cur.fetchall()
    finally:
        cur.close()
    conn.rollback()


class ConnectionPool:
    """A bounded pool of DB-API connections for green threads.

    ``connect``: a callable returning a new connection (``psycopg2.connect``) or a DB-API module
    (its ``connect`` is used); ``*args, **kwargs`` are passed to it. ``min_size`` connections are
    opened now and kept open; at most ``max_size`` exist at once. ``timeout``: seconds ``get()`` waits
    for a free connection before raising PoolTimeout (None: forever). ``max_idle``: an idle connection
    beyond ``min_size`` is closed after that many seconds; ``max_age``: a connection is closed when it
    is returned after living that long (None: no limit). ``check(conn)``: health check run on checkout
    for connections idle at least ``check_idle`` seconds (default: ``ping``, ``SELECT 1``; a connection
    the driver already reports closed is never handed out); if it raises or returns False the
    connection is closed and another one is used.
    """

    def __init__(self, connect, *args, min_size=0, max_size=10, timeout=30.0, max_idle=600.0,
                 max_age=None, check=ping, check_idle=5.0, **kwargs):
        if not callable(connect):
            connect = getattr(connect, "connect", None)
            if not callable(connect):
                raise TypeError("fasthub.pool.ConnectionPool: pass a connect function "
                                "(e.g. psycopg2.connect) or a DB-API module with connect()")
        if max_size < 1:
            raise ValueError(f"fasthub.pool.ConnectionPool: max_size must be >= 1, not {max_size}")
        if not 0 <= min_size <= max_size:
            raise ValueError(f"fasthub.pool.ConnectionPool: min_size must be between 0 and "
                             f"max_size ({max_size}), not {min_size}")
        self._connect = connect
        self._args = args
        self._kwargs = kwargs
        self.min_size = min_size
        self.max_size = max_size
        self.timeout = timeout
        self.max_idle = max_idle
        self.max_age = max_age
        self.check = check
        self.check_idle = check_idle
        self._idle = deque()          # _Entry, most recently returned on the right
        self._busy = {}               # id(conn) -> _Entry for checked-out connections
        self._opening = 0             # connections being opened right now (count against max_size)
        self._waiters = WaitList()    # green threads blocked in get()
        self._handing = 0             # connections put() handed to a waiter that has not run yet
        self._reaper = None
        self._closed = False
        for _ in range(min_size):
            self._opening += 1
            try:
                entry = self._open()
            finally:
                self._opening -= 1
            self._idle.append(entry)

    # -- introspection ------------------------------------------------------------------------------

    @property
    def size(self):
        """Connections that exist now: idle + checked out + being opened + handed to a waiter."""
        return len(self._idle) + len(self._busy) + self._opening + self._handing

    @property
    def closed(self):
        return self._closed

    def free(self):
        """How many get() calls would not wait now (eventlet's name)."""
        return len(self._idle) + self.max_size - self.size

    def waiting(self):
        """How many green threads wait in get() (eventlet's name)."""
        return len(self._waiters)

    def __repr__(self):
        return (f"<fasthub ConnectionPool size={self.size}/{self.max_size} idle={len(self._idle)} "
                f"waiting={len(self._waiters)}{' closed' if self._closed else ''}>")

    # -- checkout -----------------------------------------------------------------------------------

    def get(self, timeout=None):
        """Check out a connection; blocks the calling green thread while all ``max_size`` are in use.

        ``timeout`` overrides the pool's. Raises PoolTimeout when it expires, PoolClosed if the pool
        is (or gets) closed, and whatever the driver's connect raises when a new connection fails.
        Give it back with put(), or use ``with pool.connection() as conn:``.
        """
        if timeout is None:
            timeout = self.timeout
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            if self._closed:
                raise PoolClosed("fasthub.pool.ConnectionPool is closed")
            entry = self._take_idle()
            if entry is None and self.size < self.max_size:
                self._opening += 1
                try:
                    entry = self._open()
                except BaseException:
                    self._opening -= 1
                    self._wake_one()   # the slot we reserved is free again
                    raise
                self._opening -= 1
                if self._closed:
                    self._close_conn(entry.conn)
                    raise PoolClosed("fasthub.pool.ConnectionPool was closed while connecting")
            if entry is None:
                entry = self._wait(deadline, timeout)
                if entry is None:       # woken because a slot freed up: loop and open one
                    continue
            if self._healthy(entry):
                self._busy[id(entry.conn)] = entry
                return entry.conn
            self._close_conn(entry.conn)   # broken: its slot is free, try again

    getconn = get   # psycopg_pool's name

    def _take_idle(self):
        now = time.monotonic()
        while self._idle:
            entry = self._idle.pop()      # most recently used: warm, and lets the oldest expire
            if self.max_age is not None and now - entry.created >= self.max_age:
                self._close_conn(entry.conn)
                continue
            return entry
        return None

    def _healthy(self, entry):
        conn = entry.conn
        if _is_closed(conn):
            return False
        if self.check is None or time.monotonic() - entry.returned < self.check_idle:
            return True
        try:
            return self.check(conn) is not False
        except Exception:
            return False

    def _wait(self, deadline, timeout):
        # Park until put() hands us a connection (returns its entry), a slot frees up (returns None),
        # the deadline passes (PoolTimeout) or the pool closes (PoolClosed).
        try:
            woken = self._waiters.park(deadline, None, self._give_back, False, self)
        except ParkTimeout:
            raise PoolTimeout(
                f"fasthub.pool.ConnectionPool: no connection became free within {timeout} s "
                f"(all max_size={self.max_size} in use); raise max_size or give connections back "
                f"sooner (use `with pool.connection() as conn:`)") from None
        if woken is _CLOSED:
            raise PoolClosed("fasthub.pool.ConnectionPool was closed while waiting")
        if woken is not None:
            self._handing -= 1
        return woken

    def _give_back(self, woken):
        # A waiter killed after it was woken (the WaitList's pass_on): the connection it was handed
        # goes to the next waiter or back to idle; a freed slot goes to the next waiter.
        if woken is None:
            self._wake_one()
        else:
            self._handing -= 1
            self._hand_over(woken)

    def _open(self):
        conn = self._connect(*self._args, **self._kwargs)
        return _Entry(conn, time.monotonic())

    # -- return -------------------------------------------------------------------------------------

    def put(self, conn):
        """Give back a connection from get(). An open transaction is rolled back; a connection that
        is broken, fails to roll back, is past ``max_age``, or comes back to a closed pool is
        closed. Never blocks on the pool (the rollback is one round trip). Raises ValueError for a
        connection this pool did not hand out."""
        entry = self._busy.pop(id(conn), None)
        if entry is None or entry.conn is not conn:
            raise ValueError("fasthub.pool.ConnectionPool.put(): this connection was not checked "
                             "out of this pool (or was already put back)")
        if self._closed or _is_closed(conn):
            self._discard(conn)
            return
        try:
            conn.rollback()
        except Exception:
            self._discard(conn)
            return
        now = time.monotonic()
        if self.max_age is not None and now - entry.created >= self.max_age:
            self._discard(conn)
            return
        entry.returned = now
        self._hand_over(entry)

    putconn = put   # psycopg_pool's name

    def _hand_over(self, entry):
        # Straight to the longest waiter (no barging), else idle. The waiter runs later: until then
        # the entry counts in _handing against max_size, or a get() in between would open a
        # connection beyond max_size.
        if self._closed:
            self._close_conn(entry.conn)
        elif self._waiters.unpark_one(entry):
            self._handing += 1
        else:
            self._idle.append(entry)
            self._schedule_reap()

    def _discard(self, conn):
        self._close_conn(conn)
        self._wake_one()

    def _wake_one(self):
        # A slot freed up: let one waiter open a new connection.
        self._waiters.unpark_one(None)

    @staticmethod
    def _close_conn(conn):
        try:
            conn.close()
        except Exception:
            pass

    @contextmanager
    def connection(self, timeout=None):
        """``with pool.connection() as conn:`` checks out a connection for the block, commits when
        the block succeeds and rolls back when it raises, then gives it back (psycopg_pool's
        behaviour). If commit or rollback fails the connection is closed, not reused. Blocks and
        raises like get()."""
        conn = self.get(timeout)
        try:
            yield conn
        except BaseException:
            try:
                if not _is_closed(conn):
                    conn.rollback()
            except Exception:
                self._close_conn(conn)
            raise
        else:
            try:
                if not _is_closed(conn):   # closed in the block: nothing to commit, put() drops it
                    conn.commit()
            except Exception:
                self._close_conn(conn)   # put() sees it closed and discards it
                raise
        finally:
            self.put(conn)

    item = connection   # eventlet's name

    # -- expiry and closing -------------------------------------------------------------------------

    def reap(self):
        """Close idle connections beyond ``min_size`` that have been idle ``max_idle`` seconds or
        are past ``max_age``. Runs by itself in a green thread; call it to trim now."""
        now = time.monotonic()
        keep = deque()
        removed = 0
        for entry in self._idle:   # oldest first
            too_old = self.max_age is not None and now - entry.created >= self.max_age
            too_idle = self.max_idle is not None and now - entry.returned >= self.max_idle
            if (too_old or too_idle) and self.size - removed > self.min_size:
                self._close_conn(entry.conn)
                removed += 1
                continue
            keep.append(entry)
        self._idle = keep
        return removed

    def _schedule_reap(self):
        if self.max_idle is None or self._reaper is not None or self._closed:
            return
        if len(self._idle) + len(self._busy) <= self.min_size:
            return
        self._reaper = spawn_after(self.max_idle, self._run_reaper)

    def _run_reaper(self):
        self._reaper = None
        self.reap()
        if self._idle:
            # Check again when the oldest remaining idle connection may expire.
            oldest = min(e.returned for e in self._idle)
            delay = max(0.01, oldest + self.max_idle - time.monotonic())
            if len(self._idle) + len(self._busy) > self.min_size and not self._closed:
                self._reaper = spawn_after(delay, self._run_reaper)

    def close(self):
        """Close the idle connections now and each checked-out one when it is put back; green
        threads waiting in get() raise PoolClosed. Idempotent."""
        if self._closed:
            return
        self._closed = True
        reaper, self._reaper = self._reaper, None
        if reaper is not None:
            reaper.kill(block=False)   # not started yet: it never runs
        idle, self._idle = self._idle, deque()
        for entry in idle:
            self._close_conn(entry.conn)
        self._waiters.unpark_all(_CLOSED)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
