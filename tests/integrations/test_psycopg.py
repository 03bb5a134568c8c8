"""psycopg2 and psycopg 3 against a real PostgreSQL: green waits, concurrency, timeouts."""

import hashlib
import socket
import time

import pytest

import fasthub
import fasthub.sync.groups
from fasthub.sync.timeout import Timeout

from integ_support import need

N = 50
SLEEP = 0.2
# 50 sequential pg_sleep(0.2) take 10 s; concurrent ones about 0.3 s. The bound leaves room for a
# loaded 2-core machine (50 connection handshakes included) and still fails on any serialisation.
BOUND = 3.0


@pytest.fixture
def psycopg2_green():
    need("psycopg2")
    from fasthub.integrations import psycopg2 as integ
    integ.patch()
    yield __import__("psycopg2")
    integ.unpatch()


@pytest.fixture
def psycopg_green():
    need("psycopg")
    from fasthub.integrations import psycopg as integ
    integ.patch()
    yield __import__("psycopg")
    integ.unpatch()


@pytest.fixture(params=["psycopg2", "psycopg"])
def green_driver(request):
    """Each driver in turn, made green by its integration's patch() (undone afterwards)."""
    need(request.param)
    integ = __import__(f"fasthub.integrations.{request.param}", fromlist=["patch"])
    integ.patch()
    yield __import__(request.param)
    integ.unpatch()


def _ticker(stop):
    """Counts hub turns while queries run: proves the OS thread is not blocked."""
    ticks = [0]

    def run():
        while not stop:
            fasthub.sleep(0.01)
            ticks[0] += 1
    return fasthub.spawn(run), ticks


def _run_concurrently(query):
    stop = []
    ticker, ticks = _ticker(stop)
    t0 = time.monotonic()
    gts = [fasthub.spawn(query, i) for i in range(N)]
    results = [gt.wait() for gt in gts]
    elapsed = time.monotonic() - t0
    stop.append(1)
    ticker.wait()
    return results, elapsed, ticks[0]


def test_psycopg2_queries_run_concurrently(psycopg2_green, pg_dsn):
    psycopg2 = psycopg2_green

    def query(i):
        conn = psycopg2.connect(pg_dsn)
        try:
            cur = conn.cursor()
            cur.execute("SELECT pg_sleep(%s), %s * 2", (SLEEP, i))
            return cur.fetchone()[1]
        finally:
            conn.close()

    results, elapsed, ticks = _run_concurrently(query)
    assert results == [i * 2 for i in range(N)]
    assert elapsed < BOUND, f"{N} x pg_sleep({SLEEP}) took {elapsed:.2f}s: not concurrent"
    assert ticks >= 5, "the hub did not run other green threads while psycopg2 waited"


def test_psycopg_queries_run_concurrently(psycopg_green, pg_dsn):
    psycopg = psycopg_green

    def query(i):
        with psycopg.connect(pg_dsn) as conn:
            return conn.execute("SELECT pg_sleep(%s), %s::int * 3", (SLEEP, i)).fetchone()[1]

    results, elapsed, ticks = _run_concurrently(query)
    assert results == [i * 3 for i in range(N)]
    assert elapsed < BOUND, f"{N} x pg_sleep({SLEEP}) took {elapsed:.2f}s: not concurrent"
    assert ticks >= 5, "the hub did not run other green threads while psycopg waited"


def test_psycopg_without_patch_blocks_the_hub(pg_dsn):
    # The reference: psycopg's own C wait blocks the OS thread, so two sleeps serialise. This is
    # what patch() fixes; if psycopg ever stops doing it, this test says so.
    psycopg = need("psycopg")
    from fasthub.integrations import psycopg as integ
    integ.unpatch()
    if psycopg.waiting.wait.__name__ != "wait_c":
        pytest.skip("psycopg's C extension is not in use: nothing blocks to compare against")
    conns = [psycopg.connect(pg_dsn) for _ in range(2)]
    try:
        t0 = time.monotonic()
        gts = [fasthub.spawn(c.execute, "SELECT pg_sleep(0.3)") for c in conns]
        for gt in gts:
            gt.wait()
        assert time.monotonic() - t0 >= 0.55
    finally:
        for c in conns:
            c.close()


def test_psycopg_large_query_round_trips(psycopg_green, pg_dsn):
    # An 8 MB parameter makes libpq flush in pieces: write waits and read-or-write waits.
    payload = "x" * (8 << 20)
    with psycopg_green.connect(pg_dsn) as conn:
        gts = [fasthub.spawn(lambda: conn.execute("SELECT length(%s), md5(%s)",
                                                  (payload, payload)).fetchone())]
        length, digest = gts[0].wait()

    assert length == len(payload)
    assert digest == hashlib.md5(payload.encode()).hexdigest()


def test_psycopg2_timeout_closes_connection(psycopg2_green, pg_dsn):
    conn = psycopg2_green.connect(pg_dsn)
    t0 = time.monotonic()
    with pytest.raises(Timeout):
        with Timeout(0.2):
            conn.cursor().execute("SELECT pg_sleep(5)")
    assert time.monotonic() - t0 < 2.0
    assert conn.closed, "an interrupted psycopg2 query must not leave the connection usable"
    with pytest.raises(psycopg2_green.InterfaceError):
        conn.cursor().execute("SELECT 1")


def test_psycopg_timeout_breaks_connection_and_others_go_on(psycopg_green, pg_dsn):
    psycopg = psycopg_green
    victim = psycopg.connect(pg_dsn)
    other = psycopg.connect(pg_dsn, autocommit=True)
    try:
        bystander = fasthub.spawn(lambda: other.execute("SELECT pg_sleep(0.3), 'ok'").fetchone()[1])
        t0 = time.monotonic()
        with pytest.raises(Timeout):
            with Timeout(0.1):
                victim.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - t0 < 2.0
        assert victim.closed and victim.broken
        with pytest.raises(psycopg.OperationalError):
            victim.execute("SELECT 1")
        assert bystander.wait() == "ok"
        assert other.execute("SELECT 41 + 1").fetchone()[0] == 42
    finally:
        victim.close()
        other.close()


def test_a_cancel_scope_interrupts_a_query_and_the_pool_goes_on(green_driver, pg_dsn):
    # Green DB waits are hub waits: move_on_after() ends a query like any other wait, and the
    # interrupted connection is closed, not left mid-protocol. A task group around the queries
    # cancels its sibling queries when one fails.
    module = green_driver
    conn = module.connect(pg_dsn)
    other = module.connect(pg_dsn)
    t0 = time.monotonic()
    with fasthub.move_on_after(0.2) as scope:
        conn.cursor().execute("SELECT pg_sleep(5)")
    assert scope.cancelled_caught and time.monotonic() - t0 < 2.0
    assert conn.closed
    cur = other.cursor()
    cur.execute("SELECT 40 + 2")
    assert cur.fetchone()[0] == 42

    def failing():
        fasthub.sleep(0.1)
        raise ValueError("bad row")

    sleepers = [module.connect(pg_dsn) for _ in range(3)]
    t0 = time.monotonic()
    with pytest.raises(fasthub.sync.groups.ExceptionGroup) as info:
        with fasthub.TaskGroup() as tg:
            for c in sleepers:
                tg.spawn(lambda c=c: c.cursor().execute("SELECT pg_sleep(5)"))
            tg.spawn(failing)
    assert [type(e) for e in info.value.exceptions] == [ValueError]
    assert time.monotonic() - t0 < 2.0 and all(c.closed for c in sleepers)
    other.close()


def test_psycopg_connect_timeout_is_green(psycopg_green):
    # A server that accepts and never answers. psycopg.connect(connect_timeout=N) runs its connect
    # generator through our wait_conn(timeout=N) and turns our timeout error into ConnectionTimeout
    # (libpq's minimum N is 2 s, so the generator is driven directly here with 0.4 s): the timeout
    # must fire, and other green threads must run meanwhile.
    psycopg = psycopg_green
    from fasthub.integrations import psycopg as integ
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(5)
    port = lsock.getsockname()[1]
    try:
        stop = []
        ticker, ticks = _ticker(stop)
        t0 = time.monotonic()
        gen = psycopg.generators.connect(f"host=127.0.0.1 port={port} user=x dbname=x sslmode=disable")
        with pytest.raises(integ._WaitTimeout):
            integ.wait_conn(gen, timeout=0.4)
        elapsed = time.monotonic() - t0
        stop.append(1)
        ticker.wait()
        assert 0.35 <= elapsed < 3.0
        assert ticks[0] >= 10
        assert issubclass(integ._WaitTimeout, psycopg.OperationalError)
    finally:
        lsock.close()


def test_patch_is_idempotent_and_reversible(pg_dsn):
    psycopg = need("psycopg")
    psycopg2 = need("psycopg2")
    from fasthub.integrations import psycopg as p3
    from fasthub.integrations import psycopg2 as p2
    before = psycopg.waiting.wait
    p3.patch()
    p3.patch()
    assert p3.is_patched() and psycopg.waiting.wait is p3.wait
    p3.unpatch()
    assert not p3.is_patched() and psycopg.waiting.wait is before
    p2.patch()
    p2.patch()
    assert p2.is_patched() and psycopg2.extensions.get_wait_callback() is p2.wait_callback
    p2.unpatch()
    assert not p2.is_patched() and psycopg2.extensions.get_wait_callback() is None


def test_new_connection_on_a_reused_fd_number_is_woken(green_driver, pg_dsn):
    # libpq closes sockets from C, without fasthub.notify_close(). If the hub still has a cached
    # registration for that number (here: write interest, from a socket closed behind its back),
    # the next connection's socket, which gets the same number, must still be waited on properly
    # (without the integration's notify_close on new sockets, epoll never wakes this connect).
    mod = green_driver
    for _ in range(3):
        a, b = socket.socketpair()
        fd = a.fileno()
        fasthub.wait_write(fd)
        a.close()     # stdlib sockets: closed without notify_close, as libpq does
        b.close()
        with Timeout(5):
            conn = mod.connect(pg_dsn)
        try:
            cur = conn.cursor()
            cur.execute("SELECT 7")
            assert cur.fetchone()[0] == 7
        finally:
            conn.close()


def test_psycopg_copy_runs_concurrently(psycopg_green, pg_dsn):
    # COPY goes through the same green waits (psycopg2 refuses COPY under a wait callback).
    psycopg = psycopg_green
    query = ("COPY (WITH s AS MATERIALIZED (SELECT pg_sleep(0.3)) "
             "SELECT g, %s FROM s, generate_series(1, 1000) g) TO STDOUT")

    def copy(i):
        with psycopg.connect(pg_dsn) as conn:
            with conn.cursor().copy(query, (i,)) as cp:
                return list(cp.rows())

    t0 = time.monotonic()
    results = [gt.wait() for gt in [fasthub.spawn(copy, i) for i in range(10)]]
    elapsed = time.monotonic() - t0
    for i, rows in enumerate(results):
        assert rows == [(str(g), str(i)) for g in range(1, 1001)]
    assert elapsed < 2.0, f"10 COPYs waiting 0.3 s each took {elapsed:.2f}s: not concurrent"
