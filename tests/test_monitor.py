"""The blocking detector and FASTHUB_DEBUG: real blocks, named with their call and line."""

import logging
import os
import socket
import subprocess
import sys
import textwrap
import time
import warnings

import pytest

pytestmark = pytest.mark.one_backend

import fasthub
from fasthub import monitor, debug


@pytest.fixture
def mon():
    yield monitor
    monitor.stop()




def test_original_time_sleep_in_a_task_is_reported_within_the_threshold(mon):
    reports = []
    t0 = time.monotonic()
    mon.start(threshold=0.1, action=lambda r: reports.append((time.monotonic() - t0, r)))
    ticks = []

    def ticker():
        while True:
            ticks.append(time.monotonic())
            fasthub.sleep(0.01)

    def blocker():
        time.sleep(3)  # the original, blocking: the line the report must name

    tick = fasthub.spawn(ticker)
    fasthub.sleep(0.05)
    fasthub.spawn(blocker).wait()
    tick.kill()
    assert reports, "the block was not reported"
    when, report = reports[0]
    assert when < 0.05 + 3 and when - 0.05 < 1.0  # reported while it blocks, soon after the threshold
    assert report.call == "time.sleep"
    assert "test_monitor.py" in report.location and "in blocker" in report.location
    assert "C function" in report.note
    assert "blocker" in report.greenlet
    assert "time.sleep(3)" in report.stack
    # It really blocked everyone: the ticker did not tick for ~3 s.
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(gaps) > 2.5
    [summary] = monitor.report()
    assert summary.count == 1 and summary.longest > 2.0


def test_a_green_thread_blocked_in_c_with_no_python_frame_is_reported(mon):
    # The green thread's function is the original time.sleep itself: while it blocks, the OS
    # thread has no Python frame at all, which the monitor used to skip silently.
    reports = []
    mon.start(threshold=0.1, action=lambda r: reports.append(r))
    ticks = []

    def ticker():
        while True:
            ticks.append(time.monotonic())
            fasthub.sleep(0.01)

    tick = fasthub.spawn(ticker)
    fasthub.sleep(0.05)
    fasthub.spawn(time.sleep, 1.5).wait()
    tick.kill()
    assert reports, "the block in C code was not reported"
    report = reports[0]
    assert report.location == "in C code called from green thread 'sleep'"
    assert report.greenlet == "green thread 'sleep'"
    assert "C function" in report.note
    assert max(b - a for a, b in zip(ticks, ticks[1:])) > 1.0  # it did block everyone


def test_raise_is_not_sent_into_a_green_thread_with_no_python_frame(mon, caplog):
    # Delivered at the next bytecode after the C call, the exception would hit another green thread.
    mon.start(threshold=0.1, action="raise")
    with caplog.at_level(logging.WARNING, logger="fasthub.monitor"):
        g = fasthub.spawn(time.sleep, 0.6)
        fasthub.sleep(0.01)
        g.wait()
        fasthub.sleep(0.05)
    assert "in C code called from green thread 'sleep'" in caplog.text


def test_a_runaway_loop_is_reported_and_broken_by_raise(mon, hub_errors, caplog):
    mon.start(threshold=0.1, action="raise")
    progress = []

    def others():
        for i in range(20):
            progress.append(i)
            fasthub.sleep(0.005)

    def runaway():
        n = 0
        while True:
            n += 1

    o = fasthub.spawn(others)
    r = fasthub.spawn(runaway)
    with caplog.at_level(logging.WARNING, logger="fasthub.monitor"):
        with pytest.raises(monitor.BlockingTimeout):
            r.wait()
        o.wait()
    assert progress == list(range(20))  # the others carried on once the loop was broken
    [(ctx, exc)] = hub_errors.take()
    assert isinstance(exc, monitor.BlockingTimeout)
    [record] = [rec for rec in caplog.records if rec.name == "fasthub.monitor"]
    msg = record.getMessage()
    assert "in runaway" in msg and ("n += 1" in msg or "while True" in msg)


def test_a_repeat_at_the_same_place_is_counted_not_logged_again(mon, caplog):
    mon.start(threshold=0.05)

    def block_once():
        time.sleep(0.2)

    def other():
        fasthub.sleep(2)

    bg = fasthub.spawn(other)
    with caplog.at_level(logging.WARNING, logger="fasthub.monitor"):
        for _ in range(3):
            fasthub.spawn(block_once).wait()
            fasthub.sleep(0.06)
    bg.kill()
    logged = [r for r in caplog.records if r.name == "fasthub.monitor"]
    assert len(logged) == 1
    [summary] = monitor.report()
    assert summary.count == 3 and summary.call == "time.sleep"


def test_an_idle_hub_is_not_reported(mon):
    reports = []
    mon.start(threshold=0.05, action=reports.append)
    fasthub.sleep(0.3)  # the hub waits in epoll by choice: idle, not blocked
    time.sleep(0.2)     # the main greenlet blocks, but no one else is waiting for the hub
    assert reports == []


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        monitor.Monitor(threshold=0)
    with pytest.raises(ValueError):
        monitor.Monitor(action="shout")


def test_environment_starts_the_monitor(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent("""
        import time, fasthub
        fasthub.spawn(fasthub.sleep, 1)
        def blocker():
            time.sleep(0.5)
        fasthub.spawn(blocker).wait()
        print("REPORTS", [(r.call, r.count) for r in fasthub.monitor.report()])
    """))
    env = {**os.environ, "FASTHUB_MONITOR": "0.1"}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "REPORTS [('time.sleep', 1)]" in proc.stdout
    assert "has held the hub" in proc.stderr and "in blocker" in proc.stderr


# --- FASTHUB_DEBUG -----------------------------------------------------------------------------------

@pytest.fixture
def debug_on():
    debug.enable()
    yield
    debug.disable()


def test_debug_warns_once_per_call_site_for_the_original_sleep(debug_on):
    def sleeper():
        for _ in range(3):
            time.sleep(0.001)  # same site three times: one warning

    bg = fasthub.spawn(fasthub.sleep, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fasthub.spawn(sleeper).wait()
    bg.kill()
    mine = [w for w in caught if issubclass(w.category, debug.BlockingCallWarning)]
    assert len(mine) == 1
    assert mine[0].filename == __file__ and "time.sleep" in str(mine[0].message)


def test_debug_warns_for_a_blocking_socket_and_a_held_lock(debug_on):
    import threading

    a, b = socket.socketpair()
    b.send(b"x")
    lock = threading.Lock()
    lock.acquire()

    def blocking_user():
        a.recv(1)  # blocking fd: data is there, but the call is still a blocking one
        lock.acquire(timeout=0.01)

    bg = fasthub.spawn(fasthub.sleep, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fasthub.spawn(blocking_user).wait()
    bg.kill()
    msgs = [str(w.message) for w in caught if issubclass(w.category, debug.BlockingCallWarning)]
    assert any("blocking socket" in m for m in msgs)
    assert any("already held" in m for m in msgs)
    a.close()
    b.close()


def test_debug_is_quiet_when_nobody_else_waits(debug_on):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fasthub.spawn(time.sleep, 0.001).wait()
    assert not [w for w in caught if issubclass(w.category, debug.BlockingCallWarning)]


def test_after_monkey_patch_the_same_task_is_not_reported(tmp_path):
    script = tmp_path / "patched.py"
    script.write_text(textwrap.dedent("""
        import fasthub
        fasthub.monkey_patch()
        import time
        reports = []
        fasthub.monitor.start(threshold=0.1, action=reports.append)
        ticks = []
        def ticker():
            while True:
                ticks.append(time.monotonic())
                fasthub.sleep(0.01)
        def blocker():
            time.sleep(0.5)   # green after patching: parks this task only
        t = fasthub.spawn(ticker)
        fasthub.spawn(blocker).wait()
        t.kill()
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        print("REPORTS", len(reports), "TICKS", len(ticks), "MAXGAP", round(max(gaps), 3))
    """))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    words = proc.stdout.split()
    reports, ticks, maxgap = int(words[1]), int(words[3]), float(words[5])
    assert reports == 0
    assert ticks >= 20 and maxgap < 0.1  # the ticker kept running while the task slept
