"""Deliberately leaking tests, run by tests/test_leakcheck.py in a pytest subprocess to show that the
after-test leak check (tests/leakcheck.py) fails each with a message naming what it left. Not
collected by the suite itself (the file name does not start with test_)."""

import socket
import threading

import pytest

import fasthub
from fasthub.core._hub import get_hub

pytestmark = pytest.mark.one_backend


def never_called():
    raise AssertionError("the leak check's timer should never fire")


def on_readable():
    raise AssertionError("nothing is ever written to this socket")


def test_parks_forever():
    never_set = fasthub.Event()
    fasthub.spawn(never_set.wait)
    fasthub.sleep(0)


def test_timer_left():
    get_hub().call_later(600, never_called)


def test_fd_reader_left():
    a, b = socket.socketpair()
    test_fd_reader_left.sockets = (a, b)   # kept open: the listener stays registered
    get_hub().add_reader(a.fileno(), on_readable)


def test_thread_not_joined():
    started, release = threading.Event(), threading.Event()

    def in_thread():
        get_hub()          # this thread now has a hub
        started.set()
        release.wait(30)   # not joined by the test: its hub outlives the test

    threading.Thread(target=in_thread, name="forgotten", daemon=True).start()
    started.wait(10)


@pytest.mark.leaks_allowed("the leak is what this case shows is allowed")
def test_allowed_leak():
    get_hub().call_later(600, never_called)


@pytest.mark.leaks_allowed
def test_allowed_without_reason():
    pass


def test_clean():
    gt = fasthub.spawn(fasthub.sleep, 0.01)
    gt.wait()
    timer = get_hub().call_later(600, never_called)
    timer.cancel()
    t = threading.Thread(target=lambda: fasthub.sleep(0.01))
    t.start()
    t.join()


def test_timeout_left_pending():
    fasthub.Timeout(0.05)   # started, never cancelled: it fires in whatever runs next
