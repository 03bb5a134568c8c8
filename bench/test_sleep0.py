"""sleep0: green threads looping on sleep(0), the cooperative yield; time per sleep(0) call.

Four green threads each call sleep(0) M times, so every call lets the three others run once. The figure is
the wall (and CPU) time of the whole run divided by all the calls made (4 * M). OS threads call
time.sleep(0), which releases and retakes the GIL; asyncio tasks await asyncio.sleep(0).

Run alone: `.venv/bin/python bench/test_sleep0.py [impl ...]` or `pytest bench/test_sleep0.py`.
"""

import os

import pytest

import _harness

NAME = "sleep0"
CASES = {"sleep0": "4 green threads each looping on sleep(0)"}
IMPLS = _harness.ALL_IMPLS
UNIT = "sleep(0)"
ROUNDS = 5
K = 4
M = 50_000


def _green(spawn, sleep, join):
    def run():
        counts = [0] * K

        def loop(i):
            for _ in range(M):
                sleep(0)
            counts[i] = M

        gs = [spawn(loop, i) for i in range(K)]
        for g in gs:
            join(g)
        if sum(counts) != K * M:
            raise AssertionError(f"{sum(counts)} of {K * M} calls")
        return K * M
    return run


def setup(impl, case):
    if impl == "fasthub":
        import fasthub
        return _green(fasthub.spawn, fasthub.sleep, lambda g: g.wait())
    if impl == "gevent":
        import gevent
        return _green(gevent.spawn, gevent.sleep, lambda g: g.join())
    if impl == "eventlet":
        import eventlet
        return _green(eventlet.spawn, eventlet.sleep, lambda g: g.wait())
    if impl == "threads":
        import threading
        import time

        def spawn(fn, *args):
            t = threading.Thread(target=fn, args=args)
            t.start()
            return t
        run = _green(spawn, time.sleep, lambda t: t.join())
        run.note = "time.sleep(0)"
        return run
    if impl in ("asyncio", "uvloop"):
        import asyncio
        loop = _harness.new_loop(impl)

        async def main():
            counts = [0] * K

            async def one(i):
                for _ in range(M):
                    await asyncio.sleep(0)
                counts[i] = M

            tasks = [loop.create_task(one(i)) for i in range(K)]
            for t in tasks:
                await t
            if sum(counts) != K * M:
                raise AssertionError(f"{sum(counts)} of {K * M} calls")
            return K * M

        def run():
            return loop.run_until_complete(main())
        return run
    return None


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", IMPLS)
def test_sleep0(measured, benchmark, impl, case):
    measured(__file__, case, impl, benchmark)


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
