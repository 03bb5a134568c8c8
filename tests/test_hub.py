"""The hub over real fds: waits, timeouts, misuse, close, fd reuse, threads, errors, signals, leaks."""

import errno
import gc
import os
import signal
import socket
import sys
import threading
import time
import weakref

import pytest

import fasthub
from fasthub import (
    BlockingInHubError, ConcurrentUseError, FdClosedError, LoopExit, Waiter, get_hub, sleep, spawn,
)
from fasthub.core._hub import Hub


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    for s in (a, b):
        get_hub().notify_close(s)
        s.close()


# Waits are parametrized over raw fds and socket objects: both are accepted everywhere.
@pytest.fixture(params=["fd", "socket"])
def as_waitable(request):
    return (lambda s: s.fileno()) if request.param == "fd" else (lambda s: s)


def test_hub_is_per_thread_and_lazy(hub):
    assert get_hub() is hub
    seen = []
    t = threading.Thread(target=lambda: seen.append(get_hub()))
    t.start()
    t.join()
    assert seen[0] is not hub and isinstance(seen[0], Hub)
    assert seen[0].closed  # its thread ended: its fds were closed with it


def test_backend_is_the_one_requested(request, hub):
    # The autouse fixture builds Hub(<param>): the hub must run on exactly that backend, and a fresh
    # Hub() with no argument on the platform's default one.
    assert hub.backend == request.node.callspec.params["hub"]
    default = Hub()
    try:
        assert default.backend == os.environ.get(
            "FASTHUB_BACKEND", "epoll" if sys.platform.startswith("linux") else "kqueue")
    finally:
        default.destroy()
    with pytest.raises(ValueError):
        Hub("no-such-backend")


def test_wait_read_wakes_when_data_arrives(pair, as_waitable):
    a, b = pair
    got = []

    def reader():
        fasthub.wait_read(as_waitable(a))
        got.append(a.recv(10))

    g = spawn(reader)
    sleep(0.01)
    assert got == []  # really parked
    b.send(b"hello")
    g.wait()
    assert got == [b"hello"]


def test_wait_write_on_a_full_socket(pair, as_waitable):
    a, b = pair
    try:
        while True:
            a.send(b"x" * 65536)
    except BlockingIOError:
        pass
    done = []

    def writer():
        fasthub.wait_write(as_waitable(a))
        done.append(a.send(b"y"))

    g = spawn(writer)
    sleep(0.02)
    assert done == []
    while True:  # drain the peer until the writer gets room
        try:
            b.recv(1 << 20)
        except BlockingIOError:
            break
    g.wait()
    assert done == [1]


def test_timeout_while_waiting_on_an_fd(pair, as_waitable):
    a, _ = pair
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        fasthub.wait_read(as_waitable(a), timeout=0.05)
    assert 0.04 <= time.monotonic() - t0 < 2.0
    # The slot is free again: a new wait works and data wakes it.
    a_peer = pair[1]
    a_peer.send(b"!")
    fasthub.wait_read(as_waitable(a), timeout=1)


def test_custom_timeout_exception(pair):
    a, _ = pair

    class Slow(Exception):
        pass

    with pytest.raises(Slow):
        fasthub.wait_read(a, timeout=0.01, timeout_exc=Slow("too slow"))


def test_second_reader_gets_a_clear_error(pair):
    a, b = pair
    first = spawn(fasthub.wait_read, a)
    sleep(0)
    with pytest.raises(ConcurrentUseError, match="second simultaneous read"):
        fasthub.wait_read(a)
    b.send(b"x")
    first.wait()


def test_reader_and_writer_on_one_fd_are_fine(pair):
    a, b = pair
    r = spawn(fasthub.wait_read, a)
    w = spawn(fasthub.wait_write, a)
    w.wait()
    b.send(b"x")
    r.wait()


def test_closing_an_fd_wakes_its_waiters_with_an_error(pair):
    a, b = pair
    errors = []

    def reader():
        try:
            fasthub.wait_read(a)
        except FdClosedError as e:
            errors.append(e)

    g = spawn(reader)
    sleep(0.01)
    get_hub().notify_close(a)
    g.wait()
    assert len(errors) == 1 and errors[0].errno == errno.EBADF


def test_fd_reuse_after_close_starts_clean(hub):
    # Wait on an fd, close it (notifying the hub), get the same number back for a new socket: waits on
    # the new one must work, with no stale interest from the old one.
    for _ in range(5):
        a, b = socket.socketpair()
        a.setblocking(False)
        fd = a.fileno()
        b.send(b"1")
        fasthub.wait_read(a)  # leaves interest registered (cached)
        hub.notify_close(a)
        a.close()
        b.close()
        c, d = socket.socketpair()
        c.setblocking(False)
        if c.fileno() != fd:
            c, d = d, c
        assert c.fileno() == fd or d.fileno() == fd
        g = spawn(lambda c=c: (fasthub.wait_read(c, timeout=2), c.recv(5))[1])
        sleep(0.01)
        d.send(b"fresh")
        assert g.wait() == b"fresh"
        hub.notify_close(c)
        c.close()
        d.close()


def test_listener_callbacks_run_while_readable(pair):
    a, b = pair
    got = []

    def on_read():
        got.append(a.recv(100))

    lst = get_hub().add_reader(a, on_read)
    b.send(b"one")
    sleep(0.02)
    b.send(b"two")
    sleep(0.02)
    lst.cancel()
    b.send(b"three")
    sleep(0.02)
    assert b"".join(got) == b"onetwo"
    assert a.recv(100) == b"three"
    assert get_hub().remove_reader(a) is False


def test_a_listener_that_hands_off_its_fd_costs_no_busy_loop(pair):
    # A listener that cancels itself when the fd is readable (handing it to a green thread, as the
    # WSGI server's parked connections do) keeps the fd's kernel interest for the next wait. If the
    # bytes are then left unread, the next event finds nobody and drops the interest: the loop must
    # not spin on the still-readable fd.
    a, b = pair
    hub = get_hub()
    fired = []

    def on_read():
        fired.append(1)
        lst.cancel()

    lst = hub.add_reader(a, on_read)
    b.send(b"left unread")
    sleep(0.02)
    assert fired == [1]
    before = hub.switch_count
    sleep(0.2)
    assert hub.switch_count - before < 50          # a spinning loop would count thousands
    lst = hub.add_reader(a, on_read)               # a new listener on the same fd is told at once
    sleep(0.02)
    assert fired == [1, 1]
    assert a.recv(100) == b"left unread"


def test_wakeup_from_a_real_os_thread(hub):
    w = Waiter()

    def other():
        time.sleep(0.05)
        w.switch("from thread")

    t = threading.Thread(target=other)
    t.start()
    assert w.get() == "from thread"
    t.join()


def test_call_soon_threadsafe_runs_in_the_hub_thread(hub):
    ran_in = []
    w = Waiter()

    def cb():
        ran_in.append(threading.get_ident())
        w.switch()

    threading.Thread(target=lambda: hub.call_soon_threadsafe(cb)).start()
    w.get()
    assert ran_in == [threading.get_ident()]


def test_many_threads_waking_many_waiters(hub):
    waiters = [Waiter() for _ in range(200)]
    results = []

    def waiter(w, i):
        results.append((i, w.get()))

    gs = [spawn(waiter, w, i) for i, w in enumerate(waiters)]
    sleep(0)
    threads = [threading.Thread(target=lambda ws=waiters[k::4], k=k: [w.switch(k) for w in ws]) for k in range(4)]
    for t in threads:
        t.start()
    fasthub.joinall(gs, timeout=10)
    for t in threads:
        t.join()
    assert sorted(i for i, _ in results) == list(range(200))
    assert all(v == i % 4 for i, v in results)


def test_exception_in_a_callback_is_reported_and_the_loop_goes_on(hub, hub_errors):
    def boom():
        raise ValueError("boom")

    hub.call_soon(boom)
    hub.call_later(0.001, boom)
    sleep(0.02)
    errors = hub_errors.take()
    assert [type(e) for _, e in errors] == [ValueError, ValueError]
    ok = spawn(lambda: "still running")
    assert ok.wait() == "still running"


def test_default_error_report_prints_a_traceback(hub, capfd):
    hub.error_handler = None
    hub.call_soon(lambda: 1 / 0)
    sleep(0.01)
    err = capfd.readouterr().err
    assert "ZeroDivisionError" in err and "Traceback" in err


def test_blocking_inside_the_hub_is_refused(hub, hub_errors):
    hub.call_soon(sleep, 0.1)
    sleep(0.01)
    [(_, exc)] = hub_errors.take()
    assert isinstance(exc, BlockingInHubError)


def test_loop_exit_names_the_problem(hub):
    w = Waiter()
    with pytest.raises(LoopExit, match="block forever"):
        w.get()
    # The hub is usable afterwards.
    sleep(0.001)


def test_waiter_switch_before_get_returns_at_once(hub):
    w = Waiter()
    w.switch(42)
    w.switch(43)  # only the first counts
    assert w.get() == 42


def test_waiter_throw(hub):
    w = Waiter()
    hub.call_later(0.001, w.throw, KeyError("k"))
    with pytest.raises(KeyError):
        w.get()


def test_stale_timer_cannot_resume_a_finished_wait(hub):
    # A timeout that fires after the wait ended another way must not resume anybody.
    w = Waiter()
    hub.call_later(0.01, w.throw, TimeoutError("late"))
    w.switch("first")
    assert w.get() == "first"
    sleep(0.03)  # the stale throw fires here and must be ignored


def test_signal_handler_runs_while_the_hub_waits(hub):
    got = []
    old = signal.signal(signal.SIGALRM, lambda *a: got.append("alarm"))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        sleep(0.3)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert got == ["alarm"]


def test_exception_from_a_signal_handler_reaches_the_main_greenlet(hub):
    class Interrupt(BaseException):
        pass

    def handler(*a):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        with pytest.raises(KeyboardInterrupt):
            sleep(5)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def open_fds():
    return set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
@pytest.mark.parametrize("backend", ["epoll", "poll"])
def test_destroying_hubs_leaks_no_fd(backend):
    before = open_fds()
    for _ in range(50):
        h = Hub(backend)
        h.destroy()
        h.destroy()  # idempotent
    for _ in range(20):
        t = threading.Thread(target=lambda: sleep(0.001))
        t.start()
        t.join()
    assert open_fds() == before


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown backend"):
        Hub("select-please")


def test_environment_selects_the_poll_backend(monkeypatch):
    monkeypatch.setenv("FASTHUB_BACKEND", "poll")
    h = Hub()
    assert h.backend == "poll"
    h.destroy()


def test_loop_exit_is_not_hidden_by_idle_fasthub_threads(hub):
    # Regression: idle tpool workers (real OS threads) made the hub wait forever instead of raising.
    from fasthub import tpool

    assert tpool.execute(lambda: 1) == 1  # starts a worker that then idles
    with pytest.raises(LoopExit):
        Waiter().get()


def test_a_user_os_thread_may_still_wake_a_waiter(hub):
    # ... while a thread of the user's own is alive, waiting for it is right, not a deadlock.
    w = Waiter()
    t = threading.Thread(target=lambda: (time.sleep(0.05), w.switch("late")))
    t.start()
    assert w.get() == "late"
    t.join()


def test_raw_fd_closed_without_notify_close_then_reused_still_wakes(hub):
    # Regression (HUB-BUGS.md): a C library closes an fd behind the hub's back; with epoll the kernel
    # drops the registration but the hub's cache kept it, so a wait on the reused number never woke.
    for _ in range(3):
        r, w = os.pipe()
        with pytest.raises(TimeoutError):
            fasthub.wait_read(r, timeout=0.02)  # registers r
        os.close(r)
        os.close(w)  # closed WITHOUT notify_close
        r2, w2 = os.pipe()
        assert r2 == r  # the number came back
        os.write(w2, b"x")
        fasthub.wait_read(r2, timeout=2.0)  # must wake: the data is there
        assert os.read(r2, 1) == b"x"
        hub.notify_close(r2)
        os.close(r2)
        os.close(w2)


def test_an_exception_from_a_signal_handler_interrupts_the_main_wait(hub):
    # Regression (HUB-BUGS.md): it was printed and swallowed in the hub; CPython raises it in the
    # interrupted code, and so must fasthub (pytest-timeout relies on this).
    class Boom(Exception):
        pass

    def handler(*a):
        raise Boom("raised by a signal handler")

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        t0 = time.monotonic()
        with pytest.raises(Boom):
            sleep(5)
        assert time.monotonic() - t0 < 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_notify_close_in_a_thread_without_a_hub_creates_none():
    from fasthub.core._hub import get_hub_if_exists

    seen = []

    def in_thread():
        a, b = socket.socketpair()
        fasthub.notify_close(a)  # e.g. a green socket closed in a tpool worker
        seen.append(get_hub_if_exists())
        a.close()
        b.close()

    t = threading.Thread(target=in_thread)
    t.start()
    t.join()
    assert seen == [None]
    assert get_hub_if_exists() is get_hub()


def test_a_woken_waiter_is_back_under_the_cycle_collector(hub):
    # A parked Waiter is kept out of the cycle collector (it is reachable from the hub's line while
    # it waits); once woken, by a value or by an exception, a cycle through it must be collectable.
    from fasthub.core._hub import Waiter

    class Holder:
        pass

    def wake(w, how, value):
        if how == "value":
            w.switch(value)
        else:
            w.throw(ValueError("woken by an exception"))

    w = Waiter()
    holder = Holder()
    holder.w = w  # holder -> waiter -> (its value) holder: a cycle only the collector can free
    ref = weakref.ref(holder)
    hub.call_soon(wake, w, "value", holder)
    assert w.get() is holder
    assert gc.is_tracked(w)
    del w, holder
    sleep(0)  # the hub's current batch of ready entries (which names the waiter) is done with
    gc.collect()
    assert ref() is None

    w = Waiter()
    hub.call_soon(wake, w, "exception", None)
    with pytest.raises(ValueError):
        w.get()
    assert gc.is_tracked(w)


def test_a_green_thread_killed_while_parked_leaves_nothing_behind(hub):
    class Holder:
        pass

    refs = []

    def parked():
        h = Holder()
        h.me = h
        refs.append(weakref.ref(h))
        fasthub.Event().wait()

    g = fasthub.spawn(parked)
    fasthub.sleep(0.01)
    assert hub.parked == 1
    g.kill()
    del g
    sleep(0)
    gc.collect()
    assert hub.parked == 0
    assert refs[0]() is None
