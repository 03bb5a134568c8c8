"""Signals wake the main thread's hub through its wake-up pipe (fasthub.core.sigwake)."""

import os
import signal as std_signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

import fasthub
from fasthub.core._hub import Hub
from fasthub.green import signal

# The child parks its main green thread in accept() (an fd wait, no timer), after handing the hub a
# callback that computes in C for a while with the GIL released and no system call that a signal
# could interrupt. The parent sends the signal during that computation: CPython's C handler only sets
# a flag, no bytecode runs to notice it, and the hub then blocks in epoll_wait/poll(-1). Without the
# wake-up pipe the handler waits for the next event, which never comes.
_CHILD = textwrap.dedent("""
    import hashlib, socket, sys, time
    import fasthub
    from fasthub.green import signal, socket

    def handler(signum, frame):
        print("handled", signum, flush=True)
        raise SystemExit(7)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGUSR1, handler)
    hub = fasthub.get_hub()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    t0 = time.monotonic()
    hashlib.pbkdf2_hmac("sha256", b"x", b"y", 20000)
    per_round = time.monotonic() - t0
    # About 0.6 s of C computation, run by the hub once the main green thread waits.
    rounds = max(20000, int(20000 * 0.6 / max(per_round, 1e-6)))
    hub.call_soon(hashlib.pbkdf2_hmac, "sha256", b"x", b"y", rounds)
    print("ready", hub.backend, flush=True)
    listener.accept()
    print("accept returned", flush=True)
""")


@pytest.mark.parametrize("signum", [std_signal.SIGTERM, std_signal.SIGUSR1], ids=["SIGTERM", "SIGUSR1"])
def test_signal_during_hub_c_code_wakes_the_blocked_hub(hub, signum):
    env = dict(os.environ, FASTHUB_BACKEND=hub.backend)
    proc = subprocess.Popen([sys.executable, "-c", _CHILD], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().split() == ["ready", hub.backend]
        time.sleep(0.1)  # inside the child's hub callback (about 0.6 s of pbkdf2)
        sent = time.monotonic()
        proc.send_signal(signum)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail("the child's handler did not run: its hub stayed blocked after the signal")
        waited = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 7, err
    assert out.split() == ["handled", str(int(signum))]
    assert waited < 10  # the computation, then the handler at once (generous: a loaded machine)


def test_program_wakeup_fd_still_receives_signal_numbers():
    saved = std_signal.getsignal(std_signal.SIGUSR1)
    r, w = socket.socketpair()
    r.setblocking(False)
    w.setblocking(False)
    try:
        got = []
        signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
        assert signal.set_wakeup_fd(w.fileno()) == -1
        os.kill(os.getpid(), signal.SIGUSR1)
        fasthub.sleep(0.05)  # the hub reads its pipe and writes the byte on
        assert got == [signal.SIGUSR1]
        assert r.recv(16) == bytes([signal.SIGUSR1])
        # The hub's pipe stayed the process's wake-up fd, so the hub still wakes for signals.
        hubs_fd = std_signal.set_wakeup_fd(-1)
        std_signal.set_wakeup_fd(hubs_fd, warn_on_full_buffer=False)
        assert hubs_fd not in (-1, w.fileno())
        assert signal.set_wakeup_fd(-1) == w.fileno()
        assert std_signal.set_wakeup_fd(hubs_fd, warn_on_full_buffer=False) == hubs_fd
    finally:
        signal.set_wakeup_fd(-1)
        std_signal.signal(std_signal.SIGUSR1, saved)
        r.close()
        w.close()


def _peek_wakeup_fd():
    fd = std_signal.set_wakeup_fd(-1)
    if fd != -1:
        std_signal.set_wakeup_fd(fd, warn_on_full_buffer=False)
    return fd


def test_a_destroyed_hub_gives_the_wakeup_fd_back(hub):
    before = _peek_wakeup_fd()
    assert before != -1   # the test's hub (main thread) installed its pipe
    other = Hub(hub.backend)
    assert _peek_wakeup_fd() not in (-1, before)
    other.destroy()
    assert _peek_wakeup_fd() == before
    other.destroy()       # idempotent
    assert _peek_wakeup_fd() == before


# The main green thread waits for nothing but a signal: an Event that only the SIGUSR1 handler sets.
_SIGNAL_ONLY_CHILD = textwrap.dedent("""
    import signal as std_signal, sys
    import fasthub
    from fasthub.green import signal

    how = sys.argv[1]
    stop = fasthub.Event()
    handler = lambda signum, frame: stop.set()
    if how == "green":
        signal.signal(signal.SIGUSR1, handler)
    elif how == "stdlib":      # as pytest-timeout does: not through fasthub's signal module
        std_signal.signal(std_signal.SIGUSR1, handler)
    elif how == "reset":       # a green handler, then the default again
        signal.signal(signal.SIGUSR1, handler)
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
    print("waiting", flush=True)
    try:
        stop.wait()
    except fasthub.LoopExit as e:
        print("LoopExit", "signal handler" in str(e), flush=True)
        sys.exit(3)
    print("woken", flush=True)
""")


def _run_signal_only_child(hub, how):
    env = dict(os.environ, FASTHUB_BACKEND=hub.backend)
    with subprocess.Popen([sys.executable, "-c", _SIGNAL_ONLY_CHILD, how], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        return _signal_only_outcome(proc, how)


def _signal_only_outcome(proc, how):
    try:
        assert proc.stdout.readline().split() == ["waiting"]
        time.sleep(0.3)  # the child's hub is in poll by now (or has raised LoopExit)
        if proc.poll() is None:
            proc.send_signal(std_signal.SIGUSR1)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{how}: the child neither woke nor raised LoopExit")
        # (read(), not communicate(): what readline() buffered after "waiting" would be lost)
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out.split(), err


def test_a_wait_only_a_signal_handler_can_end_is_not_a_deadlock(hub):
    # Regression: the hub raised LoopExit at once ("would block forever") although the SIGUSR1
    # handler installed through fasthub's signal module was going to set the Event.
    rc, out, err = _run_signal_only_child(hub, "green")
    assert (rc, out) == (0, ["woken"]), err


@pytest.mark.parametrize("how", ["stdlib", "reset"])
def test_a_wait_nothing_can_end_is_still_reported_as_a_deadlock(hub, how):
    # Handlers fasthub did not install (pytest-timeout's SIGALRM, any stdlib signal.signal() in an
    # unpatched program) and a handler set back to SIG_DFL do not hide a deadlock.
    rc, out, err = _run_signal_only_child(hub, how)
    assert (rc, out) == (3, ["LoopExit", "True"]), err
