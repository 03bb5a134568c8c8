"""The counters the leak check reads (Hub.counters()) and the after-test leak check itself
(tests/leakcheck.py, run by tests/conftest.py after every test)."""

import os
import socket
import subprocess
import sys
import threading

import pytest

import fasthub
from fasthub.core._greenthread import spawn, spawn_after
from fasthub.core._hub import sleep

HERE = os.path.dirname(os.path.abspath(__file__))


def named_callback():
    pass


def test_counters_name_timers_fds_and_green_threads(hub):
    c = hub.counters()
    assert (c["timers"], c["fd_waiters"], c["fd_slots"], c["parked"], c["workers_busy"],
            c["threads_alive"]) == (0, 0, 0, 0, 0, 0)
    timer = hub.call_later(600, named_callback)
    later = spawn_after(600, named_callback)
    sleeper = spawn(sleep, 600)
    c = hub.counters()
    assert c["timer_callbacks"] == [named_callback, later]
    assert c["threads_alive"] == 2 and c["workers_busy"] == 0   # both waiting to start
    sleep(0)
    c = hub.counters()
    assert (c["parked"], c["workers"], c["workers_busy"], c["threads_alive"]) == (1, 1, 1, 2)
    a, b = socket.socketpair()
    try:
        listener = hub.add_reader(a.fileno(), named_callback)
        c = hub.counters()
        assert (c["fd_slots"], c["fds"]) == (1, [(a.fileno(), "read", named_callback)])
        listener.cancel()
    finally:
        a.close()
        b.close()
    timer.cancel()
    later.kill()
    sleeper.kill()
    c = hub.counters()
    assert (c["timers"], c["fd_slots"], c["parked"], c["workers_busy"], c["workers_idle"],
            c["threads_alive"]) == (0, 0, 0, 0, 1, 0)


def test_counters_of_a_thread_hub_from_outside():
    # A snapshot of another OS thread's hub: its parked green thread and its sleep's timer.
    ready, release = threading.Event(), threading.Event()
    seen = {}

    def in_thread():
        h = fasthub.get_hub()
        gt = spawn(sleep, 600)
        sleep(0)
        seen["hub"] = h
        ready.set()
        while not release.is_set():
            sleep(0.005)
        gt.kill()

    t = threading.Thread(target=in_thread)
    t.start()
    try:
        assert ready.wait(10)
        c = seen["hub"].counters()
        assert c["workers_busy"] == 1 and c["threads_alive"] == 1
        assert c["parked"] >= 1 and len(c["timer_callbacks"]) >= 1
    finally:
        release.set()
        t.join(10)
    assert not t.is_alive()


@pytest.mark.one_backend
def test_the_leak_check_fails_each_leaking_test_naming_the_leak():
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
         os.path.join(HERE, "_leakcheck_cases.py")],
        cwd=os.path.dirname(HERE), capture_output=True, text=True, timeout=100)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out

    def section(name):
        head = f"ERROR at teardown of {name}["
        assert head in out, f"{name} was not failed by the leak check:\n{out}"
        start = out.index(head)
        end = out.find("\n__", start + len(head))
        return out[start:end if end != -1 else len(out)]

    parked = section("test_parks_forever")
    assert "1 green thread(s) parked" in parked and "on Event at" in parked, parked
    assert "1 busy worker(s)" in parked, parked
    timer = section("test_timer_left")
    assert "1 live timer(s)" in timer and "timers call: never_called" in timer, timer
    fd = section("test_fd_reader_left")
    assert "(read) by on_readable" in fd, fd
    thread = section("test_thread_not_joined")
    assert "thread 'forgotten', a thread started during the test that is still running" in thread
    timeout = section("test_timeout_left_pending")
    assert "raised into the main greenlet while the hub settled" in timeout, timeout
    assert "fasthub.Timeout" in timeout, timeout
    assert "ERROR at setup of test_allowed_without_reason[" in out
    assert "@pytest.mark.leaks_allowed needs a reason" in out
    for name in ("test_allowed_leak", "test_clean"):
        assert f"ERROR at teardown of {name}[" not in out, out
        assert f"PASSED tests/_leakcheck_cases.py::{name}[" in out, out
    assert "7 passed, 8 deselected, 6 errors" in out, out
