"""websocket: WebSocket echo, 100 connections each with one 64-byte binary message in flight.

Servers: fasthub.websocket on fasthub.wsgi, eventlet.websocket on eventlet.wsgi, gevent-websocket on
gevent.pywsgi, the `websockets` library's threaded server (one OS thread per connection) and its asyncio
server (on asyncio's loop and on uvloop). The client is bench/_loadgen.py's minimal WebSocket client
(uvloop protocols, no compression offered); every echo is checked. Reported: messages echoed per second,
p99 latency, the server's CPU time per message and its system calls and wake-ups per message (counted in
a separate window). A missing package fails its implementation (BENCH_EXCLUDE leaves one out).

Run alone: `.venv/bin/python bench/test_websocket.py [impl ...]` or `pytest bench/test_websocket.py`.
"""

import os

import pytest

import _harness
import _net

NAME = "websocket"
KIND = "rate"
CASES = {"websocket": "WebSocket echo, 100 connections, 64-byte binary messages"}
IMPLS = _harness.ALL_IMPLS
UNIT = "message"
ROUNDS = 3
CONNS = 100
SIZE = 64
DURATION = 3.0
COUNT_SECONDS = 1.0
NEEDS = {"gevent": ("geventwebsocket",), "threads": ("websockets",), "asyncio": ("websockets",),
         "uvloop": ("websockets",)}
measure = _net.measure


def load(port, pid, case, count=False):
    return _net.run_loadgen(["ws", "--port", port, "--conns", CONNS, "--size", SIZE, "--duration", DURATION,
                             "--warmup", 0.5, "--server-pid", pid, "--path", "/ws",
                             "--count-seconds", COUNT_SECONDS if count else 0], timeout=60)


def fasthub_echo(ws):
    """The WebSocket echo handler of fasthub and eventlet (same wait()/send()); also the soak's."""
    while True:
        m = ws.wait()
        if m is None:
            break
        ws.send(m)


def _gevent_echo(ws):
    while True:
        m = ws.receive()
        if m is None:
            break
        ws.send(m, binary=True)


def server(impl, case, ready):
    if impl in ("fasthub", "eventlet"):
        # eventlet's WebSocket has the same wait()/send() as fasthub's.
        return _net.serve_green_websocket(impl, fasthub_echo, ready)
    if impl == "gevent":
        return _net.serve_green_websocket(impl, _gevent_echo, ready)
    lsock = _net.listener()
    port = lsock.getsockname()[1]
    if impl == "threads":
        from websockets.sync.server import serve

        def echo(ws):
            for m in ws:
                ws.send(m)

        with serve(echo, sock=lsock, compression=None) as srv:
            ready(port, "websockets.sync (thread per connection)")
            srv.serve_forever()
    elif impl in ("asyncio", "uvloop"):
        from websockets.asyncio.server import serve

        async def echo(ws):
            async for m in ws:
                await ws.send(m)

        _net.serve_asyncio(impl, lambda: serve(echo, sock=lsock, compression=None), ready, port,
                           "websockets (asyncio)")
    else:
        return None


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", IMPLS)
def test_websocket(measured, impl, case):
    res = measured(__file__, case, impl)
    for r in res["rounds"]:
        assert r["ops"] > 0 and r["rate"] > 0, r


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
