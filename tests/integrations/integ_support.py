"""Helpers for the integration tests: real services (PostgreSQL, Redis, MariaDB started by
scripts/services.sh) and real third-party packages.

A missing service or package FAILS the test, with a message that names it and says how to get it
(`make test` installs the packages and starts the services, so absence is a bug there). The one opt-out
is for environments that cannot run the services at all (the wheel jobs): FASTHUB_SKIP_SERVICES=1 skips
the tests marked ``services`` (tests/conftest.py), each saying why, and the summary says so.
``mark_items`` puts the markers on: ``services`` on tests that use a service fixture, ``frameworks`` on
tests whose module imports ``need`` (they exercise third-party packages of the ``test`` extra).
"""

import os
import socket
import subprocess
import sys
import textwrap
import urllib.parse

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The defaults are scripts/services.sh's, so `scripts/services.sh start` then plain pytest works too.
DEFAULTS = {
    "FASTHUB_TEST_PG_DSN": "postgresql://fasthub:fasthub@127.0.0.1:54329/fasthub_test",
    "FASTHUB_TEST_REDIS_URL": "redis://127.0.0.1:63799/0",
    "FASTHUB_TEST_MYSQL_URL": "mysql://fasthub:fasthub@127.0.0.1:33069/fasthub_test",
}
# The fixtures (tests/integrations/conftest.py) that hand a test a service, and the service's name.
SERVICE_FIXTURES = {"pg_dsn": "PostgreSQL", "redis_url": "Redis", "mysql_url": "MariaDB"}


def mark_items(items, directory, frameworks=None):
    """Mark the tests collected from ``directory``: ``services(name, ...)`` on those using a service
    fixture, ``frameworks`` on those whose module imports ``need`` (or all of them if ``frameworks``)."""
    for item in items:
        if directory not in item.path.parents:
            continue
        names = [SERVICE_FIXTURES[f] for f in getattr(item, "fixturenames", ()) if f in SERVICE_FIXTURES]
        if names:
            item.add_marker(pytest.mark.services(*names))
        module = getattr(item, "module", None)
        if frameworks or (frameworks is None and getattr(module, "need", None) is need):
            item.add_marker(pytest.mark.frameworks)


def need(module):
    """Import a third-party test dependency, or fail the test saying how to install it."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        pytest.fail(f"{module} is not installed ({exc}); install the test dependencies into the venv "
                    f"(make test does; pip install 'fasthub[test]' elsewhere)", pytrace=False)


def service(env_name, what):
    """The URL of a service from scripts/services.sh, after checking it accepts connections; fails
    the test naming the service if it does not."""
    url = os.environ.get(env_name) or DEFAULTS[env_name]
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=3).close()
    except OSError as exc:
        pytest.fail(f"{what} is not reachable at {parts.hostname}:{parts.port} ({exc}); start it with "
                    f"`eval \"$(scripts/services.sh start)\"` (make test does). Without any services, "
                    f"FASTHUB_SKIP_SERVICES=1 skips the tests marked `services`.", pytrace=False)
    return url


def run_python(code, *, env=None, timeout=60, args=(), cwd=None, backend=None):
    """Run ``code`` in a fresh interpreter (monkey_patch is process-wide); return its stdout.

    When ``code`` runs to its end, the child checks that nothing is left in its hubs, as every test
    is checked (tests/leakcheck.py), and exits with status 3 naming what is left if anything is.

    ``backend``: run the child's hub on that readiness backend ('epoll', 'poll' ...). Fails the test
    with the child's output if it exits non-zero or outlives ``timeout``.
    """
    code = textwrap.dedent(code)
    # A child that runs to its end must leave nothing in its hubs either (tests/leakcheck.py).
    code += "\n\nimport leakcheck\nleakcheck.check_process()\n"
    if backend is not None:
        env = dict(env or {}, FASTHUB_BACKEND=backend)   # read by fasthub.Hub()
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (os.path.join(ROOT, "src"), os.path.join(ROOT, "tests", "integrations"),
                    os.path.join(ROOT, "tests"),
                    full_env.get("PYTHONPATH")) if p)
    full_env.update(env or {})
    try:
        proc = subprocess.run([sys.executable, "-X", "faulthandler", "-c", code, *args],
                              env=full_env, cwd=cwd or ROOT, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"child python timed out after {timeout}s\nstdout:\n{exc.stdout}\nstderr:\n{exc.stderr}")
    if proc.returncode != 0:
        pytest.fail(f"child python exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc.stdout
