"""Helpers for the application corpus: start an app in child processes one of three ways, learn its
port from the start-up line, and drive it from OS threads.

A missing framework or service fails the test naming it (tests/integrations/integ_support.py); only
FASTHUB_SKIP_SERVICES=1 skips the tests marked ``services``, saying so. The three ways a user serves a WSGI app with fasthub:

- ``"wsgi.server"``: ``serve_patched.py`` (monkey_patch(), then ``fasthub.wsgi.server(sock, app)``,
  eventlet's in-process style), one process;
- ``"cli"``: ``python -m fasthub.wsgi module:app --workers N --bind 127.0.0.1:0``;
- ``"gunicorn"``: ``gunicorn -k fasthub.gunicorn.Worker -w N module:app``.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# One policy for missing packages and services (fail naming them; FASTHUB_SKIP_SERVICES=1 skips the
# `services` tests): the integration suite's.
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integrations"))
from integ_support import need, run_python, service   # noqa: E402  (re-exported for the tests)

WAYS = ("wsgi.server", "cli", "gunicorn")

# The address every start-up line names once the app is listening (each way prints its own).
_LISTENING = {
    "wsgi.server": re.compile(r"serve_patched: listening on 127\.0\.0\.1:(\d+)"),
    "cli": re.compile(r"fasthub\.wsgi: serving \S+ on http://127\.0\.0\.1:(\d+)/"),
    "gunicorn": re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)"),
}


def child_env(extra=None):
    """The environment of an app process: tests/apps importable, the caller's extra variables (a
    PYTHONPATH among them goes first on the path)."""
    extra = dict(extra or {})
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (extra.pop("PYTHONPATH", None), HERE, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def _gunicorn_argv(spec, workers):
    gunicorn_config = need("gunicorn.config")
    argv = [sys.executable, "-m", "gunicorn", "-k", "fasthub.gunicorn.Worker", "-w", str(workers),
            "-b", "127.0.0.1:0", "--graceful-timeout", "3", "--log-level", "info"]
    if any(getattr(s, "name", "") == "control_socket_disable"
           for s in gunicorn_config.KNOWN_SETTINGS):
        argv.append("--no-control-socket")   # gunicorn >= 24 would open ~/.gunicorn/gunicorn.ctl
    return argv + [spec]


class Served:
    """``spec`` (module:app in tests/apps) served ``way`` in child processes on 127.0.0.1.

    ``url`` is its base URL once it answers ``ready_path`` with a status below 500. ``output()``
    is everything the processes printed; ``stop()`` ends them (SIGTERM, then SIGKILL).
    """

    def __init__(self, way, spec, *, workers=2, env=None, ready_path="/", start_timeout=60):
        if way not in WAYS:
            raise ValueError(f"way must be one of {WAYS}, not {way!r}")
        self.way = way
        self.spec = spec
        if way == "wsgi.server":
            workers = 1
            argv = [sys.executable, os.path.join(HERE, "serve_patched.py"), spec]
        elif way == "cli":
            argv = [sys.executable, "-m", "fasthub.wsgi", spec, "--bind", "127.0.0.1:0",
                    "--graceful-timeout", "3"]
            if workers > 1:
                argv += ["--workers", str(workers)]
        else:
            argv = _gunicorn_argv(spec, workers)
        self.workers = workers
        self._log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(argv, cwd=HERE, env=child_env(env), stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.port = self._wait_ready(ready_path, start_timeout)
        except BaseException:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{self.port}"

    def __repr__(self):
        return f"<{self.spec} via {self.way}, {self.workers} worker(s)>"

    def output(self):
        self._log.seek(0)
        return self._log.read()

    def _wait_ready(self, path, timeout):
        deadline = time.monotonic() + timeout
        port = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self!r} exited with {self.proc.returncode} before serving:\n"
                            f"{self.output()}", pytrace=False)
            if port is None:
                m = _LISTENING[self.way].search(self.output())
                port = int(m.group(1)) if m else None
            if port is not None and self._answers(port, path):
                if self.way == "gunicorn":
                    # Every worker boots before the test measures anything across them.
                    while self.output().count("Booting worker") < self.workers:
                        if time.monotonic() > deadline:
                            break
                        time.sleep(0.05)
                return port
            time.sleep(0.05)
        pytest.fail(f"{self!r} did not answer GET {path} within {timeout}s:\n{self.output()}",
                    pytrace=False)

    @staticmethod
    def _answers(port, path):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", path)
            return conn.getresponse().status < 500
        except OSError:
            return False   # not listening yet (the CLI reserves the port before workers listen)
        finally:
            conn.close()

    def stop(self):
        """SIGTERM to the main process (a graceful stop, as in production), then SIGKILL to its
        process group after 15 s or to whatever it left behind; returns the output."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        out = self.output()
        self._log.close()
        return out


def serve(way, spec, **kwargs):
    """A generator for module-scoped fixtures: yields a Served, stops it, and fails the module's last
    test if the app logged a traceback (an app error a test did not provoke is a bug)."""
    served = Served(way, spec, **kwargs)
    try:
        yield served
    finally:
        out = served.stop()
    if "Traceback (most recent call last)" in out:
        pytest.fail(f"{served!r} logged a traceback:\n{out}", pytrace=False)


def concurrently(fn, n):
    """Call ``fn(i)`` for i in range(n) from n OS threads at once; return (results, seconds)."""
    with ThreadPoolExecutor(n) as ex:
        t0 = time.monotonic()
        results = list(ex.map(fn, range(n)))
        return results, time.monotonic() - t0
