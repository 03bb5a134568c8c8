"""Every test runs on a fresh hub, once per readiness backend, and fails if the hub reported an
exception the test did not claim with the ``hub_errors`` fixture, or if it left anything behind in a
hub (parked green threads, timers, fd waiters, busy workers, queued callbacks, the hub of a thread it
did not join: see tests/leakcheck.py). ``@pytest.mark.leaks_allowed("why")`` exempts a test whose point
is the leak; a test that failed is not checked for leaks (its failure is the news).

FASTHUB_SKIP_SERVICES=1 is the one opt-out of the strict run, for places that cannot start the databases
of scripts/services.sh (the wheel jobs): tests marked ``services`` are skipped, each naming what it needs,
and the end of the summary says the run skipped them. Anywhere else a missing service fails its tests."""

import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fasthub.core._hub import Hub, set_hub, _drop_hub

from leakcheck import Snapshot

BACKENDS = ["epoll", "poll"] if sys.platform.startswith("linux") else ["kqueue", "poll"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "one_backend: the test does not depend on the readiness backend; run it once")
    config.addinivalue_line(
        "markers", "leaks_allowed(reason): the test leaves things in a hub on purpose (the leak is its "
                   "point); the after-test leak check (tests/leakcheck.py) skips it. Give the reason.")
    value = os.environ.get("FASTHUB_SKIP_SERVICES", "")
    if value not in ("", "0", "1"):
        raise pytest.UsageError(f"FASTHUB_SKIP_SERVICES={value!r}: set it to 1 to skip the tests that "
                                f"need scripts/services.sh's databases, or leave it unset")
    config._fasthub_skip_services = value == "1"
    config._fasthub_skipped_services = []


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("services")
    if marker is not None and item.config._fasthub_skip_services:
        item.config._fasthub_skipped_services.append(item.nodeid)
        pytest.skip(f"FASTHUB_SKIP_SERVICES=1: needs {', '.join(marker.args) or 'a service'} "
                    f"(scripts/services.sh)")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not config._fasthub_skip_services:
        return
    skipped = config._fasthub_skipped_services
    terminalreporter.write_sep("=", "FASTHUB_SKIP_SERVICES=1", yellow=True, bold=True)
    terminalreporter.write_line(
        f"{len(skipped)} test(s) that need PostgreSQL, Redis or MariaDB were skipped, not run: this is "
        f"not a full run (`make test` starts scripts/services.sh and runs them).")


def pytest_collection_modifyitems(config, items):
    # Tests marked one_backend run with the first backend only; the other runs are deselected (not
    # skipped), so the summary stays readable.
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        param = callspec.params.get("hub") if callspec is not None else None
        if item.get_closest_marker("one_backend") and param not in (None, BACKENDS[0]):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class HubErrors:
    """Exceptions the hub reported during a test; take() claims them so the test does not fail."""

    def __init__(self):
        self.errors = []

    def __call__(self, context, exc_type, exc, tb):
        self.errors.append((context, exc))

    def take(self):
        errors, self.errors = self.errors, []
        return errors


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Remember whether the test itself failed: the leak check does not pile onto a failure.
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item._fasthub_call_failed = report.failed


def _leaks_allowed(item):
    marker = item.get_closest_marker("leaks_allowed")
    if marker is None:
        return False
    reason = marker.args[0] if marker.args else marker.kwargs.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        pytest.fail("@pytest.mark.leaks_allowed needs a reason: @pytest.mark.leaks_allowed(\"why the "
                    "leak is the point of this test\")", pytrace=False)
    return True


@pytest.fixture(params=BACKENDS, autouse=True)
def hub(request):
    h = Hub(request.param)
    set_hub(h)
    errors = HubErrors()
    h.error_handler = errors
    request.node._hub_errors = errors
    allowed = _leaks_allowed(request.node)
    snapshot = Snapshot(h)
    yield h
    leaks = None
    if not allowed and not getattr(request.node, "_fasthub_call_failed", False):
        leaks = snapshot.check()
    _drop_hub()
    h.destroy()
    if errors.errors:
        pytest.fail(f"the hub reported unexpected exceptions: {errors.errors!r}")
    if leaks:
        pytest.fail(leaks, pytrace=False)


@pytest.fixture
def hub_errors(request, hub):
    """The list of exceptions the hub reported in this test; call take() to claim them."""
    return request.node._hub_errors


@pytest.fixture
def load_script():
    """A function loading a script that is not in a package (a test runner such as
    tests/stdlib/run.py) as a module: load_script(path, name) -> module."""
    def load(path, name):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load


class _SlowHTTPHandler(BaseHTTPRequestHandler):
    """GET answered after 0.3 s by a real OS-thread server (its sleep is not green), so clients
    that wait concurrently finish in about 0.3 s and ones that wait in turn take n * 0.3 s.
    /feed<x>: an RSS document titled 'feed <x>'; /missing: 404 at once; any other path: 'page
    <path>'. Every answer sets a cookie (seen=yes)."""

    def do_GET(self):
        if self.path == "/missing":
            self.send_error(404)
            return
        time.sleep(0.3)
        if self.path.startswith("/feed"):
            body = f"<rss><channel><title>feed {self.path[5:]}</title></channel></rss>".encode()
        else:
            body = f"page {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "seen=yes; Path=/")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_http_site():
    """The base URL (http://127.0.0.1:port) of a slow HTTP server (see _SlowHTTPHandler)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHTTPHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(10)


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """A directory with a test CA (ca.pem), a certificate for localhost/127.0.0.1 (server.pem,
    server.key) and one for other.test (other.pem, other.key), made with the openssl CLI."""
    if shutil.which("openssl") is None:
        pytest.fail("making test certificates needs the openssl CLI (apt-get install openssl)")
    d = tmp_path_factory.mktemp("certs")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
             "-subj", "/CN=fasthub test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    for name, san in (("server", "DNS:localhost,IP:127.0.0.1"), ("other", "DNS:other.test")):
        (d / f"{name}.ext").write_text(
            f"subjectAltName={san}\nbasicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "3650",
                 "-extfile", f"{name}.ext", cwd=d)
    return d
