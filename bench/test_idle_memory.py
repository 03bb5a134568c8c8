"""idle_memory: resident memory per green thread parked on an Event (20,000 of them).

Each round runs in a fresh process: warm the library up (one green thread spawned and joined, so the hub
and its loop exist), read RSS, spawn N green threads that each wait on one shared Event, yield until all
of them are parked, read RSS again; bytes per green thread = growth / N. Then the Event is set and all are
joined (checked). The greenlet_floor case parks bare greenlets (greenlet.greenlet running a Python
function that switches back, no library code): the floor under fasthub, gevent and eventlet alike; on
CPython 3.11+ it includes the page of the frame stack CPython gives each greenlet. OS threads: 2,000 per round (each has its own kernel stack and an 8 MiB virtual stack
of which a few pages are touched), so the per-thread figure is comparable but from fewer threads.

Run alone: `.venv/bin/python bench/test_idle_memory.py [impl ...]` or `pytest bench/test_idle_memory.py`.
"""

import gc
import os

import pytest

import _harness

NAME = "idle_memory"
KIND = "memory"
CASES = {
    "idle_memory": "RSS per green thread parked on an Event",
    "greenlet_floor": "RSS per bare greenlet parked in a Python function (no library: the floor)",
}
CASE_IMPLS = {"greenlet_floor": ("fasthub",)}
IMPLS = _harness.ALL_IMPLS
UNIT = "parked green thread"
ROUNDS = 3
FRESH_PROCESS = True
N = 20_000
N_THREADS = 2_000


def rss():
    """Resident set size of this process, bytes (Linux /proc; psutil elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import psutil
        return psutil.Process().memory_info().rss


def _green(spawn, sleep, Event, join, n=N, set_event=None):
    def run():
        ev = Event()
        parked = [0]

        def waiter():
            parked[0] += 1
            ev.wait()

        join(spawn(lambda: None))  # the hub exists before the baseline
        gc.collect()
        before = rss()
        gs = [spawn(waiter) for _ in range(n)]
        for _ in range(1000):
            if parked[0] == n:
                break
            sleep(0.001 if parked[0] else 0)
        if parked[0] != n:
            raise AssertionError(f"only {parked[0]} of {n} parked")
        gc.collect()
        after = rss()
        (set_event or (lambda e: e.set()))(ev)
        for g in gs:
            join(g)
        return {"bytes_per": (after - before) / n, "n": n}
    return run


def _bare_greenlets(n=N):
    # What greenlet itself costs: n greenlets, each in a Python function parked in switch().
    import greenlet

    def run():
        main = greenlet.getcurrent()

        def parked():
            main.switch()
            return True

        greenlet.greenlet(parked).switch()  # warm up as _green does
        gc.collect()
        before = rss()
        gs = [greenlet.greenlet(parked) for _ in range(n)]
        for g in gs:
            g.switch()
        gc.collect()
        after = rss()
        finished = sum(1 for g in gs if g.switch() is True)
        if finished != n:
            raise AssertionError(f"only {finished} of {n} bare greenlets finished")
        return {"bytes_per": (after - before) / n, "n": n}
    run.note = "bare greenlet.greenlet, no fasthub code"
    return run


def setup(impl, case):
    if case == "greenlet_floor":
        return _bare_greenlets() if impl == "fasthub" else None
    if impl == "fasthub":
        import fasthub
        return _green(fasthub.spawn, fasthub.sleep, fasthub.Event, lambda g: g.wait())
    if impl == "gevent":
        import gevent
        import gevent.event
        return _green(gevent.spawn, gevent.sleep, gevent.event.Event, lambda g: g.join())
    if impl == "eventlet":
        import eventlet
        import eventlet.event
        return _green(eventlet.spawn, eventlet.sleep, eventlet.event.Event, lambda g: g.wait(),
                      set_event=lambda e: e.send())
    if impl == "threads":
        import threading
        import time

        def spawn(fn):
            t = threading.Thread(target=fn)
            t.start()
            return t
        run = _green(spawn, time.sleep, threading.Event, lambda t: t.join(), n=N_THREADS)
        run.note = f"{N_THREADS:,} threads per round"
        return run
    if impl in ("asyncio", "uvloop"):
        import asyncio
        loop = _harness.new_loop(impl)

        async def main():
            ev = asyncio.Event()
            parked = [0]

            async def waiter():
                parked[0] += 1
                await ev.wait()

            await loop.create_task(asyncio.sleep(0))
            gc.collect()
            before = rss()
            tasks = [loop.create_task(waiter()) for _ in range(N)]
            while parked[0] != N:
                await asyncio.sleep(0)
            gc.collect()
            after = rss()
            ev.set()
            for t in tasks:
                await t
            return {"bytes_per": (after - before) / N, "n": N}

        def run():
            return loop.run_until_complete(main())
        return run
    return None


@pytest.mark.parametrize("impl,case", [(i, c) for c in CASES for i in CASE_IMPLS.get(c, IMPLS)])
def test_idle_memory(measured, impl, case):
    res = measured(__file__, case, impl)
    for r in res["rounds"]:
        assert r["bytes_per"] > 0, r


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
