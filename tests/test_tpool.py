"""fasthub.tpool: real OS threads that block only the calling green thread."""

import contextvars
import subprocess
import sys
import textwrap
import threading
import time
import traceback

import pytest

import fasthub
from fasthub import BlockingInHubError, get_hub, sleep, spawn
from fasthub.sync import tpool


def _ticker(ticks, stop):
    while not stop:
        ticks.append(time.monotonic())
        sleep(0.01)


def test_execute_returns_the_result_from_another_os_thread():
    main_ident = threading.get_ident()
    ident, value = tpool.execute(lambda a, b=0: (threading.get_ident(), a + b), 2, b=3)
    assert value == 5
    assert ident != main_ident


def test_exception_propagates_with_the_worker_traceback():
    def fails_in_worker(x):
        raise KeyError(x)

    with pytest.raises(KeyError) as info:
        tpool.execute(fails_in_worker, "boom")
    assert info.value.args == ("boom",)
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "fails_in_worker" in frames  # the frame that raised, in the worker thread


def test_blocking_call_parks_only_the_calling_green_thread():
    ticks, stop = [], []
    t = spawn(_ticker, ticks, stop)
    sleep(0)
    start = time.monotonic()
    tpool.execute(time.sleep, 0.3)  # a real, OS-level blocking call
    elapsed = time.monotonic() - start
    stop.append(True)
    t.wait()
    assert elapsed >= 0.29
    # The hub kept running the ticker while the worker slept (about 30 ticks if all goes well).
    assert len([x for x in ticks if start <= x <= start + elapsed]) >= 5


def test_jobs_run_in_parallel_threads():
    tpool.set_num_threads(10)
    try:
        start = time.monotonic()
        gts = [spawn(tpool.execute, time.sleep, 0.2) for _ in range(10)]
        for g in gts:
            g.wait()
        elapsed = time.monotonic() - start
    finally:
        tpool.set_num_threads(tpool.DEFAULT_SIZE)
    assert elapsed < 1.5  # 10 sequential sleeps would take 2 s


def test_set_num_threads_bounds_the_parallelism():
    tpool.set_num_threads(2)
    try:
        assert tpool.get_num_threads() == 2
        running, peak = [0], [0]
        lock = threading.Lock()

        def job():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

        gts = [spawn(tpool.execute, job) for _ in range(6)]
        for g in gts:
            g.wait()
        assert peak[0] == 2
    finally:
        tpool.set_num_threads(tpool.DEFAULT_SIZE)


def test_set_num_threads_rejects_nonsense():
    with pytest.raises(ValueError, match="at least 1"):
        tpool.set_num_threads(0)


def test_hub_does_not_declare_loopexit_while_a_job_runs(hub):
    # The main greenlet waits on the pool with nothing else pending in the hub: no LoopExit.
    assert tpool.execute(lambda: (time.sleep(0.2), "done")[1]) == "done"
    assert hub.external_refs == 0


def test_external_refs_count_pending_jobs(hub):
    seen = []
    gate = threading.Event()
    g = spawn(tpool.execute, gate.wait, 5)
    sleep(0.01)
    seen.append(hub.external_refs)
    gate.set()
    g.wait()
    assert seen == [1]
    assert hub.external_refs == 0


def test_execute_from_a_hub_callback_is_refused(hub, hub_errors):
    hub.call_soon(tpool.execute, time.sleep, 0)
    sleep(0.01)
    errors = hub_errors.take()
    assert len(errors) == 1 and isinstance(errors[0][1], BlockingInHubError)


def test_execute_inside_a_worker_runs_inline():
    def outer():
        return threading.get_ident(), tpool.execute(threading.get_ident)

    a, b = tpool.execute(outer)
    assert a == b


def test_to_thread_copies_context_variables():
    var = contextvars.ContextVar("var", default="unset")
    var.set("caller")
    assert tpool.to_thread(var.get) == "caller"
    assert tpool.execute(var.get) == "unset"  # execute, like eventlet's, runs in the worker's context


def test_killall_stops_the_workers_and_the_pool_restarts():
    tpool.execute(lambda: None)
    assert tpool._pool.nthreads >= 1
    assert tpool.killall(timeout=10) is True
    assert tpool._pool.nthreads == 0
    assert tpool.execute(lambda: 42) == 42


def test_killall_fails_queued_jobs_instead_of_losing_them(hub_errors):
    tpool.set_num_threads(1)
    try:
        gate = threading.Event()
        first = spawn(tpool.execute, gate.wait, 5)
        queued = spawn(tpool.execute, lambda: "never")
        sleep(0.02)
        killer = threading.Thread(target=tpool.killall, args=(10,))
        killer.start()
        time.sleep(0.05)
        gate.set()
        killer.join(10)
        assert first.wait() is True
        with pytest.raises(RuntimeError, match="killall"):
            queued.wait()
        assert [type(e) for _, e in hub_errors.take()] == [RuntimeError]
    finally:
        tpool.set_num_threads(tpool.DEFAULT_SIZE)


def test_proxy_runs_methods_in_the_pool():
    class Resource:
        value = 7

        def where(self):
            return threading.get_ident()

        def child(self):
            return Resource()

        def __len__(self):
            return 3

    p = tpool.Proxy(Resource(), autowrap_names=("child",))
    assert p.where() != threading.get_ident()
    assert p.where(nonblocking=True) == threading.get_ident()
    assert p.value == 7
    assert isinstance(p.child(), tpool.Proxy)
    assert len(p) == 3


def test_proxy_iteration_and_items_go_through_the_pool():
    p = tpool.Proxy({"a": 1, "b": 2})
    assert sorted(iter(p)) == ["a", "b"]
    assert p["a"] == 1
    p["c"] = 3
    assert "c" in p
    del p["a"]
    assert sorted(p.keys()) == ["b", "c"]
    gen = tpool.Proxy(x * 2 for x in range(3))
    assert list(gen) == [0, 2, 4]
    assert "Proxy" in repr(p)


def test_proxy_autowrap_by_type():
    class Conn:
        def cursor(self):
            return Cursor()

    class Cursor:
        def fetch(self):
            return threading.get_ident()

    p = tpool.Proxy(Conn(), autowrap=(Cursor,))
    cur = p.cursor()
    assert isinstance(cur, tpool.Proxy)
    assert cur.fetch() != threading.get_ident()


def test_many_green_threads_share_the_pool():
    results = [spawn(tpool.execute, pow, i, 2) for i in range(200)]
    assert [g.wait() for g in results] == [i * i for i in range(200)]


def _run_script(code, env=None):
    import os

    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60, env=full_env)


def test_pool_keeps_real_threads_after_thread_functions_are_replaced():
    # What monkey patching does to _thread; the pool captured the originals at import.
    proc = _run_script("""
        import fasthub, _thread, threading
        def boom(*a, **k):
            raise AssertionError("the pool used a patched thread primitive")
        _thread.start_new_thread = boom
        _thread.allocate_lock = boom
        main = threading.get_ident()
        assert fasthub.tpool.execute(threading.get_ident) != main
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_pool_size_from_environment():
    proc = _run_script("""
        import fasthub
        print(fasthub.tpool.get_num_threads())
    """, env={"FASTHUB_THREADPOOL_SIZE": "3"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "3"
    bad = _run_script("import fasthub; fasthub.tpool.execute(abs, 1)",
                      env={"FASTHUB_THREADPOOL_SIZE": "lots"})
    assert bad.returncode != 0 and "FASTHUB_THREADPOOL_SIZE" in bad.stderr


def test_interpreter_exits_cleanly_with_idle_workers():
    proc = _run_script("""
        import fasthub
        for _ in range(5):
            fasthub.spawn(fasthub.tpool.execute, abs, -1)
        fasthub.sleep(0.1)
        print(fasthub.tpool.execute(abs, -2))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"
    assert proc.stderr == ""


def test_results_reach_the_hub_of_another_os_thread():
    out = []

    def thread_main():
        out.append(tpool.execute(lambda: "from pool"))
        get_hub().destroy()

    t = threading.Thread(target=thread_main)
    t.start()
    t.join(10)
    assert out == ["from pool"]


def test_fasthub_imports_tpool_eagerly():
    # fasthub.tpool is the public path of fasthub.sync.tpool (the same functions).
    assert fasthub.tpool.execute is tpool.execute
    proc = _run_script("import sys, fasthub; print('fasthub.sync.tpool' in sys.modules)")
    assert proc.stdout.strip() == "True"


def test_a_worker_waiting_for_the_main_thread_is_not_deadlocked():
    # Regression (seen on 3.13 in tests/isolated/patch_locks_across_os_threads.py): a tpool worker
    # that waited on a green primitive only the main thread would release found nothing in its own
    # hub and raised LoopExit, because only threads started by Python were counted as able to wake
    # it and the other workers are fasthub's own; the main thread was forgotten.
    ev = fasthub.Event()

    def in_worker():
        ev.wait()
        return "woken"

    job = spawn(tpool.execute, in_worker)
    sleep(0.3)   # the worker parks in its hub meanwhile
    ev.set()
    assert job.wait() == "woken"
