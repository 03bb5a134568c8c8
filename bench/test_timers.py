"""timers: 100,000 green threads each sleep a random 0-10 ms; total time until all have finished.

The delays come from one seeded generator, the same list for every implementation. The floor is 10 ms
(the longest sleep); everything above it is the cost of spawning, scheduling the timers and waking the
sleepers. Figures are per green thread (total / N) so OS threads, run with 10,000 per round (100,000 OS
threads take many seconds to create), stay comparable; the table also shows the best total.

Run alone: `.venv/bin/python bench/test_timers.py [impl ...]` or `pytest bench/test_timers.py`.
"""

import os
import random

import pytest

import _harness

NAME = "timers"
CASES = {"timers": "N green threads each sleeping a random 0-10 ms, total time"}
IMPLS = _harness.ALL_IMPLS
UNIT = "sleeping green thread"
ROUNDS = 5
N = 100_000
N_THREADS = 10_000


def delays(n):
    rng = random.Random(20240601)
    return [rng.uniform(0.0, 0.010) for _ in range(n)]


def _green(spawn, sleep, join_all, n=N):
    ds = delays(n)

    def run():
        done = [0]

        def sleeper(d):
            sleep(d)
            done[0] += 1

        join_all([spawn(sleeper, d) for d in ds])
        if done[0] != n:
            raise AssertionError(f"{done[0]} of {n} woke up")
        return n
    return run


def setup(impl, case):
    if impl == "fasthub":
        import fasthub
        return _green(fasthub.spawn, fasthub.sleep, fasthub.joinall)
    if impl == "gevent":
        import gevent
        return _green(gevent.spawn, gevent.sleep, gevent.joinall)
    if impl == "eventlet":
        import eventlet

        def join_all(gs):
            for g in gs:
                g.wait()
        return _green(eventlet.spawn, eventlet.sleep, join_all)
    if impl == "threads":
        import threading
        import time

        def spawn(fn, *args):
            t = threading.Thread(target=fn, args=args)
            t.start()
            return t

        def join_all(ts):
            for t in ts:
                t.join()
        run = _green(spawn, time.sleep, join_all, N_THREADS)
        run.note = f"{N_THREADS:,} threads per round"
        return run
    if impl in ("asyncio", "uvloop"):
        import asyncio
        loop = _harness.new_loop(impl)
        ds = delays(N)

        async def main():
            done = [0]

            async def sleeper(d):
                await asyncio.sleep(d)
                done[0] += 1

            tasks = [loop.create_task(sleeper(d)) for d in ds]
            for t in tasks:
                await t
            if done[0] != N:
                raise AssertionError(f"{done[0]} of {N} woke up")
            return N

        def run():
            return loop.run_until_complete(main())
        return run
    return None


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", IMPLS)
def test_timers(measured, benchmark, impl, case):
    measured(__file__, case, impl, benchmark)


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
