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

import http.client
import json
import os
import subprocess
import sys
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
measure = _net.measure

BODY = b"Hello, world!\n"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(BODY)) + BODY


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


def load(port, pid, case):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/")
    if c.getresponse().read() != BODY:
        raise _harness.WorkerError("warm-up request got a wrong body")
    c.close()
    time.sleep(0.3)
    before = _net.rss(pid)
    cpu = _net.client_cpu()
    p = subprocess.Popen([sys.executable, _net.LOADGEN, "hold", "--port", str(port), "--conns", str(CONNS),
                          "--cpu", "" if cpu is None else str(cpu)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        msg = _read_msg(p)
        if "error" in msg:
            raise _harness.WorkerError(f"load generator: {msg['error']}")
        time.sleep(0.5)
        after = _net.rss(pid)
        p.stdin.write("close\n")
        p.stdin.flush()
        done = _read_msg(p)
        if "error" in done:
            raise _harness.WorkerError(f"load generator: {done['error']}")
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            try:
                f.close()
            except OSError:
                pass
    held = msg["holding"]
    if held != CONNS or done.get("closed_meanwhile"):
        raise _harness.WorkerError(f"the server closed connections: {held} of {CONNS} held, "
                                   f"{done.get('closed_meanwhile')} closed while idle")
    return {"bytes_per": (after - before) / held, "n": held, "rss_before": before, "rss_after": after}


def _read_msg(p, timeout=120):
    deadline = time.monotonic() + timeout
    for line in p.stdout:
        if line.startswith(_harness.PREFIX):
            return json.loads(line[len(_harness.PREFIX):])
        if time.monotonic() > deadline:
            break
    raise _harness.WorkerError(f"load generator said nothing: {p.stderr.read()[-2000:] if p.poll() is not None else ''}")


def server(impl, case, ready):
    lsock = _net.listener(backlog=4096)
    port = lsock.getsockname()[1]
    if impl == "fasthub":
        from fasthub.wsgi import WSGIServer
        srv = WSGIServer(lsock, app, log=None, pool=10_000)
        srv.start()
        ready(port, "fasthub.wsgi")
        srv.serve_forever()
    elif impl == "gevent":
        from gevent.pywsgi import WSGIServer
        srv = WSGIServer(_net.gevent_socket(lsock), app, log=None)
        srv.start()
        ready(port, "gevent.pywsgi")
        srv.serve_forever()
    elif impl == "eventlet":
        import eventlet.greenio
        import eventlet.wsgi
        ready(port, "eventlet.wsgi")
        eventlet.wsgi.server(eventlet.greenio.GreenSocket(lsock), app, log_output=False, max_size=10_000)
    elif impl == "threads":
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
        loop = _harness.new_loop(impl)

        async def handle(reader, writer):
            try:
                while True:
                    await reader.readuntil(b"\r\n\r\n")
                    writer.write(RESPONSE)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            writer.close()

        async def main():
            srv = await asyncio.start_server(handle, sock=lsock)
            ready(port, "minimal streams HTTP responder")
            await srv.serve_forever()

        loop.run_until_complete(main())
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
