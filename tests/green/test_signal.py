"""fasthub.green.signal, used directly (nothing patched in this process)."""

import os
import signal as std_signal
import time

import pytest

import fasthub
from fasthub.green import signal


@pytest.fixture
def restore_handlers():
    saved = {s: std_signal.getsignal(s) for s in (std_signal.SIGUSR1, std_signal.SIGALRM)}
    yield saved
    std_signal.setitimer(std_signal.ITIMER_REAL, 0)
    for s, h in saved.items():
        std_signal.signal(s, h)


def test_handler_in_the_main_greenlet_runs_synchronously(restore_handlers):
    got = []
    previous = signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
    assert previous is restore_handlers[std_signal.SIGUSR1]   # what was installed before the test
    signal.raise_signal(signal.SIGUSR1)
    assert got == [signal.SIGUSR1]


def test_handler_from_the_hub_runs_in_a_green_thread_and_may_block(restore_handlers):
    got = []

    def handler(signum, frame):
        fasthub.sleep(0.01)  # would be BlockingInHubError if run in the hub
        got.append(signum)

    signal.signal(signal.SIGUSR1, handler)
    fasthub.spawn_after(0.01, os.kill, os.getpid(), signal.SIGUSR1)
    fasthub.sleep(0.2)
    assert got == [signal.SIGUSR1]


def test_exception_of_a_handler_reaches_the_main_program(restore_handlers):
    class Alarm(Exception):
        pass

    def handler(signum, frame):
        raise Alarm()

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    t0 = time.monotonic()
    with pytest.raises(Alarm):
        fasthub.sleep(5)  # the main program waits in the hub when the signal arrives
    assert time.monotonic() - t0 < 2


def test_getsignal_returns_the_users_handler(restore_handlers):
    def handler(s, f):
        pass

    assert signal.signal(signal.SIGUSR1, handler) is not handler
    assert signal.getsignal(signal.SIGUSR1) is handler
    assert type(std_signal.getsignal(signal.SIGUSR1)).__name__ == "_Dispatcher"
    assert signal.signal(signal.SIGUSR1, signal.SIG_IGN) is handler
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_IGN
    with pytest.raises(TypeError):
        signal.signal(signal.SIGUSR1, "not callable")
