"""GreenPool and GreenPile: the size bound, blocking spawn, resize, imap/starmap/map/imap_unordered
ordering, laziness and exceptions, join/kill/waitall, and bounded concurrent clients over TCP."""

import itertools
import socket

import pytest
from greenlet import GreenletExit

import fasthub
from fasthub import GreenThread, sleep, spawn
from fasthub.sync.event import Event
from fasthub.pool import GreenPile, GreenPool


class Gauge:
    """Counts how many calls run at once."""

    def __init__(self):
        self.active = 0
        self.peak = 0

    def run(self, seconds, value=None):
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            sleep(seconds)
        finally:
            self.active -= 1
        return value


def test_spawn_returns_a_green_thread_and_counts():
    pool = GreenPool(4)
    assert pool.size == 4 and pool.free() == 4 and pool.running() == 0 and not pool.full()
    gt = pool.spawn(lambda x: x * 2, 21)
    assert isinstance(gt, GreenThread)
    assert pool.running() == 1 and pool.free() == 3 and gt in pool
    assert gt.wait() == 42
    pool.waitall()
    assert pool.running() == 0 and pool.free() == 4
    assert pool.spawn_n(lambda: None) is None
    pool.waitall()


def test_never_more_than_size_running():
    pool = GreenPool(3)
    gauge = Gauge()
    for _ in range(20):
        pool.spawn(gauge.run, 0.002)
        assert pool.running() <= 3
    pool.waitall()
    assert gauge.peak == 3


def test_spawn_blocks_while_full_and_waiting_counts_the_blocked():
    pool = GreenPool(2)
    release = Event()
    pool.spawn(release.wait)
    pool.spawn(release.wait)
    assert pool.full() and pool.free() == 0
    log = []

    def spawner():
        pool.spawn(lambda: log.append("third ran"))
        log.append("spawned")

    s = spawn(spawner)
    sleep(0.01)
    assert log == [] and pool.waiting() == 1
    release.set()
    s.wait()
    pool.waitall()
    assert log == ["spawned", "third ran"] and pool.waiting() == 0


def test_failing_and_killed_members_free_their_slots(hub_errors):
    pool = GreenPool(1)

    def boom():
        raise ValueError("boom")

    g = pool.spawn(boom)
    with pytest.raises(ValueError):
        g.wait()
    assert [type(e) for _, e in hub_errors.take()] == [ValueError]
    assert pool.free() == 1
    g = pool.spawn(sleep, 5)
    sleep(0)
    g.kill()
    assert pool.free() == 1 and pool.running() == 0
    # Killed before it even started.
    g = pool.spawn(sleep, 5)
    g.kill()
    assert pool.free() == 1
    pool.waitall()


def test_resize_up_wakes_blocked_spawners_and_down_limits_new_ones():
    pool = GreenPool(1)
    release = Event()
    pool.spawn(release.wait)
    started = []
    spawners = [spawn(lambda i=i: pool.spawn(started.append, i)) for i in range(3)]
    sleep(0.01)
    assert pool.waiting() == 3
    pool.resize(4)
    fasthub.joinall(spawners)
    sleep(0.01)
    assert started == [0, 1, 2] and pool.waiting() == 0
    release.set()
    pool.waitall()
    # Shrink below the number running: new spawns wait until fewer than the new size run.
    gauge = Gauge()
    for _ in range(4):
        pool.spawn(gauge.run, 0.02)
    pool.resize(2)
    assert pool.free() == -2 and pool.full()
    seen_at_start = []

    def late():
        seen_at_start.append(gauge.active)
        gauge.run(0.002)

    for _ in range(4):
        pool.spawn(late)
    pool.waitall()
    assert len(seen_at_start) == 4
    assert max(seen_at_start) <= 1  # each started with at most one other member running
    with pytest.raises(ValueError):
        pool.resize(-1)
    with pytest.raises(ValueError):
        GreenPool(-1)


def test_shrunk_pool_runs_at_most_the_new_size():
    pool = GreenPool(10)
    pool.resize(2)
    gauge = Gauge()
    for _ in range(8):
        pool.spawn(gauge.run, 0.002)
    pool.waitall()
    assert gauge.peak == 2


def test_spawn_from_a_member_of_a_full_pool_runs_inline_instead_of_deadlocking():
    pool = GreenPool(2)
    results = []

    def parent(i):
        child = pool.spawn(lambda: i * 10)  # the pool is full: runs in this green thread
        results.append(child.wait())
        return child

    gts = [pool.spawn(parent, i) for i in (1, 2)]
    children = [g.wait() for g in gts]
    assert sorted(results) == [10, 20]
    assert all(c.dead and c.successful() for c in children)
    pool.waitall()


def test_waitall_and_join_from_a_member_are_refused(hub_errors):
    pool = GreenPool()
    g = pool.spawn(pool.waitall)
    with pytest.raises(RuntimeError, match="forever"):
        g.wait()
    g2 = pool.spawn(pool.join)
    with pytest.raises(RuntimeError, match="forever"):
        g2.wait()
    # Reported by the hub too, like any exception escaping a green thread.
    assert [type(e) for _, e in hub_errors.take()] == [RuntimeError, RuntimeError]


def test_join_timeout_and_raise_error(hub_errors):
    pool = GreenPool()
    pool.spawn(sleep, 0.05)
    assert pool.join(timeout=0.01) is False
    assert pool.join(timeout=5) is True

    def fail():
        raise KeyError("first failure")

    pool.spawn(sleep, 0.001)
    pool.spawn(fail)
    with pytest.raises(KeyError):
        pool.join(raise_error=True)
    assert len(hub_errors.take()) == 1


def test_kill_stops_every_member():
    pool = GreenPool()
    gts = [pool.spawn(sleep, 10) for _ in range(5)]
    sleep(0)
    pool.kill()
    assert all(isinstance(g.exception, GreenletExit) for g in gts)
    assert pool.running() == 0 and pool.free() == pool.size


def test_imap_keeps_input_order_despite_completion_order():
    pool = GreenPool(10)
    delays = [0.02, 0.001, 0.01, 0.0, 0.005]
    out = list(pool.imap(lambda i, d: (sleep(d), i)[1], range(5), delays))
    assert out == [0, 1, 2, 3, 4]


def test_imap_raises_at_the_failing_position_and_only_to_the_consumer():
    pool = GreenPool(4)

    def f(x):
        if x == 3:
            raise ValueError(f"bad {x}")
        return x

    it = pool.imap(f, range(6))
    assert [next(it), next(it), next(it)] == [0, 1, 2]
    with pytest.raises(ValueError, match="bad 3"):
        next(it)
    pool.waitall()  # the hub reported nothing: the consumer got the exception


def test_imap_is_lazy_and_bounded_by_the_pool_size():
    pool = GreenPool(3)
    started = []

    def f(x):
        started.append(x)
        return x

    it = pool.imap(f, itertools.count())
    first = [next(it) for _ in range(5)]
    sleep(0.01)
    assert first == [0, 1, 2, 3, 4]
    assert len(started) <= 5 + 3
    it.close()
    pool.waitall()


def test_starmap_and_map():
    pool = GreenPool(2)
    assert list(pool.starmap(pow, [(2, 3), (3, 2), (10, 0)])) == [8, 9, 1]
    assert pool.map(lambda a, b: a + b, [1, 2, 3], [10, 20, 30]) == [11, 22, 33]
    assert pool.map(str, []) == []


def test_imap_unordered_yields_in_completion_order():
    pool = GreenPool(5)
    delays = {"slow": 0.04, "medium": 0.02, "fast": 0.0}
    out = list(pool.imap_unordered(lambda name: (sleep(delays[name]), name)[1], delays))
    assert out == ["fast", "medium", "slow"]


def test_imap_unordered_exceptions_and_bound():
    pool = GreenPool(2)
    gauge = Gauge()

    def f(x):
        gauge.run(0.002)
        if x == 4:
            raise KeyError(x)
        return x

    got = []
    with pytest.raises(KeyError):
        for value in pool.imap_unordered(f, range(8)):
            got.append(value)
    assert gauge.peak <= 2
    assert set(got) <= {0, 1, 2, 3, 5}
    pool.waitall()


def test_imap_unordered_survives_a_killed_call():
    pool = GreenPool(2)
    it = pool.imap_unordered(sleep, [10, 0.001])
    sleep(0)
    assert next(it) is None  # the quick one
    pool.kill(block=False)
    with pytest.raises(GreenletExit):
        next(it)  # delivered, not waited for forever


def test_green_pile_results_in_spawn_order():
    pile = GreenPile(4)
    for i, d in enumerate([0.03, 0.0, 0.01]):
        pile.spawn(lambda i, d: (sleep(d), i)[1], i, d)
    assert pile.counter == 3 and len(pile) == 3
    assert list(pile) == [0, 1, 2]
    with pytest.raises(StopIteration):
        next(pile)


def test_green_pile_exception_and_kwargs():
    pile = GreenPile()
    pile.spawn(dict, a=1)
    pile.spawn(int, "not a number")
    pile.spawn(lambda: "after")
    assert next(pile) == {"a": 1}
    with pytest.raises(ValueError):
        next(pile)
    assert pile.next() == "after"


def test_green_pile_on_a_shared_pool_respects_its_size():
    pool = GreenPool(2)
    gauge = Gauge()
    piles = [GreenPile(pool), GreenPile(pool)]
    for pile in piles:
        assert pile.pool is pool
        for i in range(4):
            pile.spawn(gauge.run, 0.002, i)
    assert [list(p) for p in piles] == [[0, 1, 2, 3], [0, 1, 2, 3]]
    assert gauge.peak == 2


def test_bounded_concurrent_clients_over_tcp():
    # A loopback server counts simultaneous connections; a GreenPool of 3 runs 12 client calls.
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    listener.setblocking(False)
    state = {"open": 0, "peak": 0, "served": 0}

    def handle(conn):
        state["open"] += 1
        state["peak"] = max(state["peak"], state["open"])
        try:
            fasthub.wait_read(conn, timeout=10)
            data = conn.recv(100)
            sleep(0.005)
            conn.sendall(data[::-1])
            state["served"] += 1
        finally:
            state["open"] -= 1
            fasthub.notify_close(conn)
            conn.close()

    def accept_loop():
        while True:
            fasthub.wait_read(listener)
            conn, _ = listener.accept()
            conn.setblocking(False)
            spawn(handle, conn)

    def call(word):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect_ex(listener.getsockname())
            fasthub.wait_write(c, timeout=10)
            c.sendall(word.encode())
            fasthub.wait_read(c, timeout=10)
            return c.recv(100).decode()
        finally:
            fasthub.notify_close(c)
            c.close()

    acceptor = spawn(accept_loop)
    pool = GreenPool(3)
    words = [f"word{i}" for i in range(12)]
    assert pool.map(call, words) == [w[::-1] for w in words]
    acceptor.kill()
    fasthub.notify_close(listener)
    listener.close()
    assert state["served"] == 12
    assert 1 <= state["peak"] <= 3


def test_repr():
    assert "size=7" in repr(GreenPool(7))
