"""wsgi_hello: `wrk -t1 -c100 -d10s --latency` against a hello-world WSGI app.

Servers: fasthub.wsgi, gevent.pywsgi, eventlet.wsgi and the stdlib's wsgiref with one OS thread per
connection (socketserver.ThreadingMixIn). Access logs are off everywhere. The server is pinned to one CPU,
wrk to the other. Reported: requests/s, p99 latency (wrk's latency distribution) and server CPU per
request. wsgiref speaks HTTP/1.0 and closes every connection after its response, so wrk reconnects for
each request there: that is what the stdlib offers, and the table says so.

Run alone: `.venv/bin/python bench/test_wsgi_hello.py [impl ...]` or `pytest bench/test_wsgi_hello.py`.
Needs wrk (make bench installs it with apt-get); skipped without it.
"""

import os
import re
import resource
import shutil
import subprocess

import pytest

import _harness
import _net

NAME = "wsgi_hello"
KIND = "rate"
DURATION = int(os.environ.get("BENCH_WRK_SECONDS", "10"))
CASES = {"wsgi_hello": f"wrk -t1 -c100 -d{DURATION}s, hello-world WSGI app"}
IMPLS = ("fasthub", "threads", "gevent", "eventlet")
UNIT = "request"
ROUNDS = 2
measure = _net.measure

BODY = b"Hello, world!\n"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def parse_wrk(out):
    """requests, rate, p99 (seconds) and error counts from wrk's --latency report."""
    def num(pattern):
        m = re.search(pattern, out)
        return m.group(1) if m else None

    rate = float(num(r"Requests/sec:\s+([\d.]+)"))
    requests = int(num(r"(\d+) requests in"))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
    p99 = float(m.group(1)) * _UNITS[m.group(2)] if m else None
    m = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
    p50 = float(m.group(1)) * _UNITS[m.group(2)] if m else None
    errors = {}
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    non2xx = int(num(r"Non-2xx or 3xx responses: (\d+)") or 0)
    return {"ops": requests, "rate": rate, "p99": p99, "p50": p50, "socket_errors": errors, "non_2xx": non2xx}


def load(port, pid, case):
    wrk = shutil.which("wrk")
    cmd = [wrk, "-t1", "-c100", f"-d{DURATION}s", "--latency", f"http://127.0.0.1:{port}/"]
    cpu = _net.client_cpu()
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu)] + cmd
    c0 = _net.cpu_seconds(pid)
    k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=DURATION + 60)
    k1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk's own CPU (the only child that ended)
    c1 = _net.cpu_seconds(pid)
    if p.returncode != 0:
        raise _harness.WorkerError(f"wrk failed ({p.returncode}): {p.stderr[-1000:]}")
    r = parse_wrk(p.stdout)
    if r["non_2xx"]:
        raise _harness.WorkerError(f"{r['non_2xx']} responses were not 2xx:\n{p.stdout}")
    if not r["ops"]:
        raise _harness.WorkerError(f"no request completed:\n{p.stdout}")
    r["wall"] = float(DURATION)
    r["server_cpu_per_op"] = (c1 - c0) / r["ops"]
    r["client_cpu_per_op"] = (k1.ru_utime + k1.ru_stime - k0.ru_utime - k0.ru_stime) / r["ops"]
    return r


def server(impl, case, ready):
    if impl == "threads":
        srv = _wsgiref_server()
        ready(srv.server_address[1], "wsgiref + ThreadingMixIn (HTTP/1.0, no keep-alive)")
        srv.serve_forever()
        return
    lsock = _net.listener()
    port = lsock.getsockname()[1]
    if impl == "fasthub":
        from fasthub.wsgi import WSGIServer
        srv = WSGIServer(lsock, app, log=None, pool=10_000)
        srv.start()
        ready(port)
        srv.serve_forever()
    elif impl == "gevent":
        from gevent.pywsgi import WSGIServer
        srv = WSGIServer(_net.gevent_socket(lsock), app, log=None)
        srv.start()
        ready(port)
        srv.serve_forever()
    elif impl == "eventlet":
        import eventlet.greenio
        import eventlet.wsgi
        ready(port)
        eventlet.wsgi.server(eventlet.greenio.GreenSocket(lsock), app, log_output=False, max_size=10_000)
    else:
        return None


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
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (make bench installs it with apt-get)")
    res = measured(__file__, case, impl)
    for r in res["rounds"]:
        assert r["ops"] > 0 and r["rate"] > 0, r


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
