"""fasthub.celery.TaskPool end to end (CELERY_CUSTOM_WORKER_POOL=fasthub.celery:TaskPool, celery
worker -P custom): a real worker process, a Redis broker and result backend, tasks that sleep
concurrently as green threads."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from integ_support import ROOT, need, run_python

HERE = os.path.dirname(os.path.abspath(__file__))


class Worker:
    def __init__(self, redis_url, backend, launch, concurrency=100):
        need("celery")
        need("redis")
        self.queue = "fh-" + uuid.uuid4().hex[:12]
        env = dict(os.environ, FASTHUB_TEST_REDIS_URL=redis_url, FASTHUB_TEST_CELERY_QUEUE=self.queue,
                   FASTHUB_BACKEND=backend,
                   PYTHONPATH=os.pathsep.join(
                       p for p in [os.path.join(ROOT, "src"), HERE, os.environ.get("PYTHONPATH")] if p))
        cmd = ["-A", "celery_proj", "worker", "-c", str(concurrency), "--loglevel", "INFO",
               "--without-heartbeat", "--without-mingle", "--without-gossip", "-n", f"{self.queue}@%h"]
        # Celery 5's -P accepts only its aliases: a custom pool is `-P custom` with
        # CELERY_CUSTOM_WORKER_POOL (celery then imports it first thing), or the worker_pool setting
        # (imported late, after celery, kombu and the app).
        if launch == "worker_pool setting":
            env["FASTHUB_TEST_CELERY_POOL_SETTING"] = "fasthub.celery:TaskPool"
        elif launch == "python -m fasthub --eventlet":
            cmd += ["-P", "eventlet"]   # celery's own eventlet pool, on fasthub's eventlet alias
        else:
            env["CELERY_CUSTOM_WORKER_POOL"] = "fasthub.celery:TaskPool"
            cmd += ["-P", "custom"]
        if launch == "python -m fasthub":
            argv = [sys.executable, "-m", "fasthub", "-m", "celery", *cmd]
        elif launch == "python -m fasthub --eventlet":
            argv = [sys.executable, "-m", "fasthub", "--eventlet", "-m", "celery", *cmd]
        else:
            argv = [sys.executable, "-m", "celery", *cmd]
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(argv, cwd=HERE, env=env, stdout=self.log, stderr=self.log)
        os.environ["FASTHUB_TEST_CELERY_QUEUE"] = self.queue
        sys.path.insert(0, HERE)
        import celery_proj
        celery_proj.app.conf.task_default_queue = self.queue
        celery_proj.app.conf.broker_url = celery_proj.app.conf.result_backend = redis_url
        self.app = celery_proj
        deadline = time.monotonic() + 40
        while "ready." not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out = self.output()
                self.stop()
                pytest.fail(f"the celery worker did not start:\n{out}")
            time.sleep(0.05)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        # Our client side: let finished AsyncResults unsubscribe now, then close the result
        # consumer's pub/sub connection (else both happen at interpreter exit, noisily).
        import gc
        gc.collect()
        consumer = getattr(self.app.app.backend, "result_consumer", None)
        if consumer is not None:
            consumer.stop()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# Two ways to load the pool before celery starts; each test run (one per hub backend) uses one.
LAUNCH = {"epoll": "python -m fasthub", "poll": "celery -P custom", "kqueue": "python -m fasthub"}


@pytest.fixture
def worker(redis_url, backend):
    w = Worker(redis_url, backend, LAUNCH[backend])
    yield w
    w.stop()


@pytest.mark.slow
def test_worker_runs_tasks_as_green_threads(worker):
    nap = worker.app.nap
    t0 = time.monotonic()
    results = [nap.delay(0.5, i) for i in range(100)]
    values = [r.get(timeout=30) for r in results]
    elapsed = time.monotonic() - t0
    assert [v[0] for v in values] == list(range(100))
    assert len({v[1] for v in values}) == 1, "one worker process ran them all"
    assert {v[2] for v in values} == {"fasthub.green.socket"}, "the worker is monkey-patched"
    # 100 x 0.5 s serially is 50 s; as green threads about 0.5 s plus broker round trips.
    assert elapsed < 6.0, f"100 tasks of 0.5 s took {elapsed:.1f}s: not concurrent\n{worker.output()}"

    # Countdown (the green Timer) and failures.
    t0 = time.monotonic()
    later = nap.apply_async((0, "later"), countdown=0.5)
    failing = worker.app.fail.delay()
    assert later.get(timeout=20)[0] == "later"
    assert time.monotonic() - t0 >= 0.45
    with pytest.raises(ValueError, match="as planned"):
        failing.get(timeout=20)

    # revoke(terminate=True) kills one task's green thread; the others and the worker go on.
    doomed = nap.delay(30, "doomed")
    survivor = nap.delay(0.5, "survivor")
    deadline = time.monotonic() + 10
    while "Task celery_proj.nap[" + doomed.id + "] received" not in worker.output():
        assert time.monotonic() < deadline, worker.output()
        time.sleep(0.02)
    worker.app.app.control.revoke(doomed.id, terminate=True)
    assert survivor.get(timeout=20)[0] == "survivor"
    while "Terminating " + doomed.id not in worker.output():
        assert time.monotonic() < deadline, worker.output()
        time.sleep(0.02)

    # Warm shutdown (SIGTERM): tasks already running finish, then the worker exits 0.
    inflight = [nap.delay(0.5, f"last{i}") for i in range(5)]
    deadline = time.monotonic() + 10
    while not all(f"Task celery_proj.nap[{r.id}] received" in worker.output() for r in inflight):
        assert time.monotonic() < deadline, worker.output()
        time.sleep(0.02)
    worker.proc.send_signal(signal.SIGTERM)
    assert [r.get(timeout=20)[0] for r in inflight] == [f"last{i}" for i in range(5)]
    assert worker.proc.wait(20) == 0


def test_pool_loaded_late_repairs_kombu_and_warns(backend):
    """With the worker_pool setting, celery imports the pool after celery, kombu and the app: the
    module still patches, points kombu's captured select() at the green one, marks the environment
    green (so the worker uses celery's green consumer loop), and says how to patch earlier."""
    need("celery")
    out = run_python("""
        import select, warnings
        import celery, kombu.utils.eventio as eventio, kombu.transport.redis
        real = eventio._selectf
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import fasthub.celery
        from fasthub.patcher import is_monkey_patched
        from kombu.utils.compat import detect_environment
        from celery.backends.asynchronous import drainers
        assert is_monkey_patched("socket") and is_monkey_patched("select")
        assert eventio._selectf is select.select and eventio._selectf is not real
        assert detect_environment() == "fasthub" and "fasthub" in drainers
        assert any("CELERY_CUSTOM_WORKER_POOL" in str(w.message) for w in caught), caught
        print("ok")
    """, backend=backend)
    assert out.strip() == "ok"
