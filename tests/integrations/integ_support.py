"""Helpers for the integration tests: real services (PostgreSQL, Redis, MariaDB started by
scripts/services.sh) and real third-party packages.

A missing service or package FAILS the test, with a message that names it and says how to get it
(`make test` installs the packages and starts the services, so absence is a bug there). The only way to
run without one is to exclude it explicitly: FASTHUB_TEST_EXCLUDE=postgresql,redis,mariadb (or a
package name) skips the tests that need it, each saying so.
"""

import os
import socket
import subprocess
import sys
import textwrap
import urllib.parse

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXCLUDED = {x.strip().lower() for x in os.environ.get("FASTHUB_TEST_EXCLUDE", "").split(",") if x.strip()}

# The defaults are scripts/services.sh's, so `scripts/services.sh start` then plain pytest works too.
DEFAULTS = {
    "FASTHUB_TEST_PG_DSN": "postgresql://fasthub:fasthub@127.0.0.1:54329/fasthub_test",
    "FASTHUB_TEST_REDIS_URL": "redis://127.0.0.1:63799/0",
    "FASTHUB_TEST_MYSQL_URL": "mysql://fasthub:fasthub@127.0.0.1:33069/fasthub_test",
}
# What FASTHUB_TEST_EXCLUDE calls each service.
SERVICE_NAMES = {"FASTHUB_TEST_PG_DSN": "postgresql", "FASTHUB_TEST_REDIS_URL": "redis",
                 "FASTHUB_TEST_MYSQL_URL": "mariadb"}


def unavailable(reason, name):
    """Fail the test (naming what is missing), or skip it if FASTHUB_TEST_EXCLUDE names ``name``."""
    if name.lower() in EXCLUDED:
        pytest.skip(f"{name} excluded by FASTHUB_TEST_EXCLUDE: {reason}")
    pytest.fail(f"{reason} (or exclude it explicitly: FASTHUB_TEST_EXCLUDE={name})", pytrace=False)


def need(module):
    """Import a third-party test dependency or fail/skip saying how to install it."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        unavailable(f"{module} is not installed ({exc}); install the integration test dependencies "
                    f"into the venv (make test does)", module.split(".")[0])


def _service(env_name, what):
    url = os.environ.get(env_name) or DEFAULTS[env_name]
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=3).close()
    except OSError as exc:
        unavailable(f"{what} is not reachable at {parts.hostname}:{parts.port} ({exc}); "
                    f"start it with `eval \"$(scripts/services.sh start)\"` (make test does)",
                    SERVICE_NAMES[env_name])
    return url


def service(env_name, what):
    """The URL of a service from scripts/services.sh, after checking it accepts connections."""
    return _service(env_name, what)


def run_python(code, *, env=None, timeout=60, args=(), cwd=None, backend=None):
    """Run ``code`` in a fresh interpreter (monkey_patch is process-wide); return its stdout.

    ``backend``: run the child's hub on that readiness backend ('epoll', 'poll' ...). Fails the test
    with the child's output if it exits non-zero or outlives ``timeout``.
    """
    code = textwrap.dedent(code)
    if backend is not None:
        env = dict(env or {}, FASTHUB_BACKEND=backend)   # read by fasthub.Hub()
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (os.path.join(ROOT, "src"), os.path.join(ROOT, "tests", "integrations"),
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
