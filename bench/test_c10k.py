"""c10k: 10,000 WebSocket connections to one server process, a broadcast to all of them every second
for 60 seconds.

Servers, each written the way its users write a chat or notification fan-out: fasthub.websocket on
fasthub.wsgi, eventlet.websocket on eventlet.wsgi, gevent-websocket on gevent.pywsgi (one green thread
per connection waiting for messages; a broadcaster green thread sends to every connection in turn), and
the `websockets` library on asyncio and on uvloop (a task per connection; `websockets.broadcast()`, its
own fan-out). Each broadcast is 12 bytes: a sequence number and the server's time.monotonic() when the
fan-out began.

The client (bench/_loadgen.py fanout, uvloop, pinned to the other CPU, spread over 4 source addresses)
opens the connections; the driver reads the server's RSS before and after (RSS per connection), then the
client asks for the broadcasts and checks that every connection receives every one, in order. Reported:
RSS per connection; fan-out latency p50/p99/max over all 600,000 deliveries; each broadcast's completion
(its last delivery); server CPU per broadcast; and, over 5 extra broadcasts after the timed ones, system
calls per delivered message and wake-ups per broadcast. One round per implementation: its 60 broadcasts
are the samples. The client's CPU per broadcast against the fan-out's duration says whether it kept up.

BENCH_C10K_CONNS and BENCH_C10K_BROADCASTS shrink it for a smoke run.
Run alone: `.venv/bin/python bench/test_c10k.py [impl ...]` or `pytest bench/test_c10k.py`.
"""

import os
import socket
import subprocess
import time

import pytest

import _harness
import _net
from _loadgen import BROADCAST

NAME = "c10k"
KIND = "fanout"
CONNS = int(os.environ.get("BENCH_C10K_CONNS", 10_000))
BROADCASTS = int(os.environ.get("BENCH_C10K_BROADCASTS", 60))
COUNT_BROADCASTS = 5
PERIOD = 1.0
CASES = {"c10k": f"{CONNS:,} WebSocket connections, a broadcast every {PERIOD:g} s for {BROADCASTS} s"}
IMPLS = ("fasthub", "eventlet", "gevent", "asyncio", "uvloop")
NEEDS = {"gevent": ("geventwebsocket",), "asyncio": ("websockets",), "uvloop": ("websockets",)}
UNIT = "broadcast"
ROUNDS = 1
NOFILE = CONNS + 1024
SOURCES = 4
measure = _net.measure


def _handshake(port):
    """One WebSocket handshake, then close: everything lazy in the server exists before the baseline."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise _harness.WorkerError(f"warm-up handshake refused: {head[:200]!r}")


def load(port, pid, case, count=False):
    _handshake(port)
    time.sleep(0.5)
    before = _net.rss(pid)
    p = subprocess.Popen(_net.loadgen_cmd(
        ["fanout", "--port", port, "--conns", CONNS, "--broadcasts", BROADCASTS, "--period", PERIOD,
         "--count-broadcasts", COUNT_BROADCASTS if count else 0, "--server-pid", pid, "--path", "/ws",
         "--sources", SOURCES]),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        opened = _net.read_msg(p)
        time.sleep(1.0)   # handlers settle into their wait
        after = _net.rss(pid)
        p.stdin.write("go\n")
        p.stdin.flush()
        res = _net.read_msg(p)
    finally:
        _net.reap(p)
    res.update(rss_per_conn=(after - before) / CONNS, open_seconds=opened["open_seconds"])
    return res


def _broadcaster(n, period, fan_out, sleep):
    """n broadcasts ``period`` seconds apart (on a fixed schedule); fan_out(message) sends to all."""
    start = time.monotonic()
    for seq in range(n):
        fan_out(BROADCAST.pack(seq, time.monotonic()))
        delay = start + (seq + 1) * period - time.monotonic()
        if delay > 0:
            sleep(delay)


def _green_handler(clients, spawn, sleep, send, receive):
    """The per-connection handler of the green servers: register, wait for messages; "start N PERIOD"
    (from the client's first connection) starts the broadcaster."""
    def fan_out(message):
        for ws in list(clients):
            send(ws, message)

    def handler(ws):
        clients.add(ws)
        try:
            while True:
                m = receive(ws)
                if m is None:
                    break
                if isinstance(m, bytes):
                    m = m.decode()
                if m.startswith("start "):
                    n, period = m.split()[1:]
                    spawn(_broadcaster, int(n), float(period), fan_out, sleep)
        finally:
            clients.discard(ws)
    return handler


def server(impl, case, ready):
    clients = set()
    if impl == "fasthub":
        import fasthub
        handler = _green_handler(clients, fasthub.spawn, fasthub.sleep, lambda ws, m: ws.send(m),
                                 lambda ws: ws.wait())
    elif impl == "eventlet":
        import eventlet
        handler = _green_handler(clients, eventlet.spawn, eventlet.sleep, lambda ws, m: ws.send(m),
                                 lambda ws: ws.wait())
    elif impl == "gevent":
        import gevent
        handler = _green_handler(clients, gevent.spawn, gevent.sleep, lambda ws, m: ws.send(m, binary=True),
                                 lambda ws: ws.receive())
    elif impl in ("asyncio", "uvloop"):
        import asyncio

        from websockets.asyncio.server import broadcast, serve

        async def broadcaster(n, period):
            start = time.monotonic()
            for seq in range(n):
                broadcast(clients, BROADCAST.pack(seq, time.monotonic()))
                delay = start + (seq + 1) * period - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)

        async def handler(ws):
            clients.add(ws)
            try:
                async for m in ws:
                    if isinstance(m, str) and m.startswith("start "):
                        n, period = m.split()[1:]
                        asyncio.get_running_loop().create_task(broadcaster(int(n), float(period)))
            finally:
                clients.discard(ws)

        lsock = _net.listener(backlog=4096)
        # ping_interval=None: websockets pings every 20 s by default and drops a connection whose
        # pong is late; the other servers send no keep-alive pings, and the load generator's bare
        # client does not answer them (the 60 s run lost ~800 connections to it).
        return _net.serve_asyncio(impl, lambda: serve(handler, sock=lsock, compression=None, max_queue=None,
                                                      ping_interval=None),
                                  ready, lsock.getsockname()[1],
                                  "websockets (asyncio), websockets.broadcast()")
    else:
        return None
    return _net.serve_green_websocket(impl, handler, ready, pool=CONNS + 100, backlog=4096)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", IMPLS)
def test_c10k(measured, impl, case):
    res = measured(__file__, case, impl)
    for r in res["rounds"]:
        assert r["deliveries"] == CONNS * BROADCASTS and r["rss_per_conn"] > 0, r


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
