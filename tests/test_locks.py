"""Semaphore, BoundedSemaphore, Lock, RLock, Condition: threading's semantics and errors, FIFO
hand-off, timeouts, kills and Timeouts while waiting, OS threads sharing a lock, and shutdown."""

import subprocess
import sys
import textwrap
import threading
import time

import greenlet
import pytest
from greenlet import GreenletExit

import fasthub
from fasthub import getcurrent, sleep, spawn
from fasthub.sync.locks import BoundedSemaphore, Condition, Lock, RLock, Semaphore
from fasthub.sync.timeout import Timeout


# -- Lock: threading.Lock's contract ------------------------------------------------------------------

def test_lock_acquire_release_locked():
    lock = Lock()
    assert not lock.locked()
    assert lock.acquire() is True
    assert lock.locked()
    assert lock.acquire(False) is False
    assert lock.acquire(timeout=0) is False
    lock.release()
    assert not lock.locked()
    with lock as entered:
        assert entered is True and lock.locked()
    assert not lock.locked()


def test_lock_argument_and_misuse_errors_match_threading():
    lock = Lock()
    with pytest.raises(RuntimeError):
        lock.release()
    with pytest.raises(ValueError):
        lock.acquire(False, 1)
    with pytest.raises(ValueError):
        lock.acquire(timeout=-2)
    with pytest.raises(OverflowError):
        lock.acquire(timeout=threading.TIMEOUT_MAX * 2)
    assert not lock.locked()  # no failed call took it


def test_lock_timeout_none_means_no_limit_as_in_gevent():
    lock = Lock()
    assert lock.acquire(True, None) is True
    assert lock.acquire(False, None) is False   # None is "not given", allowed without blocking
    spawn(lock.release)
    assert lock.acquire(timeout=None) is True
    lock.release()


def test_lock_can_be_released_by_another_green_thread():
    lock = Lock()
    lock.acquire()
    spawn(lock.release)
    assert lock.acquire(timeout=5) is True


def test_lock_waiters_are_served_in_fifo_order():
    lock = Lock()
    order = []

    def worker(i):
        with lock:
            order.append(i)
            sleep(0.001)

    lock.acquire()
    gs = [spawn(worker, i) for i in range(6)]
    sleep(0.01)
    lock.release()
    fasthub.joinall(gs)
    assert order == list(range(6))


def test_release_hands_the_lock_to_the_waiter_no_barging():
    # A green thread that releases and re-acquires in a loop must let the waiter in each time.
    lock = Lock()
    log = []

    def hog():
        lock.acquire()
        while not lock.waiting():
            sleep(0)  # let `polite` queue up
        for i in range(3):
            log.append(f"hog{i}")
            lock.release()
            lock.acquire()
        lock.release()

    def polite():
        for i in range(3):
            with lock:
                log.append(f"polite{i}")

    h = spawn(hog)
    p = spawn(polite)
    fasthub.joinall([h, p])
    assert log == ["hog0", "polite0", "hog1", "polite1", "hog2", "polite2"]


def test_acquire_timeout_gives_up_and_leaves_no_waiter():
    lock = Lock()
    lock.acquire()
    start = time.monotonic()
    results = []
    g = spawn(lambda: results.append(lock.acquire(timeout=0.03)))
    g.wait()
    assert results == [False]
    assert time.monotonic() - start >= 0.02
    assert lock.waiting() == 0
    lock.release()
    assert not lock.locked()  # not handed to the waiter that gave up


def test_killed_waiter_is_removed_and_the_release_is_not_lost():
    lock = Lock()
    lock.acquire()
    victim = spawn(lock.acquire)
    sleep(0)
    assert lock.waiting() == 1
    victim.kill()
    assert isinstance(victim.exception, GreenletExit)
    assert lock.waiting() == 0
    lock.release()
    assert not lock.locked()
    assert lock.acquire(False) is True


def test_waiter_killed_after_the_grant_passes_the_lock_on():
    lock = Lock()
    got = []
    lock.acquire()
    first = spawn(lambda: got.append(("first", lock.acquire())))
    second = spawn(lambda: (got.append(("second", lock.acquire())), lock.release()))
    sleep(0)
    assert lock.waiting() == 2
    # Queue the kill before the release, so `first` is granted the lock but receives the kill
    # before it can run: it must give the lock on to `second`, not take it to its grave.
    first.kill(block=False)
    lock.release()
    second.join(5)
    assert got == [("second", True)]
    assert isinstance(first.exception, GreenletExit)
    assert not lock.locked()


def test_timeout_while_waiting_for_a_lock():
    lock = Lock()
    lock.acquire()
    with pytest.raises(Timeout):
        with Timeout(0.01):
            lock.acquire()
    assert lock.waiting() == 0
    lock.release()
    assert not lock.locked()


# -- Semaphore / BoundedSemaphore -------------------------------------------------------------------

def test_semaphore_counts():
    sem = Semaphore(2)
    assert sem.acquire() and sem.acquire()
    assert sem.locked() and sem.counter == 0
    assert sem.acquire(blocking=False) is False
    assert sem.acquire(timeout=0.01) is False
    assert sem.acquire(timeout=-1) is False  # threading: a negative timeout means "do not wait"
    sem.release()
    assert sem.counter == 1 and not sem.locked()
    with sem:
        assert sem.counter == 0
    assert sem.counter == 1


def test_semaphore_errors_match_threading():
    with pytest.raises(ValueError):
        Semaphore(-1)
    sem = Semaphore(1)
    with pytest.raises(ValueError):
        sem.acquire(False, timeout=1)
    with pytest.raises(ValueError):
        sem.release(0)
    bounded = BoundedSemaphore(2)
    bounded.acquire()
    bounded.release()
    with pytest.raises(ValueError, match="too many"):
        bounded.release()
    bounded.acquire()
    with pytest.raises(ValueError):
        bounded.release(2)
    bounded.release()
    assert bounded.counter == 2


def test_release_n_wakes_n_waiters_in_order():
    sem = Semaphore(0)
    woken = []
    gs = [spawn(lambda i=i: (sem.acquire(), woken.append(i))) for i in range(5)]
    sleep(0)
    sem.release(3)
    sleep(0.01)
    assert woken == [0, 1, 2]
    sem.release(2)
    fasthub.joinall(gs)
    assert woken == [0, 1, 2, 3, 4]
    assert sem.counter == 0


def test_semaphore_limits_concurrency():
    sem = Semaphore(3)
    active = []
    peak = []

    def worker():
        with sem:
            active.append(1)
            peak.append(len(active))
            sleep(0.002)
            active.pop()

    fasthub.joinall([spawn(worker) for _ in range(20)])
    assert max(peak) == 3
    assert sem.counter == 3


# -- RLock ---------------------------------------------------------------------------------------

def test_rlock_is_reentrant_for_its_owner():
    lock = RLock()
    assert lock.acquire() and lock.acquire()
    assert lock.locked() and lock._recursion_count() == 2
    lock.release()
    assert lock.locked()
    lock.release()
    assert not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()


def test_rlock_belongs_to_a_green_thread():
    lock = RLock()
    lock.acquire()
    lock.acquire()
    log = []

    def other():
        with pytest.raises(RuntimeError):
            lock.release()  # not the owner
        log.append(lock.acquire(timeout=0.01))
        lock.acquire()
        log.append("got it")
        lock.release()

    g = spawn(other)
    sleep(0.05)
    assert log == [False]
    lock.release()
    sleep(0.01)
    assert log == [False]  # still held once
    lock.release()
    g.wait()
    assert log == [False, "got it"]


def test_rlock_owner_is_the_green_thread_not_the_worker_greenlet():
    lock = RLock()
    workers = []

    def take_and_leave():
        workers.append(greenlet.getcurrent())
        lock.acquire()
        assert lock._owner is getcurrent()

    def try_to_take():
        workers.append(greenlet.getcurrent())
        return lock.acquire(timeout=0.01)

    spawn(take_and_leave).wait()
    # The next green thread runs on the same (reused) worker greenlet, and must not be the owner.
    assert spawn(try_to_take).wait() is False
    assert workers[0] is workers[1], "the test needs the worker greenlet to be reused"


def test_rlock_argument_errors():
    lock = RLock()
    with pytest.raises(ValueError):
        lock.acquire(False, 1)


# -- Condition ------------------------------------------------------------------------------------

def test_condition_wait_notify():
    cond = Condition()
    items = []
    got = []

    def consumer():
        with cond:
            while not items:
                assert cond.wait(5) is True
            got.append(items.pop())

    g = spawn(consumer)
    sleep(0.01)
    with cond:
        items.append("x")
        cond.notify()
    g.wait()
    assert got == ["x"]


def test_condition_notify_n_and_all_in_fifo_order():
    cond = Condition(Lock())
    woken = []

    def waiter(i):
        with cond:
            cond.wait()
            woken.append(i)

    gs = [spawn(waiter, i) for i in range(5)]
    sleep(0.01)
    with cond:
        cond.notify(2)
    sleep(0.01)
    assert woken == [0, 1]
    with cond:
        cond.notify_all()
    fasthub.joinall(gs)
    assert woken == [0, 1, 2, 3, 4]


def test_condition_wait_timeout_reacquires_the_lock():
    cond = Condition()
    with cond:
        start = time.monotonic()
        assert cond.wait(0.02) is False
        assert time.monotonic() - start >= 0.015
        assert cond._is_owned()  # re-acquired
        assert cond.wait_for(lambda: False, timeout=0.01) is False
    assert len(cond._waiters) == 0


def test_condition_wait_for():
    cond = Condition()
    state = {"n": 0}

    def bump():
        for _ in range(3):
            sleep(0.001)
            with cond:
                state["n"] += 1
                cond.notify_all()

    spawn(bump)
    with cond:
        assert cond.wait_for(lambda: state["n"] >= 3, timeout=5) is True


def test_condition_requires_the_lock():
    cond = Condition()
    with pytest.raises(RuntimeError):
        cond.wait()
    with pytest.raises(RuntimeError):
        cond.notify()
    with pytest.raises(RuntimeError):
        cond.notify_all()


def test_condition_with_an_rlock_held_twice_releases_all_levels_while_waiting():
    lock = RLock()
    cond = Condition(lock)
    log = []

    def other():
        with cond:
            log.append("other inside")
            cond.notify()

    with cond:
        with cond:
            spawn(other)
            assert cond.wait(5) is True
            assert lock._recursion_count() == 2
    assert log == ["other inside"]


def test_notified_waiter_killed_before_running_passes_the_notification_on():
    cond = Condition()
    woken = []

    def waiter(name):
        with cond:
            cond.wait()
            woken.append(name)

    first = spawn(waiter, "first")
    second = spawn(waiter, "second")
    sleep(0.01)
    first.kill(block=False)  # queued before the notify: it reaches `first` first
    with cond:
        cond.notify()
    second.join(5)
    assert woken == ["second"]
    assert isinstance(first.exception, GreenletExit)


def test_timeout_in_condition_wait_reacquires_and_propagates():
    cond = Condition()
    with cond:
        with pytest.raises(Timeout):
            with Timeout(0.01):
                cond.wait()
        assert cond._is_owned()
    assert len(cond._waiters) == 0


def test_condition_over_a_foreign_lock():
    cond = Condition(threading.Lock())  # a real OS lock: owned means "held"
    with cond:
        assert cond.wait(0.01) is False
    with pytest.raises(RuntimeError):
        cond.notify()


# -- OS threads sharing one lock --------------------------------------------------------------------

def test_green_threads_of_two_os_threads_share_a_lock():
    lock = Lock()
    inside = []
    overlaps = []
    count = [0]
    per_thread, rounds = 3, 100

    def critical():
        for _ in range(rounds):
            with lock:
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(len(inside))
                count[0] += 1
                sleep(0)  # switch while holding it: others must wait, not enter
                inside.pop()

    def run_green_threads():
        fasthub.joinall([spawn(critical) for _ in range(per_thread)])

    t = threading.Thread(target=run_green_threads)
    t.start()
    run_green_threads()
    t.join(30)
    assert not t.is_alive()
    assert overlaps == []
    assert count[0] == 2 * per_thread * rounds
    assert not lock.locked() and lock.waiting() == 0


def test_a_lock_released_by_another_os_thread_wakes_the_green_waiter():
    lock = Lock()
    lock.acquire()
    t = threading.Thread(target=lambda: (time.sleep(0.03), lock.release()))
    t.start()
    start = time.monotonic()
    assert lock.acquire(timeout=10) is True
    assert time.monotonic() - start < 5
    t.join()


def test_plain_os_thread_blocks_on_a_green_held_lock():
    lock = Lock()
    lock.acquire()
    result = []
    t = threading.Thread(target=lambda: result.append(lock.acquire(timeout=10)))
    t.start()
    sleep(0.03)
    assert result == []
    lock.release()
    t.join(10)
    assert result == [True]
    assert lock.locked()


def test_semaphore_and_condition_across_os_threads():
    sem = Semaphore(0)
    cond = Condition()
    ready = []

    def other():
        for _ in range(50):
            sem.release()
        with cond:
            ready.append(True)
            cond.notify()

    with cond:
        t = threading.Thread(target=other)
        t.start()
        assert cond.wait_for(lambda: ready, timeout=10)
    for _ in range(50):
        assert sem.acquire(timeout=10)
    t.join()
    assert sem.counter == 0


def test_rlock_owners_in_two_os_threads():
    lock = RLock()
    lock.acquire()
    result = []
    t = threading.Thread(target=lambda: result.append(lock.acquire(timeout=0.02)))
    t.start()
    t.join(10)
    assert result == [False]  # the main green thread of another OS thread is not the owner
    lock.release()


# -- interpreter shutdown -------------------------------------------------------------------------

def test_locks_used_by_finalizers_at_shutdown_do_not_crash():
    # greenlet >= 3.5.1 raises in getcurrent() while the interpreter finalizes; finalizers
    # (logging's weakref callbacks, __del__) still take locks then.
    script = textwrap.dedent("""
        import fasthub
        from fasthub.sync.locks import Lock, RLock, Semaphore, Condition
        from fasthub.sync.event import Event
        from fasthub.sync.queue import Queue

        held = Lock()
        held.acquire()                      # held forever: a finalizer must not wait for it
        rlock = RLock()
        rlock.acquire()                     # owned by the main greenlet before shutdown

        class AtShutdown:
            def __del__(self):
                free = Lock()
                with free:
                    pass
                print("held.acquire", held.acquire(), flush=True)
                with rlock:
                    pass
                rlock.release()
                r2 = RLock()
                with r2:
                    with r2:
                        pass
                sem = Semaphore(0)
                print("sem.acquire", sem.acquire(timeout=5), flush=True)
                print("event.wait", Event().wait(), flush=True)
                q = Queue()
                try:
                    q.get()
                except Exception as e:
                    print("queue.get", type(e).__name__, flush=True)
                cond = Condition()
                with cond:
                    print("cond.wait", cond.wait(), flush=True)
                print("finalizer done", flush=True)

        keep = AtShutdown()
        fasthub.sleep(0)  # make sure this thread has a hub
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines == ["held.acquire False", "sem.acquire False", "event.wait False",
                     "queue.get Empty", "cond.wait False", "finalizer done"], proc.stdout


def test_repr():
    assert "value=1" in repr(Semaphore())
    assert "Lock" in repr(Lock())
    assert "RLock" in repr(RLock())
    assert "Condition" in repr(Condition())
