"""gunicorn -k fasthub.gunicorn.Worker, end to end: a real gunicorn arbiter and worker on 127.0.0.1,
driven by plain blocking clients in OS threads."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from integ_support import need

HERE = os.path.dirname(os.path.abspath(__file__))


class Gunicorn:
    def __init__(self, *options, backend=None):
        gunicorn = need("gunicorn")
        need("gunicorn.config")
        args = [sys.executable, "-m", "gunicorn", "-k", "fasthub.gunicorn.Worker", "-w", "1",
                "-b", "127.0.0.1:0", "--log-level", "info", *options]
        if any(getattr(s, "name", "") == "control_socket_disable"
               for s in gunicorn.config.KNOWN_SETTINGS):
            args.append("--no-control-socket")   # gunicorn >= 24 opens ~/.gunicorn/gunicorn.ctl
        args.append("gunicorn_app:app")
        self.log = tempfile.TemporaryFile(mode="w+")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [os.path.join(os.path.dirname(os.path.dirname(HERE)), "src"), HERE]))
        if backend:
            env["FASTHUB_BACKEND"] = backend   # the worker's hub runs on this test's backend
        self.proc = subprocess.Popen(args, cwd=HERE, env=env, stdout=self.log, stderr=self.log)
        self.port = self._wait_listening()

    def _wait_listening(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.output())
            if m and "Booting worker" in self.output():
                port = int(m.group(1))
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    time.sleep(0.2)   # the worker process imports and starts serving
                    return port
                except OSError:
                    pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"gunicorn did not start:\n{self.output()}")

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def get(self, path, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def server():
    g = Gunicorn("--worker-connections", "10", "--keep-alive", "1", "--graceful-timeout", "5")
    yield g
    g.stop()


def parallel_get(server, paths):
    with ThreadPoolExecutor(len(paths)) as ex:
        t0 = time.monotonic()
        results = list(ex.map(server.get, paths))
        return results, time.monotonic() - t0


def test_serves_concurrently_up_to_worker_connections(server):
    # 30 requests of 0.3 s on one worker limited to 10 connections: 3 rounds (about 0.9 s).
    # Serially they would take 9 s; unlimited, 0.3 s.
    paths = [f"/sleep/0.3?{i}" for i in range(30)]
    results, elapsed = parallel_get(server, paths)
    assert all(status == 200 for status, _ in results)
    assert {body.split()[2] for _, body in results} == {"/sleep/0.3"}
    assert len({body.split()[0] for _, body in results}) == 1   # all from the one worker
    assert 0.85 <= elapsed < 4.0, elapsed


def test_gunicorn_socket_is_handed_over_with_blocking_semantics(server):
    # Regression: environ['gunicorn.socket'] was missing; simple-websocket looks there first.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as c:
        c.sendall(b"GET /takeover HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            byte = c.recv(1)
            assert byte, f"connection closed after {head!r}"
            head += byte
        assert head.startswith(b"HTTP/1.1 101 "), head
        assert b"X-Timeout: None\r\n" in head, head
        time.sleep(0.1)   # the app is parked in recv() by now
        c.sendall(b"ping")
        data = b""
        while True:
            d = c.recv(100)
            if not d:
                break
            data += d
        assert data == b"PING"   # then closed quietly: no 500 response after the app's StopIteration
    assert "Error handling request" not in server.output() and "Traceback" not in server.output()
    assert "fasthub: monkey_patch() applied in worker" in server.output()


def test_keep_alive_reuses_and_then_closes_idle_connections(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        ports = set()
        for _ in range(3):
            conn.request("GET", "/")
            resp = conn.getresponse()
            assert resp.status == 200
            ports.add(resp.read().decode().split()[1])
        assert len(ports) == 1, "three requests should share one keep-alive connection"
        # --keep-alive 1: the server closes the idle connection after about a second.
        sock = conn.sock
        sock.settimeout(5)
        t0 = time.monotonic()
        assert sock.recv(1) == b""
        assert 0.5 <= time.monotonic() - t0 < 4.0
    finally:
        conn.close()


@pytest.mark.slow
def test_sigterm_finishes_requests_in_flight_within_graceful_timeout(backend):
    g = Gunicorn("--graceful-timeout", "2", backend=backend)
    try:
        with ThreadPoolExecutor(4) as ex:
            short = [ex.submit(g.get, f"/sleep/1.0?{i}") for i in range(3)]
            too_long = ex.submit(g.get, "/sleep/30")
            time.sleep(0.4)
            t0 = time.monotonic()
            g.proc.send_signal(signal.SIGTERM)
            # Requests in flight finish normally...
            assert [f.result()[0] for f in short] == [200, 200, 200]
            # ...new connections are refused once the worker closed its listener...
            time.sleep(0.1)
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", g.port), timeout=1).close()
            # ...and what outlives --graceful-timeout is cut, not waited for.
            with pytest.raises((http.client.HTTPException, OSError)):
                too_long.result()
            assert g.proc.wait(10) == 0
            assert 1.0 <= time.monotonic() - t0 < 5.0
    finally:
        g.stop()


def _pid_changes(g, old_pid, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, body = g.get("/", timeout=5)
        except OSError:
            time.sleep(0.1)   # between the old worker leaving and the new one listening
            continue
        assert status == 200
        if body.split()[0] != old_pid:
            return body.split()[0]
    pytest.fail(f"the worker was not replaced:\n{g.output()}")


@pytest.mark.slow
def test_worker_is_replaced_after_max_requests_and_when_it_blocks(backend):
    g = Gunicorn("--max-requests", "3", "--timeout", "1", "--graceful-timeout", "5", backend=backend)
    try:
        # --max-requests 3: the worker serves three requests, then a new worker takes over.
        pids = [g.get("/")[1].split()[0] for _ in range(3)]
        assert len(set(pids)) == 1
        second = _pid_changes(g, pids[0])
        # --timeout 1: a request that blocks the hub (no heartbeat) gets the worker killed and
        # replaced by the arbiter, well before the 8 s block would end.
        t0 = time.monotonic()
        with pytest.raises((http.client.HTTPException, OSError)):
            g.get("/block/8", timeout=12)
        assert time.monotonic() - t0 < 6.0
        _pid_changes(g, second)
        assert "WORKER TIMEOUT" in g.output()
    finally:
        g.stop()
