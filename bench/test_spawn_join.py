"""spawn_join: spawn 100,000 green threads that do nothing, then join them all (time per spawn+join).

Run alone: `.venv/bin/python bench/test_spawn_join.py [impl ...]` or `pytest bench/test_spawn_join.py`.
OS threads: 10,000 per round (creating 100,000 takes several seconds); the figure is per thread, so
comparable, and if anything the smaller batch favours threads.
"""

import os

import pytest

import _harness

NAME = "spawn_join"
CASES = {"spawn_join": "spawn N do-nothing green threads, then join them all"}
IMPLS = _harness.ALL_IMPLS
UNIT = "spawn+join"
ROUNDS = 5
N = 100_000
N_THREADS = 10_000


def noop():
    pass


async def anoop():
    pass


def setup(impl, case):
    if impl == "fasthub":
        import fasthub

        def run():
            gts = [fasthub.spawn(noop) for _ in range(N)]
            done = fasthub.joinall(gts)
            if len(done) != N:
                raise AssertionError(f"only {len(done)} of {N} finished")
            return N
    elif impl == "gevent":
        import gevent

        def run():
            gs = [gevent.spawn(noop) for _ in range(N)]
            gevent.joinall(gs)
            if not all(g.dead for g in gs):
                raise AssertionError("not all finished")
            return N
    elif impl == "eventlet":
        import eventlet

        def run():
            gs = [eventlet.spawn(noop) for _ in range(N)]
            for g in gs:
                g.wait()
            return N
    elif impl == "threads":
        import threading

        def run():
            ts = [threading.Thread(target=noop) for _ in range(N_THREADS)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            return N_THREADS
        run.note = f"{N_THREADS:,} threads per round"
    elif impl in ("asyncio", "uvloop"):
        loop = _harness.new_loop(impl)

        async def main():
            tasks = [loop.create_task(anoop()) for _ in range(N)]
            for t in tasks:
                await t
            return N

        def run():
            return loop.run_until_complete(main())
        run.note = "create_task + await"
    else:
        return None
    return run


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", IMPLS)
def test_spawn_join(measured, benchmark, impl, case):
    measured(__file__, case, impl, benchmark)


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
