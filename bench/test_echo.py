"""echo: a TCP echo server under 100 connections doing 64-byte round trips.

The server (one per implementation, written the way each library's users write it: a handler per
connection looping on recv/sendall; asyncio and uvloop with streams) runs pinned to one CPU; the load
generator (bench/_loadgen.py: uvloop protocols, 100 connections, one 64-byte message in flight on each)
runs in another process pinned to the other CPU. Every echo is checked byte for byte. Reported: round
trips per second, p99 latency, the server's CPU time per round trip (the figure that does not depend on
the client's speed) and its system calls and wake-ups per round trip (counted in a separate window).

Run alone: `.venv/bin/python bench/test_echo.py [impl ...]` or `pytest bench/test_echo.py`.
"""

import os

import pytest

import _harness
import _net

NAME = "echo"
KIND = "rate"
CASES = {"echo": "100 connections, 64-byte round trips"}
IMPLS = _harness.ALL_IMPLS
UNIT = "round trip"
ROUNDS = 3
CONNS = 100
SIZE = 64
DURATION = 3.0
COUNT_SECONDS = 1.0
measure = _net.measure


def load(port, pid, case, count=False):
    return _net.run_loadgen(["echo", "--port", port, "--conns", CONNS, "--size", SIZE,
                             "--duration", DURATION, "--warmup", 0.5, "--server-pid", pid,
                             "--count-seconds", COUNT_SECONDS if count else 0], timeout=60)


def _handle(sock, addr):
    # The same handler for every green library and for threads: blocking-style recv / sendall.
    while True:
        data = sock.recv(65536)
        if not data:
            break
        sock.sendall(data)
    sock.close()


def server(impl, case, ready):
    lsock = _net.listener()
    port = lsock.getsockname()[1]
    if impl == "fasthub":
        from fasthub import StreamServer
        srv = StreamServer(lsock, _handle)
        srv.start()
        ready(port)
        srv.serve_forever()
    elif impl == "gevent":
        from gevent.server import StreamServer
        srv = StreamServer(_net.gevent_socket(lsock), _handle)
        srv.start()
        ready(port)
        srv.serve_forever()
    elif impl == "eventlet":
        import eventlet
        import eventlet.greenio
        ready(port)
        eventlet.serve(eventlet.greenio.GreenSocket(lsock), _handle, concurrency=10_000)
    elif impl == "threads":
        import threading
        ready(port, "one OS thread per connection")
        while True:
            conn, addr = lsock.accept()
            threading.Thread(target=_handle, args=(conn, addr), daemon=True).start()
    elif impl in ("asyncio", "uvloop"):
        import asyncio

        async def handle(reader, writer):
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            writer.close()

        _net.serve_asyncio(impl, lambda: asyncio.start_server(handle, sock=lsock), ready, port, "streams")
    else:
        return None


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", IMPLS)
def test_echo(measured, impl, case):
    res = measured(__file__, case, impl)
    for r in res["rounds"]:
        assert r["ops"] > 0 and r["rate"] > 0, r


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
