"""Network scenarios: a server process per implementation on one CPU, the load generator on the other.

Each round starts a fresh server process (bench/_server.py) for one implementation, pinned to the bench
CPU, runs the scenario's load against it from another process pinned to the other CPU (our asyncio/uvloop
load generator, bench/_loadgen.py, or wrk), then kills the server. Rounds are interleaved across
implementations like the in-process scenarios. Server CPU time (user + system, from /proc via psutil) is
read around the measured window, so "server CPU per op" does not depend on how fast the client is.

A network scenario file defines, besides NAME, CASES, IMPLS, UNIT, ROUNDS and KIND:
    server(impl, case, ready)     run in the server process (see bench/_server.py)
    load(port, pid, case, count)  run in the driver: apply the load, return one round's dict. With
                                  ``count`` (the first round of each implementation), also count the
                                  server's system calls and wake-ups per op in a short extra window
                                  after the timed one (bench/_counters.py), never during it.
    NOFILE                        optional: open files the server and the load generator need
and sets ``measure = _net.measure`` so the harness hands the whole scenario to this module.

A round fails (and with it the implementation's test and the run) on any error of the client or of wrk,
any non-2xx response, any wrong answer, or a server that died.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import _harness

SERVER = os.path.join(_harness.BENCH_DIR, "_server.py")
LOADGEN = os.path.join(_harness.BENCH_DIR, "_loadgen.py")


def server_cpu():
    return _harness.bench_cpu()


def client_cpu():
    """The CPU for the load generator: another one than the server's, if there is one."""
    others = [c for c in _harness.cpus() if c != server_cpu()]
    return others[0] if others else None


class Server:
    """A server process for one (scenario, impl, case); .port, .pid, .note."""

    def __init__(self, path, impl, case, timeout=30):
        self.impl = impl
        self._err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, path, impl, case, str(server_cpu())],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err, text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"), start_new_session=True,
        )
        self.pid = self.proc.pid
        self.note = ""
        self.port = None
        msg = self._read(timeout)
        if "error" in msg:
            err = msg["error"]
            self.stop()
            raise _harness.WorkerError(f"{impl} server: {err}")
        else:
            self.port = msg["port"]
            self.note = msg.get("note", "")

    def _read(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                raise _harness.WorkerError(f"{self.impl} server exited with {self.proc.returncode}:\n"
                                           f"{self.stderr()}")
            if line.startswith(_harness.PREFIX):
                return json.loads(line[len(_harness.PREFIX):])
            if time.monotonic() > deadline:
                raise _harness.WorkerError(f"{self.impl} server did not start")

    def stderr(self):
        self._err.seek(0)
        return self._err.read()[-3000:]

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc.stdout.close()
        self._err.close()


def listener(backlog=2048):
    """A stdlib listening socket on 127.0.0.1, a free port, with TCP_NODELAY.

    Every server gets its socket from here, so all implementations run with the same socket options:
    Linux hands TCP_NODELAY on to accepted sockets. Without it a server that writes a response in two
    send() calls (headers, then body) stalls ~40 ms on the client's delayed ACK; that would measure
    Nagle's algorithm, not the server.
    """
    import socket
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    return sock


def gevent_socket(sock):
    """The same listening fd as a gevent socket (gevent's servers expect one, not a stdlib socket)."""
    import gevent.socket
    return gevent.socket.socket(sock.family, sock.type, sock.proto, fileno=sock.detach())


def serve_wsgi(impl, app, ready, pool=10_000, backlog=2048, note=None, gevent_handler_class=None):
    """Serve the WSGI ``app`` forever with fasthub.wsgi, gevent.pywsgi or eventlet.wsgi (access logs
    off; fasthub and eventlet serve at most ``pool`` connections at once, gevent's default spawns
    without a bound) on a listener(); False for any other implementation. ``note`` replaces the
    server's name in the report; gevent.pywsgi uses ``gevent_handler_class`` when given."""
    if impl not in ("fasthub", "gevent", "eventlet"):
        return False
    lsock = listener(backlog)
    port = lsock.getsockname()[1]
    if impl == "fasthub":
        from fasthub.wsgi import WSGIServer
        srv = WSGIServer(lsock, app, log=None, pool=pool)
        srv.start()
        ready(port, note or "fasthub.wsgi")
        srv.serve_forever()
    elif impl == "gevent":
        from gevent.pywsgi import WSGIServer
        extra = {"handler_class": gevent_handler_class} if gevent_handler_class is not None else {}
        srv = WSGIServer(gevent_socket(lsock), app, log=None, **extra)
        srv.start()
        ready(port, note or "gevent.pywsgi")
        srv.serve_forever()
    else:
        import eventlet.greenio
        import eventlet.wsgi
        ready(port, note or "eventlet.wsgi")
        eventlet.wsgi.server(eventlet.greenio.GreenSocket(lsock), app, log_output=False, max_size=pool)
    return True


def serve_green_websocket(impl, handler, ready, pool=10_000, backlog=2048):
    """Serve WebSockets forever with ``handler(ws)`` on fasthub.websocket, eventlet.websocket or
    gevent-websocket, each on its library's WSGI server (see serve_wsgi()); False for any other
    implementation. The handler receives each library's own WebSocket object."""
    if impl == "fasthub":
        from fasthub.websocket import WebSocketWSGI
        return serve_wsgi(impl, WebSocketWSGI(handler), ready, pool, backlog, "fasthub.websocket")
    if impl == "eventlet":
        import eventlet.websocket
        return serve_wsgi(impl, eventlet.websocket.WebSocketWSGI(handler), ready, pool, backlog,
                          "eventlet.websocket")
    if impl == "gevent":
        from geventwebsocket.handler import WebSocketHandler

        def app(environ, start_response):
            handler(environ["wsgi.websocket"])
            return []
        return serve_wsgi(impl, app, ready, pool, backlog, "gevent-websocket", WebSocketHandler)
    return False


def serve_asyncio(impl, start, ready, port, note):
    """Run an asyncio ("asyncio") or uvloop ("uvloop") server until the process is killed.

    ``start()`` is a coroutine function returning a started server that has ``serve_forever()``
    (``asyncio.start_server(...)``, websockets' ``serve(...)``); ``ready(port, note)`` is called once
    it accepts connections."""
    loop = _harness.new_loop(impl)

    async def main():
        srv = await start()
        ready(port, note)
        await srv.serve_forever()

    loop.run_until_complete(main())


def cpu_seconds(pid):
    """User + system CPU seconds used so far by process ``pid``."""
    import psutil
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def rss(pid):
    import psutil
    return psutil.Process(pid).memory_info().rss


def loadgen_cmd(args):
    """The command line running bench/_loadgen.py pinned to the client CPU."""
    cpu = client_cpu()
    return [sys.executable, LOADGEN] + [str(a) for a in args] + ["--cpu", "" if cpu is None else str(cpu)]


def read_msg(proc, what="load generator"):
    """The next prefixed JSON line from a child process; WorkerError if it reports an error or exits."""
    for line in proc.stdout:
        if line.startswith(_harness.PREFIX):
            msg = json.loads(line[len(_harness.PREFIX):])
            if "error" in msg:
                raise _harness.WorkerError(f"{what}: {msg['error']}")
            return msg
    proc.wait()
    raise _harness.WorkerError(f"{what} exited with {proc.returncode} without a result: "
                               f"{proc.stderr.read()[-2000:] if proc.stderr else ''}")


def run_loadgen(args, timeout):
    """Run bench/_loadgen.py to completion; return its JSON result (WorkerError on any error)."""
    p = subprocess.run(loadgen_cmd(args), capture_output=True, text=True, timeout=timeout)
    for line in p.stdout.splitlines():
        if line.startswith(_harness.PREFIX):
            msg = json.loads(line[len(_harness.PREFIX):])
            if "error" in msg:
                raise _harness.WorkerError(f"load generator: {msg['error']}")
            return msg
    raise _harness.WorkerError(f"load generator exited with {p.returncode}: {p.stderr[-2000:]}")


def check_get(port, body):
    """One GET / that must answer 200 with ``body`` (a warm-up that also checks the server)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/")
        r = c.getresponse()
        got = r.read()
    finally:
        c.close()
    if r.status != 200 or got != body:
        raise _harness.WorkerError(f"GET / answered {r.status} {got[:100]!r}, expected 200 {body!r}")


def reap(proc):
    """Kill a helper process if it still runs, wait for it and close its pipes."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            f.close()


class Holder:
    """``conns`` idle keep-alive HTTP connections to a server (bench/_loadgen.py hold: one checked GET
    each), held open until close(). Raises WorkerError if the server closed any of them."""

    def __init__(self, port, conns, body, sources=1):
        self.conns = conns
        self.proc = subprocess.Popen(
            loadgen_cmd(["hold", "--port", port, "--conns", conns, "--expect-body", body.decode(),
                         "--sources", sources]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            held = read_msg(self.proc)["holding"]
            if held != conns:
                raise _harness.WorkerError(f"the server closed connections: {held} of {conns} held")
        except BaseException:
            reap(self.proc)
            raise

    def close(self):
        try:
            self.proc.stdin.write("close\n")
            self.proc.stdin.flush()
            closed = read_msg(self.proc)["closed_meanwhile"]
        finally:
            reap(self.proc)
        if closed:
            raise _harness.WorkerError(f"the server closed {closed} of {self.conns} idle connections")


def measure(path, case, impls=None, rounds=None, log=None):
    """Like _harness.measure, for network scenarios: {impl: {"rounds": [...], "note": ...} | skip | error}."""
    mod = _harness.load_scenario(path)
    out, runnable = _harness.plan(mod, case, impls)
    for _, impl in _harness.interleaved(runnable, _harness.rounds_for(mod, rounds)):
        st = out.get(impl)
        if st is not None and "rounds" not in st:
            continue  # failed
        srv = None
        try:
            srv = Server(path, impl, case)
            res = mod.load(srv.port, srv.pid, case, count=st is None)
            if not srv.alive():
                raise _harness.WorkerError(f"{impl} server died:\n{srv.stderr()}")
        except (_harness.WorkerError, subprocess.TimeoutExpired, OSError, RuntimeError) as e:
            msg = f"{type(e).__name__}: {e}" if not isinstance(e, _harness.WorkerError) else str(e)
            if srv is not None and srv.port is not None:
                msg += "\n" + srv.stderr()
            out[impl] = {"error": msg}
            continue
        finally:
            if srv is not None:
                srv.stop()
        out.setdefault(impl, {"rounds": [], "note": srv.note})["rounds"].append(res)
        if log:
            log(f"{mod.NAME}:{case} {impl} " + _harness.format_round(res))
    return out
