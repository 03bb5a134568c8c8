"""The suite is strict about what it could not run: a test whose service is down fails naming the
service; FASTHUB_SKIP_SERVICES=1 (the one opt-out, for the wheel jobs) skips the tests marked `services`
and the summary says so. Each case runs pytest on the PostgreSQL tests in a child process, pointed at a
port where nothing listens."""

import os
import socket
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join("tests", "integrations", "test_psycopg.py")

pytestmark = pytest.mark.one_backend


@pytest.fixture
def dead_dsn():
    # A bound socket that never listens: connecting to its port is refused for as long as we hold it.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    yield f"postgresql://fasthub:fasthub@127.0.0.1:{s.getsockname()[1]}/fasthub_test"
    s.close()


def run_pytest(dsn, **env):
    full = {k: v for k, v in os.environ.items() if k != "FASTHUB_SKIP_SERVICES"}
    full.update(env, FASTHUB_TEST_PG_DSN=dsn)
    return subprocess.run([sys.executable, "-m", "pytest", TARGET, "-q", "-m", "services", "-p", "no:randomly",
                           "-k", "epoll"], cwd=ROOT, env=full, capture_output=True, text=True, timeout=100)


def test_a_service_that_is_down_fails_its_tests_naming_it(dead_dsn):
    proc = run_pytest(dead_dsn)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "PostgreSQL is not reachable" in proc.stdout
    assert " passed" not in proc.stdout.splitlines()[-1] and "skipped" not in proc.stdout.splitlines()[-1]


def test_skip_services_skips_the_marked_tests_and_the_summary_says_so(dead_dsn):
    proc = run_pytest(dead_dsn, FASTHUB_SKIP_SERVICES="1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.splitlines()[-1]
    assert "skipped" in last and "passed" not in last and "failed" not in last, last
    assert "FASTHUB_SKIP_SERVICES=1: needs PostgreSQL" in proc.stdout
    skipped = int(last.split(" skipped")[0].split()[-1])
    assert f"{skipped} test(s) that need PostgreSQL, Redis or MariaDB were skipped, not run" in proc.stdout


def test_skip_services_takes_only_1(dead_dsn):
    proc = run_pytest(dead_dsn, FASTHUB_SKIP_SERVICES="yes")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "FASTHUB_SKIP_SERVICES='yes'" in proc.stderr
