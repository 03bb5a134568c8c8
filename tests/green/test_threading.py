"""fasthub.green._thread, fasthub.green.threading and fasthub.green.queue, used directly (nothing is
patched in this process; tests/isolated/ covers monkey_patch()). Reference: the stdlib behaviour."""

import queue as std_queue
import subprocess
import sys
import textwrap
import threading as std_threading
import time

import pytest

import fasthub
from fasthub.green import _thread as gthread
from fasthub.green import queue as gqueue
from fasthub.green import threading as gthreading
from fasthub.patcher import get_original


# --- Lock ----------------------------------------------------------------------------------------------

def test_lock_excludes_across_switches_and_parks_only_the_green_thread():
    lock = gthread.allocate_lock()
    inside, overlaps, ticks = [], [], []

    def critical(i):
        with lock:
            inside.append(i)
            if len(inside) > 1:
                overlaps.append(i)
            fasthub.sleep(0.005)
            inside.remove(i)

    def ticker():
        for _ in range(10):
            ticks.append(1)
            fasthub.sleep(0.001)

    gts = [fasthub.spawn(critical, i) for i in range(10)] + [fasthub.spawn(ticker)]
    fasthub.joinall(gts, raise_error=True)
    assert not overlaps
    assert len(ticks) == 10
    assert not lock.locked()


def test_lock_api_matches_cpython():
    lock = gthread.allocate_lock()
    assert lock.acquire() is True
    assert lock.acquire(False) is False
    assert "<locked" in repr(lock)
    t0 = time.monotonic()
    assert lock.acquire(timeout=0.05) is False
    assert 0.04 <= time.monotonic() - t0 < 1.0
    with pytest.raises(ValueError, match="non-blocking"):
        lock.acquire(False, 1)
    with pytest.raises(ValueError, match="non-negative"):
        lock.acquire(timeout=-5)
    with pytest.raises(OverflowError):
        lock.acquire(timeout=1e100)
    lock.release()
    assert "<unlocked" in repr(lock)
    with pytest.raises(RuntimeError):
        lock.release()
    with lock:
        assert lock.locked()
    if sys.version_info < (3, 13):
        with pytest.raises(TypeError, match="cannot create"):
            gthread.LockType()
    else:
        assert not gthread.LockType().locked()
    with pytest.raises(TypeError):
        class Sub(gthread.LockType):
            pass


def test_lock_release_from_another_green_thread_wakes_the_waiter():
    lock = gthread.allocate_lock()
    lock.acquire()
    fasthub.spawn_after(0.02, lock.release)
    assert lock.acquire(timeout=2)


def test_lock_timeout_does_not_lose_a_wakeup():
    # A waiter that times out just as the lock is released must pass the wake-up on.
    lock = gthread.allocate_lock()
    lock.acquire()
    results = []

    def short():
        got = lock.acquire(timeout=0.02)
        results.append(("short", got))
        if got:
            lock.release()

    def long():
        results.append(("long", lock.acquire(timeout=2)))
        lock.release()

    gts = [fasthub.spawn(short), fasthub.spawn(long)]
    fasthub.sleep(0.02)
    lock.release()
    fasthub.joinall(gts, raise_error=True)
    assert ("long", True) in results


def test_lock_shared_with_a_real_os_thread():
    real_threading = fasthub.patcher.original("threading")
    lock = gthread.allocate_lock()
    lock.acquire()
    got = []

    def os_thread():
        # No hub runs here yet: the wait parks in this thread's own hub.
        got.append(lock.acquire(timeout=5))
        lock.release()

    t = real_threading.Thread(target=os_thread)
    t.start()
    ticks = []
    ticker = fasthub.spawn(lambda: [ticks.append(fasthub.sleep(0.005)) for _ in range(5)])
    ticker.wait()
    lock.release()  # wakes the waiter in the other OS thread through its hub
    t.join(5)
    assert got == [True] and len(ticks) == 5
    assert lock.acquire(timeout=1)


# --- RLock ---------------------------------------------------------------------------------------------

def test_rlock_is_reentrant_per_green_thread():
    rlock = gthread.RLock()
    order = []

    def worker(name):
        with rlock:
            with rlock:
                order.append(name)
                fasthub.sleep(0.005)
                order.append(name)

    fasthub.joinall([fasthub.spawn(worker, n) for n in "abc"], raise_error=True)
    assert order in ([x for n in p for x in (n, n)] for p in
                     ("abc", "acb", "bac", "bca", "cab", "cba"))
    assert not rlock.locked()


def test_rlock_release_by_non_owner_raises():
    rlock = gthread.RLock()
    rlock.acquire()
    errors = []

    def other():
        try:
            rlock.release()
        except RuntimeError as e:
            errors.append(e)

    fasthub.spawn(other).wait()
    assert errors and "un-acquired" in str(errors[0])
    assert rlock._is_owned() and rlock._recursion_count() == 1
    rlock.release()
    with pytest.raises(RuntimeError):
        rlock.release()


# --- identity, local, start_new_thread -----------------------------------------------------------------

def test_get_ident_main_is_the_os_thread_and_green_threads_differ():
    assert gthread.get_ident() == get_original("_thread", "get_ident")()
    idents = fasthub.joinall([fasthub.spawn(lambda: (fasthub.sleep(0.001), gthread.get_ident())[1])
                              for _ in range(5)])
    values = {gt.value for gt in idents}
    assert len(values) == 5 and gthread.get_ident() not in values


def test_local_is_per_green_thread_and_dropped_when_it_ends():
    class Local(gthread._local):
        def __init__(self, base):
            self.base = base
            self.calls = getattr(self, "calls", 0) + 1

    loc = Local(10)
    loc.x = "main"
    seen = []

    def reader(i):
        seen.append((getattr(loc, "x", None), loc.base, loc.calls))
        loc.x = i
        fasthub.sleep(0.001)
        seen.append(loc.x)

    gts = [fasthub.spawn(reader, i) for i in range(3)]
    fasthub.joinall(gts, raise_error=True)
    assert seen.count((None, 10, 1)) == 3 and sorted(seen[3:]) == [0, 1, 2]
    assert loc.x == "main" and loc.__dict__ == {"base": 10, "calls": 1, "x": "main"}
    state = object.__getattribute__(loc, "_fh_local")
    assert state.by_task == {}, "a finished green thread's values were kept"
    with pytest.raises(TypeError):
        gthread._local(1)
    with pytest.raises(AttributeError):
        del loc.nothing


def test_start_new_thread_reports_exceptions_like_cpython(monkeypatch):
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    before = gthread._count()
    ran = []

    def boom():
        ran.append(1)
        raise ValueError("boom")

    ident = gthread.start_new_thread(boom, ())
    assert isinstance(ident, int) and gthread._count() == before + 1
    gthread.start_new_thread(lambda: ran.append(2) or gthread.exit(), ())  # SystemExit: quiet
    fasthub.sleep(0.01)
    assert ran == [1, 2] and gthread._count() == before
    assert len(reported) == 1 and isinstance(reported[0].exc_value, ValueError)
    if sys.version_info >= (3, 13):  # 3.13 names the function in the message
        assert reported[0].err_msg == f"Exception ignored in thread started by {boom!r}"
        assert reported[0].object is None
    else:
        assert reported[0].err_msg == "Exception ignored in thread started by"
        assert reported[0].object is boom
    with pytest.raises(TypeError):
        gthread.start_new_thread(boom, [])


# --- the green threading module (CPython's threading on green _thread) ---------------------------------

def test_green_threading_is_a_separate_copy_of_cpythons_module():
    assert gthreading is not std_threading
    assert gthreading.Thread is not std_threading.Thread
    assert gthreading.Lock is gthread.threading_Lock
    assert std_threading.Lock is get_original("threading", "Lock")  # nothing patched


def test_green_threading_thread_event_condition_timer():
    ev = gthreading.Event()
    cond = gthreading.Condition()
    done = []

    def worker(i):
        ev.wait()
        with cond:
            done.append(i)
            cond.notify_all()

    threads = [gthreading.Thread(target=worker, args=(i,), name=f"w{i}") for i in range(20)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    assert all(t.is_alive() for t in threads)
    assert gthreading.active_count() == 21
    ev.set()
    with cond:
        assert cond.wait_for(lambda: len(done) == 20, timeout=5)
    for t in threads:
        t.join()
    assert not any(t.is_alive() for t in threads)
    assert gthreading.current_thread() is gthreading.main_thread()
    assert gthreading.active_count() == 1
    fired = []
    timer = gthreading.Timer(0.02, fired.append, args=(1,))
    timer.start()
    timer.join(2)
    assert fired == [1] and time.monotonic() - t0 < 2


def test_green_threading_sleeping_threads_overlap():
    threads = [gthreading.Thread(target=fasthub.sleep, args=(0.2,)) for _ in range(30)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - t0 < 1.5


def test_green_threading_join_timeout_and_daemon():
    t = gthreading.Thread(target=fasthub.sleep, args=(0.3,), daemon=True)
    t.start()
    t0 = time.monotonic()
    t.join(0.05)
    assert t.is_alive() and time.monotonic() - t0 < 0.25
    with pytest.raises(RuntimeError):
        gthreading.current_thread().join()
    t.join()  # gthreading is process-wide: leave no thread behind for the next test
    assert not t.is_alive()


def test_finalizer_joins_and_locks_give_up_instead_of_waiting():
    # A finalizer run while the interpreter finalizes (psycopg_pool's ConnectionPool.__del__ joins
    # its worker threads with a 5 s timeout) cannot wait: greenlets no longer switch and no other
    # thread runs. The joins used to raise RuntimeError (3.13) or sit out every timeout (3.10-3.12:
    # a Django process took 20 s to exit); now they return at once and report the truth.
    script = textwrap.dedent("""
        import time
        import fasthub
        fasthub.monkey_patch()
        import threading

        forever = threading.Event()
        worker = threading.Thread(target=forever.wait, daemon=True)
        worker.start()
        held = threading.Lock()
        held.acquire()

        class AtExit:
            def __del__(self):
                t0 = time.monotonic()
                worker.join(5)
                print("joined", worker.is_alive(), flush=True)
                worker.join()
                print("acquire", held.acquire(timeout=5), held.acquire(), flush=True)
                print("waited", round(time.monotonic() - t0), flush=True)

        keep = AtExit()
        time.sleep(0.01)
    """)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert proc.stdout.splitlines() == ["joined True", "acquire False False", "waited 0"], proc.stdout
    assert time.monotonic() - t0 < 4.0


def test_current_thread_dummy_of_spawned_green_thread_is_dropped():
    names = fasthub.joinall([fasthub.spawn(lambda: gthreading.current_thread().name)
                             for _ in range(50)])
    assert all(gt.value.startswith("Dummy-") for gt in names)
    dummies = [t for t in gthreading._active.values() if isinstance(t, gthreading._DummyThread)]
    assert dummies == []  # no dummy Thread left behind per green thread


def test_semaphores():
    sem = gthreading.BoundedSemaphore(2)
    active, peak = [], []

    def worker():
        with sem:
            active.append(1)
            peak.append(len(active))
            fasthub.sleep(0.005)
            active.pop()

    fasthub.joinall([fasthub.spawn(worker) for _ in range(8)], raise_error=True)
    assert max(peak) == 2
    with pytest.raises(ValueError):
        sem.release()


# --- the green queue module ----------------------------------------------------------------------------

@pytest.mark.parametrize("cls, order", [
    (gqueue.Queue, [0, 1, 2]), (gqueue.LifoQueue, [2, 1, 0]), (gqueue.PriorityQueue, [0, 1, 2]),
])
def test_queue_classes_block_only_the_green_thread(cls, order):
    q = cls(maxsize=1)
    assert isinstance(q, getattr(std_queue, cls.__name__))
    got = []

    def consumer():
        fasthub.sleep(0.02)  # the producer blocks on the full queue meanwhile
        for _ in range(3):
            got.append(q.get(timeout=2))
            q.task_done()

    c = fasthub.spawn(consumer)
    for i in (2, 0, 1) if cls is gqueue.PriorityQueue else (0, 1, 2):
        q.put(i, timeout=2)
    q.join()
    c.wait()
    if cls is gqueue.LifoQueue:
        assert got == [0, 1, 2]  # size 1: each item is taken before the next is put
    else:
        assert sorted(got) == order
    with pytest.raises(std_queue.Empty):
        q.get(timeout=0.01)
    q.put("x")
    with pytest.raises(std_queue.Full):
        q.put("y", block=False)
    assert gqueue.Empty is std_queue.Empty and gqueue.Full is std_queue.Full


def test_simple_queue_get_parks():
    q = gqueue.SimpleQueue()
    fasthub.spawn_after(0.02, q.put, "late")
    t0 = time.monotonic()
    assert q.get(timeout=2) == "late"
    assert time.monotonic() - t0 >= 0.015
    with pytest.raises(std_queue.Empty):
        q.get(timeout=0.01)
    with pytest.raises(ValueError, match="non-negative"):
        q.get(timeout=-1)
    q.put_nowait(1)
    assert q.qsize() == 1 and not q.empty() and q.get_nowait() == 1
    with pytest.raises(std_queue.Empty):
        q.get_nowait()
    with pytest.raises(AttributeError):
        q.anything = 1  # like the C type: no __dict__
    assert gqueue.SimpleQueue[int].__origin__ is gqueue.SimpleQueue


def test_green_lifo_and_priority_queues_are_green_queues():
    # The stdlib's derive from its Queue; isinstance(q, queue.Queue) must hold once patched.
    assert issubclass(gqueue.LifoQueue, gqueue.Queue)
    assert issubclass(gqueue.PriorityQueue, gqueue.Queue)
    assert gqueue.LifoQueue.__mro__.index(std_queue.LifoQueue) < gqueue.LifoQueue.__mro__.index(gqueue.Queue)


# --- looking like the originals (tests/test_patch_parity.py checks every name under patching) -------

def test_green_thread_functions_do_not_bind_as_class_attributes():
    class Holder:
        lock_class = gthread.allocate_lock
        ident = gthread.get_ident
        count = gthread._count

    h = Holder()
    assert h.lock_class is gthread.allocate_lock and h.ident is gthread.get_ident
    assert not h.lock_class().locked()
    assert h.ident() == gthread.get_ident() and h.count() == gthread._count()
    assert repr(gthread.allocate_lock) == "<built-in function allocate_lock>"
    assert gthread.allocate is not gthread.allocate_lock  # as in CPython: two builtins, two names
    assert gthread.allocate.__name__ == "allocate"


def test_green_locks_refuse_pickling_like_cpythons():
    import pickle

    for lock in (gthread.allocate_lock(), gthread.RLock(), gthread._local()):
        with pytest.raises(TypeError, match="cannot pickle"):
            pickle.dumps(lock)
    assert repr(gthread.allocate_lock()).startswith("<unlocked _thread.lock object at 0x")


def test_start_new_thread_wants_a_dict_of_keyword_arguments():
    # CPython refuses None as the third argument ("optional 3rd arg must be a dictionary").
    with pytest.raises(TypeError, match="dictionary"):
        gthread.start_new_thread(print, (), None)
    with pytest.raises(TypeError):
        gthread.start_new_thread(print, (), kwargs={})  # positional only, as CPython's
    seen = []
    gthread.start_new_thread(lambda **kw: seen.append(kw), (), {"a": 1})
    fasthub.sleep(0)
    assert seen == [{"a": 1}]


needs_313 = pytest.mark.skipif(sys.version_info < (3, 13), reason="_ThreadHandle is new in 3.13")


@needs_313
def test_thread_handle_not_started_refuses_join_and_set_done():
    h = gthread._ThreadHandle("arguments", are="ignored")
    assert h.ident == 0 and not h.is_done()
    assert repr(h) == "<_thread._ThreadHandle object: ident=0>"
    for call in (h.join, lambda: h.join(0), h._set_done):
        with pytest.raises(RuntimeError, match="not started"):
            call()


@needs_313
def test_thread_handle_starts_once():
    h = gthread._ThreadHandle()
    ran = []
    assert gthread.start_joinable_thread(lambda: ran.append(1), handle=h) is h
    with pytest.raises(RuntimeError, match="already started"):
        gthread.start_joinable_thread(lambda: ran.append(2), handle=h)
    h.join()
    assert h.is_done() and ran == [1]
    with pytest.raises(RuntimeError, match="already started"):
        gthread.start_joinable_thread(lambda: ran.append(3), h)
    fasthub.sleep(0.01)
    assert ran == [1]
    with pytest.raises(TypeError, match="must be a _ThreadHandle"):
        gthread.start_joinable_thread(print, handle=object())
    with pytest.raises(TypeError, match="callable"):
        gthread.start_joinable_thread(-1)


@needs_313
def test_thread_handle_join_timeouts_and_current_thread():
    h = gthread.start_joinable_thread(lambda: fasthub.sleep(0.2))
    t0 = time.monotonic()
    h.join(0.02)
    assert not h.is_done() and time.monotonic() - t0 < 0.15
    for bad, exc in (("x", TypeError), (float("nan"), ValueError), (1e300, OverflowError)):
        with pytest.raises(exc):
            h.join(bad)
    h.join(-1)  # negative: no limit
    assert h.is_done()
    me = gthread._make_thread_handle(gthread.get_ident())
    with pytest.raises(RuntimeError, match="current thread"):
        me.join()
    for bad, exc in ((-1, OverflowError), (1 << 64, OverflowError), (1.0, TypeError)):
        with pytest.raises(exc):
            gthread._make_thread_handle(bad)


@needs_313
def test_unstarted_green_thread_join_raises_runtime_error():
    # threading.Thread.join() before start() is threading's own RuntimeError, not a LoopExit.
    t = gthreading.Thread(target=print)
    with pytest.raises(RuntimeError, match="before it is started"):
        t.join()
