"""soak: one fasthub server under mixed HTTP, WebSocket and PostgreSQL traffic with connects and
disconnects for SECONDS (10 minutes in `make bench`, 60 s in `make test-soak`); its open fds and RSS
must stay flat.

The server (fasthub.wsgi, one process pinned to the bench CPU) answers GET / (hello), GET /db?n=N
(SELECT N + 1 through fasthub.pool.ConnectionPool over psycopg 3, made cooperative by
fasthub.integrations.psycopg) and /ws (fasthub.websocket echo). The traffic (bench/_soakgen.py) opens
and closes connections all the time: one-shot requests, keep-alive sessions, database requests,
WebSocket sessions closed cleanly or dropped, and half-sent requests abandoned; every answer is checked.
PostgreSQL is scripts/services.sh's (FASTHUB_TEST_PG_DSN); if it is not reachable the soak fails naming
it.

Every INTERVAL seconds the driver samples the server's open fds and RSS. After WARMUP seconds (pool
filled, allocator warm) the samples are fitted with the Theil-Sen slope (median of pairwise slopes, so
one outlier cannot tilt it); the growth over the fitted span (slope x span) must stay within the
tolerance: for RSS, RSS_PER_10_MIN per 10 minutes of span but at least RSS_MIN (a leak of a few bytes
per request at this rate exceeds it); for fds, FD_TOLERANCE, the noise of connections that happen to be
open at a sample. And once the traffic
stops and the server is idle again its fd count must be back to what it was when idle after a short
burst before the soak (IDLE_TOLERANCE): a leaked socket or database connection shows there exactly.

Run alone: `BENCH_SOAK_SECONDS=60 .venv/bin/python -m pytest bench/test_soak.py` (make test-soak).
"""

import os
import statistics
import subprocess
import sys
import time

import pytest

import _harness
import _net

NAME = "soak"
KIND = "soak"
SECONDS = float(os.environ.get("BENCH_SOAK_SECONDS", "600"))
INTERVAL = 10.0 if SECONDS >= 300 else 5.0
WARMUP = max(2 * INTERVAL, SECONDS / 10)
WORKERS = 16
POOL = 8
CASES = {"soak": f"{SECONDS:.0f} s of mixed HTTP, WebSocket and PostgreSQL traffic"}
IMPLS = ("fasthub",)
NOFILE = 4096
RSS_PER_10_MIN = 4 << 20
RSS_MIN = 1 << 20
FD_TOLERANCE = WORKERS // 2
IDLE_TOLERANCE = 0
DESCRIPTION = (f"{WORKERS} client workers, each cycling through one-shot requests, keep-alive sessions with "
               f"PostgreSQL queries, database requests, WebSocket sessions (closed cleanly or dropped) and "
               f"abandoned half requests, 20 ms apart; server: fasthub.wsgi, ConnectionPool(max_size={POOL}) "
               f"over psycopg 3, fasthub.websocket echo.")

BODY = b"Hello, world!\n"


def pg_dsn():
    """scripts/services.sh's PostgreSQL, checked: the soak fails naming it if it is not there."""
    import socket
    import urllib.parse
    dsn = os.environ.get("FASTHUB_TEST_PG_DSN", "postgresql://fasthub:fasthub@127.0.0.1:54329/fasthub_test")
    u = urllib.parse.urlsplit(dsn)
    try:
        socket.create_connection((u.hostname, u.port), timeout=3).close()
    except OSError as e:
        raise AssertionError(f"PostgreSQL is not reachable at {u.hostname}:{u.port} ({e}): the soak needs it; "
                             f"start it with `eval \"$(scripts/services.sh start)\"` (make bench and make "
                             f"test-soak do)") from None
    return dsn


def server(impl, case, ready):
    import psycopg

    import fasthub.integrations.psycopg
    from fasthub.pool import ConnectionPool
    from fasthub.websocket import WebSocketWSGI
    from fasthub.wsgi import WSGIServer
    from test_websocket import fasthub_echo

    fasthub.integrations.psycopg.patch()
    pool = ConnectionPool(psycopg.connect, os.environ["BENCH_SOAK_DSN"], max_size=POOL, timeout=10)

    ws_app = WebSocketWSGI(fasthub_echo)

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/ws":
            return ws_app(environ, start_response)
        if path == "/db":
            n = int(environ["QUERY_STRING"].partition("=")[2])
            with pool.connection() as conn:
                body = str(conn.execute("SELECT %s::int + 1", (n,)).fetchone()[0]).encode()
        else:
            body = BODY
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    lsock = _net.listener()
    srv = WSGIServer(lsock, app, log=None, pool=1000)
    srv.start()
    ready(lsock.getsockname()[1], "fasthub.wsgi + ConnectionPool(psycopg 3) + fasthub.websocket")
    srv.serve_forever()


def theil_sen(ts, ys):
    """The median of the slopes between every pair of samples."""
    slopes = [(ys[j] - ys[i]) / (ts[j] - ts[i]) for i in range(len(ts)) for j in range(i + 1, len(ts))
              if ts[j] > ts[i]]
    return statistics.median(slopes)


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def _traffic(port, seconds):
    cmd = [sys.executable, os.path.join(_harness.BENCH_DIR, "_soakgen.py"), "--port", str(port),
           "--seconds", str(seconds), "--workers", str(WORKERS)]
    cpu = _net.client_cpu()
    if cpu is not None:
        cmd += ["--cpu", str(cpu)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc):
    try:
        return _net.read_msg(proc, "soak traffic")
    finally:
        _net.reap(proc)


def fd_kinds(pid):
    """What the server's fds are: {"PostgreSQL": n, "clients": n, "listening": n, "other": n}."""
    import psutil
    pg_port = int(os.environ["BENCH_SOAK_DSN"].rsplit(":", 1)[1].split("/")[0])
    out = {"PostgreSQL": 0, "clients": 0, "listening": 0, "other": fds(pid)}
    for c in psutil.Process(pid).net_connections(kind="inet"):
        kind = ("listening" if c.status == psutil.CONN_LISTEN else
                "PostgreSQL" if c.raddr and c.raddr.port == pg_port else "clients")
        out[kind] += 1
        out["other"] -= 1
    return out


def _idle_fds(pid, settle=10.0):
    """The server's fds once their count stops changing (connections closed), at most ``settle`` s:
    (count, fd_kinds)."""
    deadline = time.monotonic() + settle
    last = fds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = fds(pid)
        if now == last:
            break
        last = now
    return last, fd_kinds(pid)


def verdict(samples):
    """Slope, growth over the span and tolerance of the fds and the RSS of the fitted samples."""
    ts = [s["t"] for s in samples]
    span = ts[-1] - ts[0]
    out = {}
    for key, tol in (("fds", FD_TOLERANCE), ("rss", max(RSS_MIN, RSS_PER_10_MIN * span / 600))):
        ys = [s[key] for s in samples]
        slope = theil_sen(ts, ys)
        growth = slope * span
        out[key] = {"slope": slope, "growth": growth, "tolerance": tol, "first": ys[0], "last": ys[-1],
                    "ok": growth <= tol}
    return out


def run(seconds=SECONDS):
    """The soak: the record written to RESULTS.md, with "ok" and, if not ok, "problems"."""
    os.environ["BENCH_SOAK_DSN"] = pg_dsn()
    srv = _net.Server(os.path.abspath(__file__), "fasthub", "soak")
    try:
        _finish(_traffic(srv.port, 3))              # fill the pool, warm everything
        idle_before, kinds_before = _idle_fds(srv.pid)
        gen = _traffic(srv.port, seconds)
        t0 = time.monotonic()
        samples = []
        k = 0
        while gen.poll() is None and k * INTERVAL <= seconds:
            delay = t0 + k * INTERVAL - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if not srv.alive():
                raise AssertionError(f"the server died:\n{srv.stderr()}")
            samples.append({"t": time.monotonic() - t0, "fds": fds(srv.pid), "rss": _net.rss(srv.pid)})
            k += 1
        traffic = _finish(gen)
        idle_after, kinds_after = _idle_fds(srv.pid)
        if not srv.alive():
            raise AssertionError(f"the server died:\n{srv.stderr()}")
    except _harness.WorkerError as e:
        raise AssertionError(f"{e}\nserver stderr:\n{srv.stderr()}") from None
    finally:
        srv.stop()
    fitted = [s for s in samples if s["t"] >= WARMUP]
    if len(fitted) < 3:
        raise AssertionError(f"only {len(fitted)} samples after the warm-up: the traffic ended early")
    v = verdict(fitted)
    r = {"seconds": seconds, "interval": INTERVAL, "warmup": WARMUP, "samples": samples, "verdict": v,
         "traffic": dict(traffic["sessions"], requests=traffic["requests"]), "description": DESCRIPTION,
         "fds_idle_before": idle_before, "fds_idle_after": idle_after, "idle_tolerance": IDLE_TOLERANCE,
         "fd_kinds_before": kinds_before, "fd_kinds_after": kinds_after}
    problems = [f"{k} grew by {v[k]['growth']:,.0f} over {fitted[-1]['t'] - fitted[0]['t']:.0f} s "
                f"(tolerance {v[k]['tolerance']:,.0f})" for k in ("fds", "rss") if not v[k]["ok"]]
    if idle_after - idle_before > IDLE_TOLERANCE:
        problems.append(f"idle fd count {idle_before} before, {idle_after} after the soak "
                        f"({kinds_before} before, {kinds_after} after)")
    r["ok"] = not problems
    r["problems"] = problems
    return r


@pytest.mark.timeout(SECONDS + 300)
def test_soak(record):
    r = run()
    record(NAME, r)
    print(f"  soak: {r['traffic']}; fds {r['verdict']['fds']['first']} -> {r['verdict']['fds']['last']}, "
          f"RSS {r['verdict']['rss']['first'] >> 10} -> {r['verdict']['rss']['last'] >> 10} KiB; idle fds "
          f"{r['fds_idle_before']} -> {r['fds_idle_after']}")
    assert r["ok"], "the server's resources kept growing: " + "; ".join(r["problems"])
