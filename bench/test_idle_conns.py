"""idle_conns: server memory per idle HTTP keep-alive connection, 5,000 connections open.

Each round starts a fresh server, serves one request (so everything lazy is initialised), reads its RSS,
then the load generator (bench/_loadgen.py hold) opens 5,000 connections, sends one keep-alive GET on
each, reads the response and leaves the connection open and idle; the server's RSS is read again and the
growth divided by the connections held. Servers: fasthub.wsgi, gevent.pywsgi, eventlet.wsgi; for
threads, the stdlib's http.server.ThreadingHTTPServer speaking HTTP/1.1 (wsgiref cannot keep a
connection alive); for asyncio and uvloop, a minimal keep-alive HTTP responder on streams (not a WSGI
server: it shows the floor of a callback loop, not a like-for-like server).

Run alone: `.venv/bin/python bench/test_idle_conns.py [impl ...]` or `pytest bench/test_idle_conns.py`.
"""

import os
import time

import pytest

import _harness
import _net

NAME = "idle_conns"
KIND = "memory"
CASES = {"idle_conns": "RSS per idle keep-alive HTTP connection, 5,000 open"}
IMPLS = _harness.ALL_IMPLS
UNIT = "idle connection"
ROUNDS = 2
CONNS = 5_000
NOFILE = CONNS + 1024
measure = _net.measure

BODY = b"Hello, world!\n"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(BODY)) + BODY


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


def load(port, pid, case, count=False):
    _net.check_get(port, BODY)   # everything lazy is initialised before the baseline
    time.sleep(0.3)
    before = _net.rss(pid)
    holder = _net.Holder(port, CONNS, BODY)
    try:
        time.sleep(0.5)
        after = _net.rss(pid)
    finally:
        holder.close()
    return {"bytes_per": (after - before) / CONNS, "n": CONNS, "rss_before": before, "rss_after": after}


def server(impl, case, ready):
    if _net.serve_wsgi(impl, app, ready, backlog=4096):
        return
    lsock = _net.listener(backlog=4096)
    port = lsock.getsockname()[1]
    if impl == "threads":
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Hello(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                self.wfile.write(BODY)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self):  # the socket is already bound and listening
                self.server_address = self.socket.getsockname()

            def server_activate(self):
                pass

        srv = Server(("127.0.0.1", port), Hello, bind_and_activate=False)
        srv.socket.close()
        srv.socket = lsock
        srv.server_bind()
        ready(port, "http.server.ThreadingHTTPServer, HTTP/1.1")
        srv.serve_forever()
    elif impl in ("asyncio", "uvloop"):
        import asyncio

        async def handle(reader, writer):
            try:
                while True:
                    await reader.readuntil(b"\r\n\r\n")
                    writer.write(RESPONSE)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            writer.close()

        _net.serve_asyncio(impl, lambda: asyncio.start_server(handle, sock=lsock), ready, port,
                           "minimal streams HTTP responder")
    else:
        return None


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", IMPLS)
def test_idle_conns(measured, impl, case):
    res = measured(__file__, case, impl)
    for r in res["rounds"]:
        assert r["n"] == CONNS and r["bytes_per"] > 0, r


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
