"""Green threads: spawn, wait, link, kill, joinall, sleep fairness, identity, scale."""

import contextvars
import gc
import random
import socket
import subprocess
import sys
import threading
import time
import weakref

import pytest
from greenlet import GreenletExit

import fasthub
from fasthub import GreenThread, getcurrent, joinall, kill, sleep, spawn, spawn_after, spawn_n


def test_spawn_runs_later_and_wait_returns_the_result():
    order = []
    g = spawn(lambda x, y=0: order.append("ran") or x + y, 2, y=3)
    order.append("spawned")
    assert g.wait() == 5
    assert order == ["spawned", "ran"]
    assert g.dead and g.ready() and g.successful() and g.value == 5


def test_exception_is_printed_and_reraised_by_wait(hub, hub_errors):
    def boom():
        raise ValueError("bad input")

    g = spawn(boom)
    with pytest.raises(ValueError, match="bad input"):
        g.wait()
    [(context, exc)] = hub_errors.take()
    assert context is g and isinstance(exc, ValueError)
    assert not g.successful() and isinstance(g.exception, ValueError)
    with pytest.raises(ValueError):
        g.get()


def test_default_report_prints_the_traceback(hub, capfd):
    hub.error_handler = None

    def failing_task():
        raise KeyError("missing")

    with pytest.raises(KeyError):
        spawn(failing_task).wait()
    err = capfd.readouterr().err
    assert "Traceback" in err and "failing_task" in err and "KeyError" in err


def test_exceptions_cross_wait_from_deep_inside(hub_errors):
    def inner():
        sleep(0.001)
        raise OSError(5, "io")

    def outer():
        return spawn(inner).wait()

    with pytest.raises(OSError):
        spawn(outer).wait()
    assert len(hub_errors.take()) == 2  # both green threads ended with it


def test_sleep_zero_lets_every_other_ready_green_thread_run_once():
    log = []

    def worker(name):
        for i in range(3):
            log.append((name, i))
            sleep(0)

    gs = [spawn(worker, n) for n in "abc"]
    joinall(gs)
    assert log == [(n, i) for i in range(3) for n in "abc"]


def test_sleep_duration():
    t0 = time.monotonic()
    sleep(0.05)
    assert 0.049 <= time.monotonic() - t0 < 1.0


def test_many_timers_on_one_deadline_fire_in_order(hub):
    fired = []
    deadline = hub.now() + 0.02
    for i in range(2000):
        hub.call_at(deadline, fired.append, i)
    sleep(0.05)
    assert fired == list(range(2000))


def test_random_timers_fire_in_deadline_order(hub):
    # 500 timers on deadlines known exactly (one base, no clock read between them): the heap must fire
    # them sorted by deadline, equal deadlines in the order they were scheduled. (The earlier version
    # of this test compared sleepers against deadlines the test computed itself, a clock read before
    # sleep()'s own: a preemption between the two lines on a busy machine inverted a pair.)
    rng = random.Random(3)
    base = hub.now() + 0.005
    deadlines = [base + rng.choice([0.0, 0.001, 0.002]) * rng.randint(0, 20) for _ in range(500)]
    fired = []
    for i, when in enumerate(deadlines):
        hub.call_at(when, fired.append, i)
    sleep(max(deadlines) - hub.now() + 0.02)
    assert fired == sorted(range(500), key=lambda i: (deadlines[i], i))


def test_random_sleepers_all_wake_and_never_early(hub):
    rng = random.Random(3)
    late = {}

    def sleeper(i):
        delay = rng.uniform(0, 0.05)
        earliest = hub.now() + delay   # sleep() reads the clock after this: its deadline is later
        sleep(delay)
        late[i] = hub.now() - earliest

    joinall([spawn(sleeper, i) for i in range(500)])
    assert sorted(late) == list(range(500))
    assert min(late.values()) >= 0, "a sleeper woke before its delay had passed"


def test_link_and_unlink():
    calls = []

    def on_done(gt, tag):
        calls.append((gt.value, tag))

    g = spawn(lambda: "v")
    g.link(on_done, "a")
    g.link(on_done, "b")
    assert g.unlink(on_done, "b") is True
    g.wait()
    assert calls == [("v", "a")]
    g.link(on_done, "late")  # already dead: called at once
    assert calls[-1] == ("v", "late")


def test_link_exception_is_reported_and_others_still_run(hub_errors):
    calls = []

    def bad(gt):
        raise RuntimeError("link failed")

    g = spawn(lambda: 1)
    g.link(bad)
    g.link(lambda gt: calls.append(gt.value))
    g.wait()
    assert calls == [1]
    assert [type(e) for _, e in hub_errors.take()] == [RuntimeError]


def test_kill_before_start_never_runs():
    ran = []
    g = spawn(ran.append, 1)
    g.kill()
    sleep(0.01)
    assert ran == [] and g.dead
    with pytest.raises(GreenletExit):
        g.wait()
    assert isinstance(g.get(), GreenletExit)


def test_kill_with_a_chosen_exception_during_a_wait(hub_errors):
    a, b = socket.socketpair()
    a.setblocking(False)
    cleaned = []

    def reader():
        try:
            fasthub.wait_read(a)
        finally:
            cleaned.append(True)

    class Stop(Exception):
        pass

    g = spawn(reader)
    sleep(0.01)
    g.kill(Stop("stop now"))
    assert g.dead and cleaned == [True]
    with pytest.raises(Stop):
        g.wait()
    hub_errors.take()
    # The fd slot was released by the kill: a new reader may wait on it.
    r = spawn(lambda: (fasthub.wait_read(a, timeout=1), a.recv(3))[1])
    sleep(0)
    b.send(b"abc")
    assert r.wait() == b"abc"
    fasthub.notify_close(a)
    a.close()
    b.close()


def test_kill_from_the_hub_and_nonblocking(hub):
    g = spawn(sleep, 10)
    sleep(0)
    kill(g, block=False)
    assert not g.dead
    sleep(0)
    sleep(0)
    assert g.dead


def test_killing_yourself_raises_at_once(hub_errors):
    def suicide():
        getcurrent().kill(ValueError("me"))
        return "not reached"

    g = spawn(suicide)
    with pytest.raises(ValueError):
        g.wait()
    assert [type(e) for _, e in hub_errors.take()] == [ValueError]


def test_kill_of_a_dead_thread_is_harmless():
    g = spawn(lambda: 1)
    g.wait()
    g.kill()
    assert g.value == 1


def test_a_killed_task_cannot_disturb_the_next_task_on_its_worker(hub):
    # Workers are reused: a late wake-up meant for the killed task must not reach the next one.
    w = fasthub.Waiter()
    g = spawn(w.get)
    sleep(0)
    g.kill()
    second = spawn(sleep, 0.05)
    sleep(0)
    w.switch("stale")  # aimed at the killed task's wait
    t0 = time.monotonic()
    second.wait()
    assert time.monotonic() - t0 > 0.03  # the second task slept its full time


def test_getcurrent_is_the_green_thread():
    seen = []
    g = spawn(lambda: seen.append(getcurrent()))
    g.wait()
    assert seen == [g]
    assert isinstance(g, GreenThread)
    assert getcurrent() is not g


def test_each_green_thread_gets_a_fresh_context():
    var = contextvars.ContextVar("var", default="unset")

    def use(v):
        before = var.get()
        var.set(v)
        sleep(0)
        return before, var.get()

    gs = [spawn(use, i) for i in range(5)]
    assert [g.wait() for g in gs] == [("unset", i) for i in range(5)]
    assert [spawn(use, i).wait() for i in range(3)] == [("unset", i) for i in range(3)]


def test_spawn_after_and_cancel():
    ran = []
    g = spawn_after(0.02, ran.append, "late")
    c = spawn_after(0.02, ran.append, "cancelled")
    assert c.cancel() is True
    t0 = time.monotonic()
    g.wait()
    assert time.monotonic() - t0 >= 0.015
    sleep(0.03)
    assert ran == ["late"]
    assert g.cancel() is False


def test_spawn_n_runs():
    ran = []
    spawn_n(ran.append, 1)
    sleep(0)
    assert ran == [1]


def test_joinall_timeout_and_raise_error(hub_errors):
    fast = spawn(sleep, 0)
    slow = spawn(sleep, 5)
    done = joinall([fast, slow], timeout=0.05)
    assert done == [fast]
    slow.kill()

    def fails():
        raise ValueError("x")

    with pytest.raises(ValueError):
        joinall([spawn(fails), spawn(sleep, 0)], raise_error=True)
    hub_errors.take()
    assert joinall([spawn(sleep, 0) for _ in range(5)], count=2)


def test_join_and_get_timeouts():
    g = spawn(sleep, 5)
    assert g.join(0.01) is False
    with pytest.raises(TimeoutError):
        g.get(timeout=0.01)
    with pytest.raises(TimeoutError):
        g.get(block=False)
    g.kill()


def test_join_from_another_os_thread_parks_in_the_joiners_hub():
    # Regression: join() parked the joiner on the green thread's hub, which belongs to another OS
    # thread: greenlet refused the switch ("cannot switch to a different thread").
    published, results = [], []
    ready, release = threading.Event(), threading.Event()

    def other():
        gt = spawn(lambda: (sleep(0.05), "done")[1])
        published.append(gt)
        ready.set()
        gt.wait()
        release.wait(10)   # keep this thread (and its hub) alive until the joiner is back

    t = threading.Thread(target=other)
    t.start()
    assert ready.wait(10)
    gt = published[0]
    results.append(gt.join(10))
    results.append(gt.join(0))   # already finished: no wait
    release.set()
    t.join(10)
    assert results == [True, True] and gt.value == "done"


def test_one_hundred_thousand_green_threads():
    n = 100_000
    counter = [0]

    def task():
        gate_wait()
        counter[0] += 1

    waiting = []

    def gate_wait():
        w = fasthub.Waiter()
        waiting.append(w)
        w.get()

    gs = [spawn(task) for _ in range(n)]
    sleep(0)  # all of them start and park
    assert len(waiting) == n
    for w in waiting:
        w.switch()
    joinall(gs)
    assert counter[0] == n
    assert all(g.successful() for g in gs)


def test_system_exit_in_a_green_thread_reaches_the_main_greenlet():
    def exit_now():
        raise SystemExit(3)

    spawn(exit_now)
    with pytest.raises(SystemExit):
        sleep(0.05)


def test_keyboard_interrupt_reaches_main_before_it_resumes(hub):
    # eventlet issue 407: the green thread raises KeyboardInterrupt while the main greenlet waits in
    # sleep(0), whose wake-up is already queued; it must arrive in that sleep, not at a later wait.
    q = fasthub.Queue()

    def get():
        q.get()
        raise KeyboardInterrupt

    g = spawn(get)
    sleep(0)
    with pytest.raises(KeyboardInterrupt):
        q.put(None)
        sleep(0)
    assert g.dead
    # The worker that delivered it is reused by the next green thread.
    assert spawn(lambda: 5).wait() == 5


def test_keyboard_interrupt_in_a_green_thread_ends_the_program():
    # The main greenlet's last wait returns just as the green thread raises: the program must still
    # stop with KeyboardInterrupt (exit status 1, traceback), not end normally.
    code = (
        "import fasthub\n"
        "def boom():\n"
        "    raise KeyboardInterrupt('from a green thread')\n"
        "fasthub.spawn(boom)\n"
        "fasthub.sleep(0)\n"
        "print('main returned normally')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "main returned normally" not in proc.stdout
    assert proc.returncode != 0
    assert "KeyboardInterrupt: from a green thread" in proc.stderr


def test_throw_from_the_hub_raises_at_the_wait_point(hub):
    caught = []

    def waiter():
        try:
            sleep(10)
        except ValueError as e:
            caught.append(e)
            return "handled"

    g = spawn(waiter)
    sleep(0)
    hub.call_soon(g.throw, ValueError, ValueError("boom"))
    assert g.wait() == "handled"
    assert str(caught[0]) == "boom"


def test_throw_forms_and_before_start(hub_errors):
    g = spawn(sleep, 10)
    sleep(0)
    g.throw()  # no argument: GreenletExit, which ends it quietly
    g.join(1)
    assert g.dead and isinstance(g.exception, GreenletExit)

    g = spawn(sleep, 10)
    g.throw(RuntimeError("early"))  # not started: never runs
    assert g.dead and isinstance(g.exception, RuntimeError)

    g = spawn(sleep, 10)
    sleep(0)
    g.throw(KeyError, "k")  # (class, value) from a green thread: raised at the next hub turn
    assert not g.dead
    with pytest.raises(KeyError):
        g.wait()
    assert [type(e) for _, e in hub_errors.take()] == [RuntimeError, KeyError]
    spawn(lambda: None).wait()
    g.throw(ValueError)  # dead: nothing happens
    assert isinstance(g.exception, KeyError)


def test_idle_workers_are_kept_after_a_burst_then_trimmed(hub, monkeypatch):
    import fasthub.core._greenthread as gt_mod

    monkeypatch.setattr(gt_mod, "TRIM_INTERVAL", 0.01)
    hub.max_idle_workers = 16
    joinall([spawn(sleep, 0.001) for _ in range(300)])  # 300 parked at once: 300 workers
    assert len(hub.idle_workers) > 16  # kept for the next burst ...
    reused = list(hub.idle_workers)
    joinall([spawn(sleep, 0) for _ in range(50)])
    assert set(map(id, hub.idle_workers)) <= set(map(id, reused))  # ... which reuses them
    deadline = time.monotonic() + 5
    while len(hub.idle_workers) > 16 and time.monotonic() < deadline:
        sleep(0.02)
    assert len(hub.idle_workers) == 16  # ... then retired down to the steady-state cap
    assert spawn(lambda: "still works").wait() == "still works"


def test_an_idle_worker_does_not_keep_the_last_result_alive(hub):
    # Regression: the worker's loop kept its last green thread in a local while parked idle, so a
    # dropped GreenThread's result lived on until the worker ran something else.
    class Result:
        pass

    refs = []

    def make():
        r = Result()
        refs.append(weakref.ref(r))
        return r

    g = spawn(make)
    assert type(g.wait()) is Result
    del g
    sleep(0)
    gc.collect()
    assert refs[0]() is None, "the finished green thread's result is still alive"
