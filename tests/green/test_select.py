"""fasthub.green.select: select(), poll() and epoll() park only the calling green thread; the stdlib's
select module is the reference for results and errors."""

import os
import select as std_select
import sys
import time

import pytest

from fasthub import FdClosedError, sleep, spawn, wait_read
from fasthub.green import select as gselect
from fasthub.green import socket as green


@pytest.fixture
def pair():
    a, b = green.socketpair()
    yield a, b
    a.close()
    b.close()


# Every wait is parametrized over raw fds and socket objects: both are accepted everywhere.
@pytest.fixture(params=["fd", "socket"])
def as_waitable(request):
    return (lambda s: s.fileno()) if request.param == "fd" else (lambda s: s)


def _ticker(ticks, stop):
    while not stop:
        ticks.append(1)
        sleep(0.005)


def _full(sock):
    sock.setblocking(False)
    try:
        while True:
            sock.send(b"x" * 65536)
    except BlockingIOError:
        pass
    sock.setblocking(True)


def test_module_has_every_stdlib_name():
    missing = [n for n in dir(std_select) if not n.startswith("__") and not hasattr(gselect, n)]
    assert missing == []
    assert gselect.error is OSError
    assert gselect.POLLIN == std_select.POLLIN


# --- select() ----------------------------------------------------------------------------------------

def test_select_ready_now_matches_the_stdlib(pair, as_waitable):
    a, b = pair
    b.sendall(b"x")
    r, w = as_waitable(a), as_waitable(b)
    assert gselect.select([r], [w], [], 1) == std_select.select([r], [w], [], 1) == ([r], [w], [])


def test_select_parks_until_readable(pair, as_waitable):
    a, b = pair
    ticks, stop = [], []
    t = spawn(_ticker, ticks, stop)
    spawn(lambda: (sleep(0.1), b.sendall(b"late")))
    start = time.monotonic()
    r, w, x = gselect.select([as_waitable(a)], [], [], 5)
    assert r == [as_waitable(a)] and w == [] and x == []
    assert time.monotonic() - start >= 0.09
    stop.append(1)
    t.wait()
    assert len(ticks) >= 5


def test_select_parks_until_writable(pair, as_waitable):
    a, b = pair
    _full(a)
    spawn(lambda: (sleep(0.05), b.recv(10 * 1024 * 1024)))
    assert gselect.select([], [as_waitable(a)], [], 5) == ([], [as_waitable(a)], [])


def test_select_timeout_returns_empty_lists(pair, as_waitable):
    a, _ = pair
    start = time.monotonic()
    assert gselect.select([as_waitable(a)], [], [as_waitable(a)], 0.1) == ([], [], [])
    assert 0.09 <= time.monotonic() - start < 2.0
    assert gselect.select([as_waitable(a)], [], [], 0) == ([], [], [])


def test_select_with_no_fds_sleeps():
    start = time.monotonic()
    assert gselect.select([], [], [], 0.05) == ([], [], [])
    assert time.monotonic() - start >= 0.045


def test_select_errors_match_the_stdlib(pair):
    a, _ = pair
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    for args in [([r], [], []), ([-1], [], []), (["x"], [], []), ([a], [], [], -1), ([a], [], [], "x")]:
        with pytest.raises(Exception) as ref:
            std_select.select(*args) if len(args) == 4 else std_select.select(*args, 0)
        with pytest.raises(type(ref.value)):
            gselect.select(*args) if len(args) == 4 else gselect.select(*args, 0)


def test_select_sees_lists_as_the_stdlib_does():
    # fileno() that mutates its own list (CPython's test_select_mutated).
    results = []
    for mod in (std_select, gselect):
        a = []

        class F:
            def fileno(self):
                del a[-1]
                return sys.__stdout__.fileno()

        a[:] = [F()] * 10
        results.append((len(mod.select([], a, [])[1]), len(a)))
    assert results[0] == results[1]
    gen_r = (x for x in [sys.__stdout__])
    assert gselect.select([], gen_r, [], 1) == ([], [sys.__stdout__], [])


def test_poll_objects_come_only_from_poll():
    p = gselect.poll()
    with pytest.raises(TypeError, match="cannot create"):
        type(p)()

    class UsesPollAsAttribute:  # as the stdlib selectors do: must not turn into a method
        factory = gselect.poll

    assert type(UsesPollAsAttribute().factory()) is type(p)


def test_select_is_fine_with_another_green_thread_on_the_same_fd(pair):
    # Unlike green socket calls, select() does not claim the fd: several may watch it.
    a, b = pair
    other = spawn(wait_read, a)
    second = spawn(gselect.select, [a], [], [], 5)
    sleep(0.01)
    assert gselect.select([a], [], [], 0.01) == ([], [], [])
    b.sendall(b"x")
    assert second.wait() == ([a], [], [])
    other.wait()


def test_select_on_a_reused_fd_number(hub):
    # The fds select() watched are closed behind the hub's back and their numbers reused: a later
    # select on the new fds must still wake (no stale registration is left in the hub).
    r, w = os.pipe()
    assert gselect.select([r], [], [], 0.02) == ([], [], [])
    os.close(r)
    os.close(w)
    r2, w2 = os.pipe()
    try:
        spawn(lambda: (sleep(0.02), os.write(w2, b"x")))
        assert gselect.select([r2], [], [], 2) == ([r2], [], [])
    finally:
        os.close(r2)
        os.close(w2)


def test_select_on_a_regular_file_is_ready(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"data")
    with open(path, "rb") as f:
        assert gselect.select([f], [], [], 5) == ([f], [], [])


def test_select_reports_a_closed_peer_as_readable(pair):
    a, b = pair
    spawn(lambda: (sleep(0.02), b.close()))
    assert gselect.select([a], [], [], 5) == ([a], [], [])
    assert a.recv(1) == b""


# --- poll() ------------------------------------------------------------------------------------------

def test_poll_register_modify_unregister_match_the_stdlib(pair):
    a, b = pair
    results = []
    for mod in (std_select, gselect):
        p = mod.poll()
        p.register(a, mod.POLLIN)
        p.register(b.fileno())
        out = [sorted(p.poll(0))]
        p.modify(b, mod.POLLIN)
        out.append(sorted(p.poll(0)))
        p.unregister(b)
        with pytest.raises(KeyError):
            p.unregister(b)
        with pytest.raises(FileNotFoundError):
            p.modify(b, mod.POLLIN)
        out.append(p.poll(0))
        results.append(out)
    assert results[0] == results[1]


def test_poll_parks_until_an_event(pair, as_waitable):
    a, b = pair
    p = gselect.poll()
    p.register(as_waitable(a), gselect.POLLIN)
    ticks, stop = [], []
    t = spawn(_ticker, ticks, stop)
    spawn(lambda: (sleep(0.1), b.sendall(b"x")))
    start = time.monotonic()
    assert p.poll() == [(a.fileno(), gselect.POLLIN)]
    assert time.monotonic() - start >= 0.09
    stop.append(1)
    t.wait()
    assert len(ticks) >= 5


def test_poll_timeout_is_in_milliseconds(pair):
    a, _ = pair
    p = gselect.poll()
    p.register(a, gselect.POLLIN)
    start = time.monotonic()
    assert p.poll(100) == []
    assert 0.09 <= time.monotonic() - start < 2.0
    assert p.poll(0) == []


def test_poll_pollout_and_hangup(pair):
    a, b = pair
    _full(a)
    p = gselect.poll()
    p.register(a, gselect.POLLOUT)
    spawn(lambda: (sleep(0.05), b.close()))
    events = p.poll(5000)
    assert events and events[0][0] == a.fileno()
    assert events[0][1] & (gselect.POLLHUP | gselect.POLLERR | gselect.POLLOUT)


# --- epoll() -----------------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(std_select, "epoll"), reason="no epoll on this system")
class TestEpoll:
    def test_poll_parks_until_ready(self, pair):
        a, b = pair
        with gselect.epoll() as ep:
            ep.register(a.fileno(), gselect.EPOLLIN)
            spawn(lambda: (sleep(0.05), b.sendall(b"x")))
            start = time.monotonic()
            assert ep.poll(5) == [(a.fileno(), gselect.EPOLLIN)]
            assert time.monotonic() - start >= 0.045
        assert ep.closed

    def test_poll_timeout_and_maxevents(self, pair):
        a, b = pair
        ep = gselect.epoll()
        ep.register(a, gselect.EPOLLIN)
        assert ep.poll(0.05) == []
        b.sendall(b"x")
        ep.register(b, gselect.EPOLLOUT)
        assert len(ep.poll(1, maxevents=1)) == 1
        assert len(ep.poll(1)) == 2
        ep.modify(b, gselect.EPOLLIN)
        ep.unregister(b)
        assert ep.poll(0) == [(a.fileno(), gselect.EPOLLIN)]
        ep.close()

    def test_close_wakes_a_waiter(self, pair, hub_errors):
        a, _ = pair
        ep = gselect.epoll()
        ep.register(a, gselect.EPOLLIN)
        g = spawn(ep.poll)
        sleep(0.01)
        ep.close()
        with pytest.raises(FdClosedError):
            g.wait()
        assert [type(e) for _, e in hub_errors.take()] == [FdClosedError]

    def test_fromfd_and_errors_match_the_stdlib(self, pair):
        a, _ = pair
        ep = gselect.epoll()
        ep.register(a, gselect.EPOLLIN)
        with pytest.raises(FileExistsError):
            ep.register(a, gselect.EPOLLIN)
        dup = gselect.epoll.fromfd(os.dup(ep.fileno()))
        assert isinstance(dup, gselect.epoll) and dup.poll(0) == []
        dup.close()
        ep.close()
        with pytest.raises(ValueError):
            ep.poll(0)
        with pytest.raises(ValueError):
            ep.fileno()


# --- fairness and timeout checks ---------------------------------------------------------------------

@pytest.mark.parametrize("interface", ["select", "poll", "epoll"])
def test_a_ready_wait_lets_other_green_threads_run(pair, interface):
    # A server that polls in a loop and always finds something ready must still let its own clients
    # run (CPython's TLS FTP and POP3 tests hung on this): each call that returns at once yields.
    a, b = pair
    b.sendall(b"x")  # a stays readable: every call below returns at once
    if interface == "select":
        def ready():
            return gselect.select([a], [], [], 5)[0]
    else:
        poller = gselect.poll() if interface == "poll" else gselect.epoll()
        poller.register(a.fileno(), gselect.POLLIN if interface == "poll" else gselect.EPOLLIN)
        ready = (lambda: poller.poll(5000)) if interface == "poll" else (lambda: poller.poll(5))
    ran = []
    spawn(ran.append, 1)
    for _ in range(3):
        assert ready()
    assert ran == [1]


def test_select_with_zero_timeout_yields_too(pair):
    a, _ = pair
    ran = []
    spawn(ran.append, 1)
    assert gselect.select([a], [], [], 0) == ([], [], [])
    assert ran == [1]


# Timeouts the real interfaces reject, each its own way (and the stdlib module is the reference).
_ODD_TIMEOUTS = [1 << 64, 2 ** 31, 1e10, 1e30, float("nan"), float("inf"), -float("inf"), "x",
                 -1.5, 1.5, 2.5e6]


@pytest.mark.parametrize("timeout", _ODD_TIMEOUTS, ids=repr)
@pytest.mark.parametrize("interface", ["select", "poll", "epoll"])
def test_unusual_timeouts_raise_what_the_stdlib_raises(pair, interface, timeout):
    _, b = pair  # b is writable: a valid call returns at once with it
    fd = b.fileno()

    def call(mod):
        if interface == "select":
            return mod.select([], [fd], [], timeout)
        if interface == "poll":
            p = mod.poll()
            p.register(fd, mod.POLLOUT)
            return p.poll(timeout)
        with mod.epoll() as e:
            e.register(fd, mod.EPOLLOUT)
            return e.poll(timeout)

    try:
        expected = ("ok", call(std_select))
    except Exception as e:  # noqa: BLE001 - the stdlib's outcome is the reference
        expected = (type(e), None)
    try:
        got = ("ok", call(gselect))
    except Exception as e:  # noqa: BLE001
        got = (type(e), None)
    assert got == expected


def test_epoll_maxevents_is_checked_like_the_stdlib(pair):
    for maxevents in (0, -2, "x"):
        with std_select.epoll() as ref, pytest.raises(Exception) as err:
            ref.poll(0, maxevents)
        with gselect.epoll() as e, pytest.raises(type(err.value)):
            e.poll(0, maxevents)


def test_timeout_checks_survive_a_closed_checker_fd(pair):
    # A daemonizing program may close every fd it did not open: the checker makes a new pipe.
    _, b = pair
    gselect.select([], [b], [], 2 ** 31)  # an unusual timeout: the checker pipe exists now
    for fd in gselect._always_ready.fds:
        os.close(fd)
    with pytest.raises(OverflowError):
        gselect.select([], [b], [], 1e10)
    with gselect.epoll() as e:
        e.register(b.fileno(), gselect.EPOLLOUT)
        assert e.poll(2 ** 20)  # valid but unusual: checked, then answered at once
    os.fstat(gselect._always_ready.fds[1])  # made again


def test_poll_object_refuses_a_second_concurrent_poll(pair):
    # As the stdlib's between OS threads (CPython's test_threaded_poll): one poll() at a time.
    a, b = pair
    p = gselect.poll()
    p.register(a, gselect.POLLIN)
    waiter = spawn(p.poll, 2000)
    sleep(0.01)
    with pytest.raises(RuntimeError, match="concurrent poll"):
        p.poll(0)
    b.sendall(b"x")
    assert waiter.wait() == [(a.fileno(), gselect.POLLIN)]
    assert p.poll(0) == [(a.fileno(), gselect.POLLIN)]  # free again
