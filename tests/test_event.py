"""Event and AsyncResult: waiting, timeouts, kills and Timeouts during a wait, exceptions crossing
get(), eventlet's names, and wake-ups across OS threads."""

import subprocess
import sys
import textwrap
import threading
import time

import pytest
from greenlet import GreenletExit

import fasthub
from fasthub import sleep, spawn
from fasthub.sync.event import AsyncResult, Event
from fasthub.sync.timeout import Timeout, WaitTimeout


# -- Event ---------------------------------------------------------------------------------------

def test_set_clear_is_set():
    e = Event()
    assert not e.is_set() and not e.ready()
    e.set()
    assert e.is_set() and e.wait() is True and e.wait(0) is True
    e.clear()
    assert not e.is_set() and e.wait(0) is False


def test_wait_blocks_until_set_by_another_green_thread():
    e = Event()
    log = []

    def setter():
        log.append("setting")
        e.set()

    spawn(setter)
    assert e.wait() is True
    assert log == ["setting"]


def test_set_wakes_every_waiter():
    e = Event()
    woken = []
    gs = [spawn(lambda i=i: woken.append((i, e.wait()))) for i in range(5)]
    sleep(0)
    assert woken == []
    e.set()
    fasthub.joinall(gs)
    assert woken == [(i, True) for i in range(5)]
    assert len(e._waiters) == 0


def test_wait_timeout_returns_false_then_true_after_set():
    e = Event()
    start = time.monotonic()
    assert e.wait(0.03) is False
    elapsed = time.monotonic() - start
    assert 0.02 <= elapsed < 2
    assert len(e._waiters) == 0
    fasthub.spawn_after(0.01, e.set)
    assert e.wait(5) is True


def test_timeout_timer_is_cancelled_when_set_first(hub):
    e = Event()
    before = len(hub.timers)
    spawn(e.set)
    assert e.wait(30) is True
    assert len(hub.timers) == before


def test_killed_waiter_is_removed_and_set_reaches_the_others():
    e = Event()
    results = []
    victim = spawn(lambda: results.append(("victim", e.wait())))
    survivor = spawn(lambda: results.append(("survivor", e.wait())))
    sleep(0)
    assert len(e._waiters) == 2
    victim.kill()
    assert victim.dead and isinstance(victim.exception, GreenletExit)
    assert len(e._waiters) == 1
    e.set()
    survivor.wait()
    assert results == [("survivor", True)]


def test_timeout_during_wait_unregisters_the_waiter():
    e = Event()
    with pytest.raises(Timeout):
        with Timeout(0.01):
            e.wait()
    assert len(e._waiters) == 0
    e.set()  # nothing to wake, nothing breaks
    assert e.wait() is True


def test_waiting_forever_on_an_event_nobody_sets_is_a_loop_exit():
    # In a fresh interpreter: the hub raises LoopExit only while no other OS thread (such as an idle
    # tpool worker left by an earlier test) could still set the event.
    script = textwrap.dedent("""
        from fasthub import LoopExit
        from fasthub.sync.event import Event
        e = Event()
        try:
            e.wait()
        except LoopExit:
            print("LoopExit", len(e._waiters))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["LoopExit", "0"], proc.stdout + proc.stderr


def test_ping_pong_between_two_green_threads():
    ping, pong = Event(), Event()
    rounds = 200

    def a():
        for _ in range(rounds):
            ping.set()
            pong.wait()
            pong.clear()

    def b():
        for _ in range(rounds):
            ping.wait()
            ping.clear()
            pong.set()

    gs = [spawn(a), spawn(b)]
    assert len(fasthub.joinall(gs, timeout=10)) == 2
    assert all(g.successful() for g in gs)


def test_set_from_another_os_thread_wakes_a_green_thread():
    e = Event()
    t = threading.Thread(target=lambda: (time.sleep(0.03), e.set()))
    t.start()
    start = time.monotonic()
    assert e.wait(10) is True
    assert time.monotonic() - start < 5
    t.join()


def test_green_threads_of_two_os_threads_share_an_event():
    go, done = Event(), Event()
    seen = []

    def other_thread():
        # This OS thread has its own hub; its green thread waits on `go`.
        def waiter():
            seen.append(("other", go.wait(10)))
            done.set()
        fasthub.spawn(waiter).wait()

    t = threading.Thread(target=other_thread)
    t.start()
    sleep(0.03)
    go.set()
    assert done.wait(10) is True
    t.join(10)
    assert seen == [("other", True)]


def test_many_os_threads_setting_and_waiting():
    events = [Event() for _ in range(50)]
    results = []
    gs = [spawn(lambda i=i: results.append((i, events[i].wait(10)))) for i in range(50)]
    sleep(0)
    threads = [threading.Thread(target=lambda k=k: [e.set() for e in events[k::5]]) for k in range(5)]
    for t in threads:
        t.start()
    fasthub.joinall(gs, timeout=10)
    for t in threads:
        t.join()
    assert sorted(results) == [(i, True) for i in range(50)]


# -- AsyncResult ----------------------------------------------------------------------------------

def test_async_result_value():
    r = AsyncResult()
    assert not r.ready() and r.value is None and r.exception is None and r.exc_info == ()
    spawn(r.set, 42)
    assert r.get() == 42
    assert r.ready() and r.successful() and r.value == 42 and r.wait() == 42


def test_async_result_exception_crosses_get_in_every_waiter():
    r = AsyncResult()
    outcomes = []

    def getter(i):
        try:
            r.get()
        except KeyError as e:
            outcomes.append((i, e))

    gs = [spawn(getter, i) for i in range(3)]
    sleep(0)
    err = KeyError("lost")
    r.set_exception(err)
    fasthub.joinall(gs)
    assert outcomes == [(0, err), (1, err), (2, err)]
    assert r.ready() and not r.successful() and r.exception is err and r.value is None
    assert r.exc_info[:2] == (KeyError, err)
    assert r.wait() is None  # wait() never raises


def test_async_result_exception_keeps_its_original_traceback():
    def fail_deep():
        raise ValueError("deep")

    r = AsyncResult()
    try:
        fail_deep()
    except ValueError as e:
        r.set_exception(e)
    for _ in range(3):
        with pytest.raises(ValueError) as info:
            r.get()
        names = [entry.name for entry in info.traceback]
        assert "fail_deep" in names
        assert names.count("get") == 1  # re-raising does not pile up frames


def test_async_result_get_timeout_and_nonblocking():
    r = AsyncResult()
    with pytest.raises(WaitTimeout):
        r.get(block=False)
    with pytest.raises(TimeoutError):
        r.get(timeout=0.01)
    with pytest.raises(Timeout):  # gevent code catches its Timeout here
        r.get(timeout=0.01)
    assert r.wait(0.01) is None
    assert len(r._waiters) == 0


def test_async_result_is_one_shot_until_reset():
    r = AsyncResult()
    r.set(1)
    with pytest.raises(RuntimeError, match="reset"):
        r.set(2)
    with pytest.raises(RuntimeError):
        r.set_exception(ValueError)
    assert r.get() == 1
    r.reset()
    assert not r.ready()
    r.set_exception(ValueError)
    with pytest.raises(ValueError):
        r.get()
    with pytest.raises(TypeError):
        AsyncResult().set_exception("not an exception")


def test_eventlet_names_map_onto_async_result():
    r = AsyncResult()
    assert r.poll("nothing yet") == "nothing yet"
    r.send("value")
    assert r.has_result() and not r.has_exception() and r.poll() == "value" and r.get() == "value"

    r = AsyncResult()
    r.send_exception(KeyError("k"))
    assert r.has_exception() and isinstance(r.exception, KeyError)

    r = AsyncResult()
    r.send_exception(ValueError, ValueError("v"), None)
    with pytest.raises(ValueError, match="v"):
        r.poll()

    r = AsyncResult()
    r.send_exception(IndexError)
    assert isinstance(r.exception, IndexError)

    r = AsyncResult()
    r.send(exc=OSError("o"))
    assert isinstance(r.exception, OSError)


def test_killed_getter_is_removed_and_the_value_reaches_the_others():
    r = AsyncResult()
    got = []
    victim = spawn(lambda: got.append(("victim", r.get())))
    other = spawn(lambda: got.append(("other", r.get())))
    sleep(0)
    victim.kill()
    assert len(r._waiters) == 1
    r.set("v")
    other.wait()
    assert got == [("other", "v")]


def test_async_result_set_from_another_os_thread():
    r = AsyncResult()
    t = threading.Thread(target=lambda: (time.sleep(0.02), r.set("from thread")))
    t.start()
    assert r.get(timeout=10) == "from thread"
    t.join()


def test_repr():
    e = Event()
    assert "unset" in repr(e)
    r = AsyncResult()
    r.set(5)
    assert "value=5" in repr(r)
