"""fasthub.pool.ConnectionPool against a real PostgreSQL (psycopg2 and psycopg 3)."""

import sqlite3
import time
import uuid

import pytest

import fasthub
from fasthub.pool import ConnectionPool, PoolClosed, PoolTimeout

from integ_support import need


@pytest.fixture(params=["psycopg2", "psycopg"])
def driver(request):
    """(connect function, name) with the driver made green for this test."""
    need(request.param)
    integ = __import__(f"fasthub.integrations.{request.param}", fromlist=["patch"])
    integ.patch()
    yield __import__(request.param).connect
    integ.unpatch()


@pytest.fixture
def app_name():
    return "fh-" + uuid.uuid4().hex[:12]


def server_connections(dsn, app_name):
    """How many connections PostgreSQL sees with this application_name (asked over a separate,
    plain connection)."""
    psycopg2 = need("psycopg2")
    conn = psycopg2.connect(dsn)
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app_name,))
        return cur.fetchone()[0]
    finally:
        conn.close()


def server_connections_settle(dsn, app_name, want, within=5.0):
    """server_connections() once it reaches ``want``, or its last value after ``within`` seconds: a
    closed client connection's backend leaves pg_stat_activity a moment after the client hung up
    (asynchronously on the server side), so a count taken at once can still see it."""
    deadline = time.monotonic() + within
    while True:
        n = server_connections(dsn, app_name)
        if n == want or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def backend_pid(conn):
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    return cur.fetchone()[0]


def test_bounds_connections_and_queues_green_threads(driver, pg_dsn, app_name):
    pool = ConnectionPool(driver, pg_dsn, application_name=app_name, max_size=5, timeout=10)
    in_use = [0]
    peak = [0]
    seen = []

    def work(i):
        with pool.connection() as conn:
            in_use[0] += 1
            peak[0] = max(peak[0], in_use[0])
            cur = conn.cursor()
            cur.execute("SELECT pg_sleep(0.1), %s", (i,))
            seen.append(cur.fetchone()[1])
            in_use[0] -= 1

    t0 = time.monotonic()
    fasthub.joinall([fasthub.spawn(work, i) for i in range(20)], raise_error=True)
    elapsed = time.monotonic() - t0
    try:
        assert sorted(seen) == list(range(20))
        assert peak[0] == 5, "the pool must use all max_size connections, and never more"
        assert pool.size == 5 and pool.free() == 5 and pool.waiting() == 0
        assert server_connections(pg_dsn, app_name) == 5
        # 20 jobs of 0.1 s through 5 connections: 4 rounds. Not less (bounded), not serial (2 s).
        assert 0.35 <= elapsed < 1.8, elapsed
    finally:
        pool.close()
    assert server_connections_settle(pg_dsn, app_name, 0) == 0


def _counting_sqlite(opened):
    def connect():
        conn = sqlite3.connect(":memory:")
        opened.append(conn)
        return conn
    return connect


def test_a_connection_handed_to_a_waiter_still_counts_against_max_size():
    # put() hands the connection to the longest waiter, which runs later; a get() in between saw a
    # free slot and opened one more connection than max_size (bench/test_soak.py found 10 of 8).
    opened = []
    pool = ConnectionPool(_counting_sqlite(opened), max_size=2, timeout=10, check=None)

    def user():
        for _ in range(20):
            with pool.connection() as conn:
                conn.execute("SELECT 1")
                fasthub.sleep(0.001)
    try:
        fasthub.joinall([fasthub.spawn(user) for _ in range(8)], raise_error=True)
        assert len(opened) == 2 and pool.size == 2, (len(opened), pool)
    finally:
        pool.close()


def test_a_waiter_killed_after_the_hand_off_passes_the_connection_on():
    opened = []
    pool = ConnectionPool(_counting_sqlite(opened), max_size=1, timeout=10, check=None)
    try:
        conn = pool.get()
        waiter = fasthub.spawn(pool.get)
        fasthub.sleep(0)                     # the waiter parks in get()
        waiter.kill(block=False)             # the kill is on its way ...
        pool.put(conn)                       # ... when put() hands it the connection
        with pytest.raises(fasthub.GreenletExit):
            waiter.wait()
        assert pool.size == 1 and pool.free() == 1, pool
        with pool.connection(timeout=1) as again:
            assert again is conn and len(opened) == 1
    finally:
        pool.close()


def test_checkout_timeout(driver, pg_dsn):
    with ConnectionPool(driver, pg_dsn, max_size=1, timeout=0.2) as pool:
        held = pool.get()
        t0 = time.monotonic()
        with pytest.raises(PoolTimeout, match="max_size=1"):
            pool.get()
        assert 0.15 <= time.monotonic() - t0 < 1.5
        # A waiter gets the connection as soon as it is given back.
        gt = fasthub.spawn(pool.get, 5)
        fasthub.sleep(0.05)
        assert pool.waiting() == 1
        pool.put(held)
        got = gt.wait()
        assert got is held
        pool.put(got)


def test_broken_connection_is_replaced(driver, pg_dsn, app_name):
    with ConnectionPool(driver, pg_dsn, application_name=app_name, max_size=2,
                        check_idle=0) as pool:
        conn = pool.get()
        pid = backend_pid(conn)
        pool.put(conn)
        # Kill its server process from outside, as a failover or idle-killer would.
        killer = need("psycopg2").connect(pg_dsn)
        killer.autocommit = True
        killer.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
        killer.close()
        fasthub.sleep(0.1)
        with pool.connection() as conn2:
            assert backend_pid(conn2) != pid
        assert pool.size == 1
        assert server_connections(pg_dsn, app_name) == 1


def test_connection_closed_by_user_is_discarded(driver, pg_dsn):
    with ConnectionPool(driver, pg_dsn, max_size=1, timeout=2) as pool:
        with pool.connection() as conn:
            first = conn
            conn.close()
        assert pool.size == 0
        with pool.connection() as conn:
            assert conn is not first
            cur = conn.cursor()
            cur.execute("SELECT 5")
            assert cur.fetchone()[0] == 5


def test_idle_connections_expire_down_to_min_size(driver, pg_dsn, app_name):
    with ConnectionPool(driver, pg_dsn, application_name=app_name, min_size=1, max_size=4,
                        max_idle=0.2) as pool:
        assert pool.size == 1
        conns = [pool.get() for _ in range(3)]
        for c in conns:
            pool.put(c)
        assert pool.size == 3 and server_connections(pg_dsn, app_name) == 3
        deadline = time.monotonic() + 5
        while pool.size > 1 and time.monotonic() < deadline:
            fasthub.sleep(0.05)
        assert pool.size == 1
        assert server_connections(pg_dsn, app_name) == 1


def test_max_age(driver, pg_dsn):
    with ConnectionPool(driver, pg_dsn, max_size=1, max_age=0.1) as pool:
        conn = pool.get()
        fasthub.sleep(0.15)
        pool.put(conn)
        assert pool.size == 0 and conn.closed


def test_commit_on_success_rollback_on_error(driver, pg_dsn):
    table = "fh_pool_" + uuid.uuid4().hex[:10]
    with ConnectionPool(driver, pg_dsn, max_size=2) as pool:
        with pool.connection() as conn:
            conn.cursor().execute(f"CREATE TABLE {table} (v int)")
        try:
            with pool.connection() as conn:
                conn.cursor().execute(f"INSERT INTO {table} VALUES (1)")
            with pytest.raises(ZeroDivisionError):
                with pool.connection() as conn:
                    conn.cursor().execute(f"INSERT INTO {table} VALUES (2)")
                    1 / 0
            with pool.connection() as conn:
                cur = conn.cursor()
                cur.execute(f"SELECT v FROM {table} ORDER BY v")
                assert cur.fetchall() == [(1,)]
        finally:
            with pool.connection() as conn:
                conn.cursor().execute(f"DROP TABLE {table}")


def test_close_wakes_waiters_and_closes_connections(driver, pg_dsn, app_name, hub_errors):
    pool = ConnectionPool(driver, pg_dsn, application_name=app_name, min_size=1, max_size=1)
    held = pool.get()
    waiter = fasthub.spawn(pool.get)
    fasthub.sleep(0.05)
    pool.close()
    with pytest.raises(PoolClosed):
        waiter.wait()
    hub_errors.take()   # the waiter's PoolClosed is also reported as an unhandled green exception
    with pytest.raises(PoolClosed):
        pool.get()
    pool.put(held)      # a connection out during close() is closed when it comes back
    assert held.closed
    assert server_connections_settle(pg_dsn, app_name, 0) == 0


def test_failed_connect_frees_its_slot(pg_dsn):
    psycopg2 = need("psycopg2")
    bad = pg_dsn.replace("fasthub:fasthub@", "fasthub:wrong@")
    with ConnectionPool(psycopg2, bad, max_size=1) as pool:
        for _ in range(2):
            with pytest.raises(psycopg2.OperationalError):
                pool.get()
            assert pool.size == 0


def test_misuse_is_reported_clearly(pg_dsn):
    psycopg2 = need("psycopg2")
    with pytest.raises(ValueError, match="min_size"):
        ConnectionPool(psycopg2.connect, pg_dsn, min_size=3, max_size=2)
    with pytest.raises(TypeError, match="connect"):
        ConnectionPool(object())
    with ConnectionPool(psycopg2.connect, pg_dsn) as pool:
        stranger = psycopg2.connect(pg_dsn)
        try:
            with pytest.raises(ValueError, match="not checked out"):
                pool.put(stranger)
        finally:
            stranger.close()
