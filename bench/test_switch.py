"""switch: two green threads ping-pong a token; time per round trip (two hand-offs).

Cases:
  event   through a pair of Events (set / wait / clear; eventlet's one-shot Event: send / wait / reset)
  queue   through a pair of Queues (put / get)
  waiter  fasthub only: through fasthub.Waiter, the one-shot primitive Event and Queue are built on;
          the floor a fasthub primitive can reach (no competitor has the same thing, so no ratio)

Run alone: `.venv/bin/python bench/test_switch.py [impl ...]` or `pytest bench/test_switch.py`.
OS threads ping-pong through threading.Event / queue.Queue; all implementations run on one pinned CPU.
"""

import os

import pytest

import _harness

NAME = "switch"
CASES = {
    "event": "ping-pong through an Event pair",
    "queue": "ping-pong through a Queue pair",
    "waiter": "ping-pong through fasthub.Waiter (floor; fasthub only)",
}
CASE_IMPLS = {"waiter": ("fasthub",)}
IMPLS = _harness.ALL_IMPLS
UNIT = "round trip"
ROUNDS = 5
N = 50_000


def _green_event_pair(spawn, Event, n):
    """set/wait/clear ping-pong for libraries with a gevent-style Event; returns the round function."""

    def run():
        a, b = Event(), Event()
        count = [0]

        def pong():
            for _ in range(n):
                b.wait()
                b.clear()
                count[0] += 1
                a.set()

        g = spawn(pong)
        for _ in range(n):
            b.set()
            a.wait()
            a.clear()
        _join(g)
        if count[0] != n:
            raise AssertionError(f"{count[0]} of {n} round trips")
        return n
    return run


def _queue_pair(spawn, Queue, n, join):
    def run():
        qa, qb = Queue(), Queue()

        def pong():
            for _ in range(n):
                qa.put(qb.get())

        g = spawn(pong)
        for i in range(n):
            qb.put(i)
            if qa.get() != i:
                raise AssertionError("token lost")
        join(g)
        return n
    return run


def _join(g):
    for name in ("join", "wait"):
        if hasattr(g, name):
            return getattr(g, name)()


def setup(impl, case):
    if case == "waiter":
        return _fasthub_waiter() if impl == "fasthub" else None
    if impl == "fasthub":
        import fasthub
        if case == "event":
            return _green_event_pair(fasthub.spawn, fasthub.Event, N)
        return _queue_pair(fasthub.spawn, fasthub.Queue, N, lambda g: g.wait())
    if impl == "gevent":
        import gevent
        import gevent.event
        import gevent.queue
        if case == "event":
            return _green_event_pair(gevent.spawn, gevent.event.Event, N)
        return _queue_pair(gevent.spawn, gevent.queue.Queue, N, lambda g: g.join())
    if impl == "eventlet":
        import eventlet
        import eventlet.event
        import eventlet.queue
        if case == "event":
            return _eventlet_event_pair(N)
        return _queue_pair(eventlet.spawn, eventlet.queue.Queue, N, lambda g: g.wait())
    if impl == "threads":
        import queue
        import threading

        def spawn(fn):
            t = threading.Thread(target=fn)
            t.start()
            return t
        if case == "event":
            return _green_event_pair(spawn, threading.Event, N)
        return _queue_pair(spawn, queue.Queue, N, lambda t: t.join())
    if impl in ("asyncio", "uvloop"):
        return _asyncio_pair(impl, case, N)
    return None


def _eventlet_event_pair(n):
    # eventlet's Event is one-shot: send() twice raises; reset() re-arms it (only after a send).
    import eventlet
    import eventlet.event

    def run():
        a, b = eventlet.event.Event(), eventlet.event.Event()
        count = [0]

        def pong():
            for _ in range(n):
                b.wait()
                b.reset()
                count[0] += 1
                a.send()

        g = eventlet.spawn(pong)
        for _ in range(n):
            b.send()
            a.wait()
            a.reset()
        g.wait()
        if count[0] != n:
            raise AssertionError(f"{count[0]} of {n} round trips")
        return n
    run.note = "send / wait / reset"
    return run


def _asyncio_pair(impl, case, n):
    import asyncio
    loop = _harness.new_loop(impl)

    async def event_main():
        a, b = asyncio.Event(), asyncio.Event()
        count = [0]

        async def pong():
            for _ in range(n):
                await b.wait()
                b.clear()
                count[0] += 1
                a.set()

        t = loop.create_task(pong())
        for _ in range(n):
            b.set()
            await a.wait()
            a.clear()
        await t
        if count[0] != n:
            raise AssertionError(f"{count[0]} of {n} round trips")
        return n

    async def queue_main():
        qa, qb = asyncio.Queue(), asyncio.Queue()

        async def pong():
            for _ in range(n):
                await qa.put(await qb.get())

        t = loop.create_task(pong())
        for i in range(n):
            await qb.put(i)
            if await qa.get() != i:
                raise AssertionError("token lost")
        await t
        return n

    main = event_main if case == "event" else queue_main

    def run():
        return loop.run_until_complete(main())
    return run


def _fasthub_waiter():
    import fasthub
    from fasthub import Waiter

    def run():
        # Each side publishes a fresh Waiter, wakes the other side's, then parks on its own.
        slot = {"a": None, "b": None}
        count = [0]

        def pong():
            for _ in range(N):
                w = slot["b"] = Waiter()
                w.get()
                count[0] += 1
                slot["a"].switch()

        g = fasthub.spawn(pong)
        fasthub.sleep(0)  # let pong publish its first Waiter
        for _ in range(N):
            w = slot["a"] = Waiter()
            slot["b"].switch()
            w.get()
        g.wait()
        if count[0] != N:
            raise AssertionError(f"{count[0]} of {N} round trips")
        return N
    return run


@pytest.mark.parametrize("impl,case", [(i, c) for c in CASES for i in CASE_IMPLS.get(c, IMPLS)])
def test_switch(measured, benchmark, impl, case):
    measured(__file__, case, impl, benchmark)


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
