"""Network scenarios: a server process per implementation on one CPU, the load generator on the other.

Each round starts a fresh server process (bench/_server.py) for one implementation, pinned to the bench
CPU, runs the scenario's load against it from another process pinned to the other CPU (our asyncio/uvloop
load generator, bench/_loadgen.py, or wrk), then kills the server. Rounds are interleaved across
implementations like the in-process scenarios. Server CPU time (user + system, from /proc via psutil) is
read around the measured window, so "server CPU per op" does not depend on how fast the client is.

A network scenario file defines, besides NAME, CASES, IMPLS, UNIT, ROUNDS and KIND:
    server(impl, case, ready)  run in the server process (see bench/_server.py)
    load(port, pid, case)      run in the driver: apply the load, return one round's dict
and sets ``measure = _net.measure`` so the harness hands the whole scenario to this module.
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
    """A server process for one (scenario, impl, case); .port, .pid, .skip, .note."""

    def __init__(self, path, impl, case, timeout=30):
        self.impl = impl
        self._err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, path, impl, case, str(server_cpu())],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err, text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"), start_new_session=True,
        )
        self.pid = self.proc.pid
        self.skip = None
        self.note = ""
        self.port = None
        msg = self._read(timeout)
        if "skip" in msg:
            self.skip = msg["skip"]
        elif "error" in msg:
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


def cpu_seconds(pid):
    """User + system CPU seconds used so far by process ``pid``."""
    import psutil
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def rss(pid):
    import psutil
    return psutil.Process(pid).memory_info().rss


def run_loadgen(args, timeout):
    """Run bench/_loadgen.py pinned to the client CPU; return its JSON result."""
    cpu = client_cpu()
    cmd = [sys.executable, LOADGEN] + [str(a) for a in args] + ["--cpu", "" if cpu is None else str(cpu)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    for line in p.stdout.splitlines():
        if line.startswith(_harness.PREFIX):
            msg = json.loads(line[len(_harness.PREFIX):])
            if "error" in msg:
                raise _harness.WorkerError(f"load generator: {msg['error']}")
            return msg
    raise _harness.WorkerError(f"load generator exited with {p.returncode}: {p.stderr[-2000:]}")


def measure(path, case, impls=None, rounds=None, log=None):
    """Like _harness.measure, for network scenarios: {impl: {"rounds": [...], "note": ...} | skip | error}."""
    mod = _harness.load_scenario(path)
    allowed = getattr(mod, "CASE_IMPLS", {}).get(case, mod.IMPLS)
    impls = [i for i in (impls or mod.IMPLS) if i in allowed]
    rounds = int(os.environ.get("BENCH_ROUNDS", 0)) or rounds or mod.ROUNDS
    out = {}
    for impl in impls:
        reason = _harness.missing(impl)
        if reason:
            out[impl] = {"skip": reason}
    runnable = [i for i in impls if i not in out]
    for r in range(rounds):
        k = r % len(runnable) if runnable else 0
        for impl in runnable[k:] + runnable[:k]:
            st = out.get(impl)
            if st is not None and "rounds" not in st:
                continue
            srv = None
            try:
                srv = Server(path, impl, case)
                if srv.skip:
                    out[impl] = {"skip": srv.skip}
                    continue
                res = mod.load(srv.port, srv.pid, case)
                if not srv.alive():
                    raise _harness.WorkerError(f"{impl} server died:\n{srv.stderr()}")
            except (_harness.WorkerError, subprocess.TimeoutExpired, OSError) as e:
                msg = str(e)
                if srv is not None and srv.port is not None:
                    msg += "\n" + srv.stderr()
                out[impl] = {"error": msg}
                continue
            finally:
                if srv is not None:
                    srv.stop()
            out.setdefault(impl, {"rounds": [], "note": srv.note})["rounds"].append(res)
            if log:
                log(f"{mod.NAME}:{case} {impl} " + json.dumps({k: v for k, v in res.items() if k != "hist"}))
    return out
