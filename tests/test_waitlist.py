"""WaitList, the one parking primitive under every wait: FIFO order, values, deadlines, kills and
Timeouts while parked, a wake-up passed on when the woken green thread leaves before it runs,
wake-ups across OS threads, misuse from the hub, interpreter shutdown, and an empty line after
every scenario."""

import subprocess
import sys
import textwrap
import threading
import time

import pytest
from greenlet import GreenletExit

import fasthub
from fasthub import BlockingInHubError, monotonic, sleep, spawn
from fasthub.core._waitlist import ParkTimeout, WaitList
from fasthub.sync.timeout import Timeout


def _parker(wl, log, name, **kwargs):
    """A green thread body that parks on ``wl`` and logs (name, value) or (name, exception type).
    A kill (GreenletExit) and a Timeout propagate; a ParkTimeout ends it quietly."""
    def run():
        try:
            log.append((name, wl.park(**kwargs)))
        except BaseException as e:
            log.append((name, type(e).__name__))
            if not isinstance(e, ParkTimeout):
                raise
    return run


# -- the line -------------------------------------------------------------------------------------

def test_unpark_one_wakes_in_fifo_order_with_the_value():
    wl, log = WaitList(), []
    gs = [spawn(_parker(wl, log, i)) for i in range(4)]
    sleep(0)
    assert len(wl) == 4 and log == []
    for i in range(4):
        assert wl.unpark_one(f"v{i}") is True
        assert len(wl) == 3 - i
    fasthub.joinall(gs)
    assert log == [(0, "v0"), (1, "v1"), (2, "v2"), (3, "v3")]
    assert wl.unpark_one() is False and len(wl) == 0


def test_unpark_all_wakes_everyone_parked_now():
    wl, log = WaitList(), []
    gs = [spawn(_parker(wl, log, i)) for i in range(3)]
    sleep(0)
    assert wl.unpark_all("go") == 3
    assert len(wl) == 0
    late = spawn(_parker(wl, log, "late"))   # parks after the unpark_all: not woken by it
    fasthub.joinall(gs)
    sleep(0)
    assert log == [(0, "go"), (1, "go"), (2, "go")]
    assert len(wl) == 1
    assert wl.unpark_all() == 1
    late.wait()
    assert log[-1] == ("late", None) and len(wl) == 0
    assert wl.unpark_all() == 0


def test_front_queues_at_the_head():
    wl, log = WaitList(), []
    spawn(_parker(wl, log, "back"))
    sleep(0)
    spawn(_parker(wl, log, "front", front=True))
    sleep(0)
    wl.unpark_one(1)
    sleep(0)
    assert log == [("front", 1)]
    wl.unpark_one(2)
    sleep(0)
    assert log == [("front", 1), ("back", 2)] and len(wl) == 0


def test_repr_and_len():
    wl = WaitList()
    assert len(wl) == 0 and not wl
    spawn(wl.park)
    sleep(0)
    assert len(wl) == 1 and wl and "parked=1" in repr(wl)
    wl.unpark_all()
    sleep(0)
    assert len(wl) == 0


# -- ready: the re-check once queued ------------------------------------------------------------------

def test_ready_true_leaves_the_line_at_once_with_its_value():
    wl = WaitList()
    seen = []

    def ready():
        seen.append(len(wl))   # called once we are queued
        return "already"

    assert wl.park(None, ready) == "already"
    assert seen == [1] and len(wl) == 0


def test_ready_false_parks_and_an_exception_from_ready_leaves_the_line():
    wl = WaitList()
    g = spawn(wl.park, None, lambda: 0)
    sleep(0)
    assert len(wl) == 1 and not g.dead
    wl.unpark_one("x")
    assert g.wait() == "x"

    def boom():
        raise KeyError("from ready")

    with pytest.raises(KeyError):
        wl.park(None, boom)
    assert len(wl) == 0


# -- deadlines ------------------------------------------------------------------------------------

def test_deadline_raises_park_timeout_and_leaves_the_line(hub):
    wl = WaitList()
    before = len(hub.timers)
    start = time.monotonic()
    with pytest.raises(ParkTimeout) as info:
        wl.park(monotonic() + 0.03)
    assert isinstance(info.value, TimeoutError)
    assert 0.02 <= time.monotonic() - start < 5
    assert len(wl) == 0 and len(hub.timers) == before


def test_woken_before_the_deadline_cancels_its_timer(hub):
    wl = WaitList()
    before = len(hub.timers)
    spawn(wl.unpark_one, "early")
    assert wl.park(monotonic() + 30) == "early"
    assert len(hub.timers) == before and len(wl) == 0


def test_a_timed_out_waiter_in_the_middle_is_unlinked_and_fifo_goes_on():
    wl, log = WaitList(), []
    first = spawn(_parker(wl, log, "first"))
    middle = spawn(_parker(wl, log, "middle", deadline=monotonic() + 0.02))
    last = spawn(_parker(wl, log, "last"))
    sleep(0)
    middle.join(5)
    assert log == [("middle", "ParkTimeout")] and len(wl) == 2
    wl.unpark_one(1)
    wl.unpark_one(2)
    fasthub.joinall([first, last])
    assert log[1:] == [("first", 1), ("last", 2)] and len(wl) == 0


def test_a_woken_waiter_whose_deadline_passes_before_it_runs_keeps_the_wake_up():
    # Being taken off the line is the wake-up: a timer firing after it must not turn it into a
    # timeout (the wake-up would be lost: nobody else was woken).
    wl, log = WaitList(), []
    a = spawn(_parker(wl, log, "a", deadline=monotonic() + 0.01))
    b = spawn(_parker(wl, log, "b"))
    sleep(0)
    time.sleep(0.03)           # the hub is held: a's deadline passes before anything runs
    wl.unpark_one("x")
    a.join(5)
    assert log == [("a", "x")]
    assert len(wl) == 1        # b was not woken
    wl.unpark_one("y")
    b.join(5)
    assert log == [("a", "x"), ("b", "y")] and len(wl) == 0


# -- kills and Timeouts while parked ------------------------------------------------------------------

def test_a_killed_waiter_leaves_the_line_and_the_others_keep_their_order():
    wl, log = WaitList(), []
    gs = [spawn(_parker(wl, log, i)) for i in range(3)]
    sleep(0)
    gs[1].kill()
    assert isinstance(gs[1].exception, GreenletExit)
    assert log == [(1, "GreenletExit")] and len(wl) == 2
    wl.unpark_all("v")
    fasthub.joinall(gs)
    assert log[1:] == [(0, "v"), (2, "v")] and len(wl) == 0


def test_a_timeout_while_parked_propagates_and_leaves_the_line():
    wl = WaitList()
    with pytest.raises(Timeout):
        with Timeout(0.01):
            wl.park()
    assert len(wl) == 0


def test_unpark_one_passes_the_wake_up_on_when_the_woken_one_is_killed_before_it_runs():
    wl, log = WaitList(), []
    a = spawn(_parker(wl, log, "a"))
    b = spawn(_parker(wl, log, "b"))
    sleep(0)
    a.kill(block=False)        # the kill is queued in the hub first ...
    assert wl.unpark_one("x")  # ... then a is woken: it dies holding the wake-up
    a.join(5)
    b.join(5)
    assert log == [("a", "GreenletExit"), ("b", "x")] and len(wl) == 0


def test_unpark_one_passes_the_wake_up_on_when_a_timeout_hits_the_woken_one_before_it_runs():
    wl, log = WaitList(), []

    def a_body():
        with Timeout(0.01, False):   # False: the with block swallows its own Timeout
            _parker(wl, log, "a")()

    a = spawn(a_body)
    b = spawn(_parker(wl, log, "b"))
    sleep(0)
    time.sleep(0.03)           # a's Timeout is due; the hub fires it before a gets to run
    assert wl.unpark_one("x")
    a.join(5)
    b.join(5)
    assert log == [("a", "Timeout"), ("b", "x")] and len(wl) == 0


def test_pass_on_receives_a_wake_up_its_waiter_did_not_use():
    wl, log, given_back = WaitList(), [], []
    a = spawn(_parker(wl, log, "a", pass_on=given_back.append))
    b = spawn(_parker(wl, log, "b"))
    sleep(0)
    a.kill(block=False)
    wl.unpark_one("permit")
    a.join(5)
    sleep(0)
    assert given_back == ["permit"]      # the callback, not the next waiter, got it
    assert log == [("a", "GreenletExit")] and len(wl) == 1
    wl.unpark_one()
    b.join(5)
    assert len(wl) == 0


def test_unpark_all_wake_ups_are_not_passed_on():
    wl, log = WaitList(), []
    a = spawn(_parker(wl, log, "a"))
    sleep(0)
    a.kill(block=False)
    wl.unpark_all("all")
    late = spawn(_parker(wl, log, "late"))   # parks before a dies: must not inherit a's wake-up
    a.join(5)
    sleep(0)
    sleep(0)
    assert log == [("a", "GreenletExit")] and len(wl) == 1
    wl.unpark_one("own")
    late.join(5)
    assert log[-1] == ("late", "own") and len(wl) == 0


# -- OS threads -----------------------------------------------------------------------------------

def test_another_os_thread_wakes_a_parked_green_thread():
    wl = WaitList()
    t = threading.Thread(target=lambda: (time.sleep(0.03), wl.unpark_one("from thread")))
    t.start()
    assert wl.park(monotonic() + 10) == "from thread"
    t.join(10)
    assert len(wl) == 0


def test_a_green_thread_of_another_os_thread_parks_and_is_woken_from_here():
    wl = WaitList()
    got = []

    def other():   # its own hub; its main greenlet parks
        got.append(wl.park(monotonic() + 10))

    t = threading.Thread(target=other)
    t.start()
    deadline = time.monotonic() + 10
    while not len(wl) and time.monotonic() < deadline:
        sleep(0.005)
    assert wl.unpark_one("to thread")
    t.join(10)
    assert got == ["to thread"] and len(wl) == 0


def test_ready_closes_the_race_with_a_waker_in_another_os_thread():
    # An Event-like hand-off, 300 times: the waker sets a flag and wakes everyone; the waiter parks
    # unless the flag is set once it is queued. A lost wake-up shows as a ParkTimeout.
    wl = WaitList()
    for _ in range(300):
        flag = []
        t = threading.Thread(target=lambda: (flag.append(1), wl.unpark_all(True)))
        t.start()
        try:
            assert wl.park(monotonic() + 10, lambda: bool(flag))
        finally:
            t.join(10)
        assert len(wl) == 0


def test_a_waiter_whose_os_thread_ended_is_skipped():
    wl = WaitList()

    def other():   # parks a green thread, then the OS thread ends (its hub is destroyed)
        fasthub.spawn(wl.park)
        fasthub.sleep(0)

    t = threading.Thread(target=other)
    t.start()
    t.join(10)
    assert len(wl) == 1
    g = spawn(wl.park)
    sleep(0)
    assert wl.unpark_one("live") is True   # skips the dead thread's waiter
    assert g.wait() == "live" and len(wl) == 0


# -- misuse and shutdown --------------------------------------------------------------------------

def test_park_from_the_hub_raises_and_leaves_no_waiter(hub, hub_errors):
    wl = WaitList()
    hub.call_soon(wl.park)
    sleep(0)
    errors = hub_errors.take()
    assert len(errors) == 1 and isinstance(errors[0][1], BlockingInHubError)
    assert len(wl) == 0


def test_park_at_interpreter_shutdown_gives_up_as_a_timeout():
    script = textwrap.dedent("""
        import fasthub
        from fasthub.core._waitlist import ParkTimeout, WaitList

        class AtShutdown:
            def __del__(self):
                wl = WaitList()
                try:
                    wl.park()
                except ParkTimeout:
                    print("ParkTimeout", len(wl), flush=True)

        keep = AtShutdown()
        fasthub.sleep(0)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ParkTimeout", "0"], proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
