"""wsgi_hello: `wrk -t1 -c100 -d10s --latency` against a hello-world WSGI app, every response checked.

Servers: fasthub.wsgi, gevent.pywsgi, eventlet.wsgi and the stdlib's wsgiref with one OS thread per
connection (socketserver.ThreadingMixIn). Access logs are off everywhere. The server is pinned to one CPU,
wrk to the other. Reported: requests/s, p99 latency (wrk's latency distribution), server CPU per request,
and system calls and wake-ups per request (a separate 2 s run). A socket error, a non-200 status or a
wrong body fails the round (bench/_wrk.py). wsgiref speaks HTTP/1.0 and closes every connection after
its response, so wrk reconnects for each request there: that is what the stdlib offers, and the table
says so.

Run alone: `.venv/bin/python bench/test_wsgi_hello.py [impl ...]` or `pytest bench/test_wsgi_hello.py`.
Needs wrk (make bench installs it with apt-get); fails without it.
"""

import os

import pytest

import _harness
import _net
import _wrk

NAME = "wsgi_hello"
KIND = "rate"
DURATION = int(os.environ.get("BENCH_WRK_SECONDS", "10"))
CASES = {"wsgi_hello": f"wrk -t1 -c100 -d{DURATION}s, hello-world WSGI app"}
IMPLS = ("fasthub", "threads", "gevent", "eventlet")
UNIT = "request"
ROUNDS = 3
CONNS = 100
COUNT_SECONDS = 2
measure = _net.measure

BODY = b"Hello, world!\n"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


def load(port, pid, case, count=False):
    return _wrk.measure_round(port, pid, BODY, CONNS, DURATION, COUNT_SECONDS if count else 0)


def server(impl, case, ready):
    if impl == "threads":
        srv = _wsgiref_server()
        ready(srv.server_address[1], "wsgiref + ThreadingMixIn (HTTP/1.0, no keep-alive)")
        srv.serve_forever()
        return
    return _net.serve_wsgi(impl, app, ready) or None


def _wsgiref_server():
    import socket
    import socketserver
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True
        request_queue_size = 1024

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    srv = make_server("127.0.0.1", 0, app, ThreadingWSGIServer, QuietHandler)
    srv.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as _net.listener() does
    return srv


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", IMPLS)
def test_wsgi_hello(measured, impl, case):
    res = measured(__file__, case, impl)
    for r in res["rounds"]:
        assert r["ops"] > 0 and r["rate"] > 0, r


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
