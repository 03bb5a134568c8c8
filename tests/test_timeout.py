"""Timeout and with_timeout: firing where a green thread waits, silencing, nesting, cancel, reuse of
worker greenlets, and the hub-side rules."""

import socket
import time

import greenlet
import pytest

import fasthub
from fasthub import BlockingInHubError, sleep, spawn
from fasthub.sync.event import Event
from fasthub.sync.timeout import Timeout, WaitTimeout, with_timeout


@pytest.fixture
def tcp_pair():
    """A connected TCP pair on 127.0.0.1, non-blocking."""
    listener = socket.create_server(("127.0.0.1", 0))
    a = socket.create_connection(listener.getsockname())
    b, _ = listener.accept()
    listener.close()
    for s in (a, b):
        s.setblocking(False)
    yield a, b
    for s in (a, b):
        fasthub.notify_close(s)
        s.close()


def test_timeout_raises_itself_where_the_green_thread_sleeps():
    start = time.monotonic()
    with pytest.raises(Timeout) as info:
        with Timeout(0.02) as t:
            sleep(5)
    assert info.value is t
    assert not t.pending
    assert time.monotonic() - start < 2


def test_timeout_is_a_base_exception_not_an_exception():
    caught = []
    try:
        with Timeout(0.01):
            try:
                sleep(5)
            except Exception:  # noqa: BLE001 - the point: user code must not swallow it
                caught.append("swallowed")
    except Timeout:
        caught.append("timeout")
    assert caught == ["timeout"]


def test_false_makes_the_with_block_exit_silently():
    reached = []
    start = time.monotonic()
    with Timeout(0.02, False):
        sleep(5)
        reached.append("after sleep")
    assert reached == []
    assert time.monotonic() - start < 2


def test_exception_class_and_instance_are_raised_instead():
    with pytest.raises(ValueError):
        with Timeout(0.01, ValueError):
            sleep(5)
    exc = KeyError("mine")
    with pytest.raises(KeyError) as info:
        with Timeout(0.01, exc):
            sleep(5)
    assert info.value is exc


def test_starts_when_created_and_start_is_idempotent(hub):
    before = len(hub.timers)
    t = Timeout(5)
    assert t.pending and t.seconds == 5
    assert t.start() is t
    t.start()
    with t:
        pass  # __enter__ on a pending Timeout does not arm a second timer
    assert len(hub.timers) == before
    t2 = Timeout(5)
    assert len(hub.timers) == before + 1
    t2.cancel()
    assert not t2.pending
    assert len(hub.timers) == before
    t2.cancel()  # harmless twice


def test_a_cancelled_timeout_can_be_started_again():
    t = Timeout(5)
    t.cancel()
    t.seconds = 0.01
    t.start()
    with pytest.raises(Timeout) as info:
        sleep(5)
    assert info.value is t


def test_cancel_prevents_firing():
    t = Timeout(0.01)
    t.cancel()
    sleep(0.05)  # would raise if the timer had survived


def test_none_never_fires():
    t = Timeout(None)
    assert not t.pending
    with Timeout(None):
        sleep(0.01)


def test_nested_inner_fires_outer_stays_armed():
    with Timeout(5) as outer:
        with pytest.raises(Timeout) as info:
            with Timeout(0.02) as inner:
                sleep(5)
        assert info.value is inner
        assert outer.pending
    assert not outer.pending


def test_nested_inner_false_does_not_swallow_the_outer_timeout():
    after_inner = []
    with pytest.raises(Timeout) as info:
        with Timeout(0.02) as outer:
            with Timeout(5, False) as inner:
                sleep(5)
            after_inner.append(True)
    assert info.value is outer
    assert after_inner == []
    assert not inner.pending


def test_nested_outer_false_silences_only_itself():
    with Timeout(0.02, False):
        with pytest.raises(Timeout):
            with Timeout(0.01):
                sleep(5)
        sleep(5)  # now the outer one fires and its with-block exits silently


def test_timeout_fires_in_the_green_thread_that_created_it():
    log = []

    def guarded(name, seconds):
        try:
            with Timeout(seconds):
                sleep(5)
        except Timeout:
            log.append(name)

    a = spawn(guarded, "a", 0.03)
    b = spawn(guarded, "b", 0.01)
    bystander = spawn(sleep, 0.1)
    fasthub.joinall([a, b, bystander])
    assert log == ["b", "a"]
    assert bystander.successful()


def test_a_leftover_timeout_never_hits_the_next_task_on_the_same_worker():
    workers = []

    def leaves_a_pending_timeout():
        workers.append(greenlet.getcurrent())
        Timeout(0.02)  # never cancelled: the green thread ends first

    def next_task():
        workers.append(greenlet.getcurrent())
        sleep(0.1)
        return "survived"

    spawn(leaves_a_pending_timeout).wait()
    g = spawn(next_task)
    assert g.wait() == "survived"
    assert workers[0] is workers[1], "the test needs the worker greenlet to be reused"


def test_timeout_interrupts_a_socket_wait_and_the_fd_is_usable_after(tcp_pair):
    a, b = tcp_pair
    with pytest.raises(Timeout):
        with Timeout(0.02):
            fasthub.wait_read(a)
    # The fd waiter was unregistered: a new wait works and sees the data.
    b.send(b"ping")
    fasthub.wait_read(a, timeout=5)
    assert a.recv(10) == b"ping"


def test_timeout_interrupts_a_green_thread_waiting_on_an_event(hub_errors):
    event = Event()

    def waiter():
        with Timeout(0.02):
            event.wait()

    g = spawn(waiter)
    assert g.join(5)
    assert isinstance(g.exception, Timeout)
    assert len(event._waiters) == 0  # unregistered on the way out
    assert [exc for _, exc in hub_errors.take()] == [g.exception]


def test_timeout_escaping_a_green_thread_is_reported_to_the_hub(hub_errors):
    def forgets_to_catch():
        with Timeout(0.01):
            sleep(5)

    g = spawn(forgets_to_catch)
    with pytest.raises(Timeout):
        g.wait()
    [(context, exc)] = hub_errors.take()
    assert context is g and isinstance(exc, Timeout)


def test_start_new():
    t = Timeout.start_new(5)
    assert isinstance(t, Timeout) and t.pending
    assert Timeout.start_new(t) is t
    t.cancel()
    assert Timeout.start_new(t) is t and t.pending
    t.cancel()
    t2 = Timeout.start_new(0.01, ValueError)
    with pytest.raises(ValueError):
        sleep(5)
    assert not t2.pending


def test_with_timeout_returns_the_result_or_the_timeout_value():
    assert with_timeout(5, lambda x, y=1: x + y, 1, y=2) == 3
    assert with_timeout(0.01, sleep, 5, timeout_value="late") == "late"
    with pytest.raises(Timeout):
        with_timeout(0.01, sleep, 5)


def test_with_timeout_lets_an_outer_timeout_through():
    with pytest.raises(Timeout) as info:
        with Timeout(0.01) as outer:
            with_timeout(5, sleep, 5, timeout_value="inner value")
    assert info.value is outer


def test_with_timeout_cancels_its_timer(hub):
    before = len(hub.timers)
    with_timeout(5, lambda: None)
    with pytest.raises(ZeroDivisionError):
        with_timeout(5, lambda: 1 / 0)
    assert len(hub.timers) == before


def test_starting_a_timeout_in_a_hub_callback_is_refused(hub):
    outcome = []

    def callback():
        try:
            Timeout(1)
        except BlockingInHubError as e:
            outcome.append(e)

    hub.call_soon(callback)
    sleep(0)
    sleep(0)
    assert len(outcome) == 1 and "spawn()" in str(outcome[0])


def test_wait_timeout_is_both_a_timeout_error_and_a_timeout():
    exc = WaitTimeout("gave up")
    assert isinstance(exc, TimeoutError) and isinstance(exc, Timeout)
    assert str(exc) == "gave up" and not exc.pending
    exc.cancel()


def test_str_and_repr():
    t = Timeout(2)
    assert str(t) == "2 seconds" and "pending" in repr(t)
    t.cancel()
    t1 = Timeout(1, False)
    assert str(t1) == "1 second"
    t1.cancel()   # left pending, it would fire in whatever runs next in this hub
    t3 = Timeout(3, ValueError("x"))
    assert "x" in str(t3)
    t3.cancel()


def test_a_wait_guarded_only_by_a_timeout_ends_with_the_timeout_not_loop_exit():
    # Nothing else is pending in the hub: the Timeout's own timer keeps the wait alive until it fires.
    with pytest.raises(Timeout):
        with Timeout(0.02):
            Event().wait()


def test_eventlet_and_gevent_compatibility_spellings():
    t = Timeout(5, None, ref=False)  # gevent's ref= is accepted
    assert t.is_timeout is True  # eventlet's marker
    t.cancel()
    t2 = Timeout.start_new(5, ref=False)
    assert t2.pending
    t2.close()  # gevent's name for cancel()
    assert not t2.pending


def test_exception_true_raises_the_timeout_itself_as_eventlet():
    with pytest.raises(Timeout) as info:
        with Timeout(0.01, True) as t:
            sleep(0.5)
    assert info.value is t
