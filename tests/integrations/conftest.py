"""Fixtures for the integration tests: the services started by scripts/services.sh (see
integ_support.py for how a missing one fails under CI and skips elsewhere)."""

import pytest

from integ_support import service


@pytest.fixture
def pg_dsn():
    return service("FASTHUB_TEST_PG_DSN", "PostgreSQL")


@pytest.fixture
def redis_url():
    return service("FASTHUB_TEST_REDIS_URL", "Redis")


@pytest.fixture
def mysql_url():
    return service("FASTHUB_TEST_MYSQL_URL", "MariaDB")


@pytest.fixture
def backend(hub):
    """The readiness backend of this test's hub: pass it to run_python(backend=...) so a child
    process runs on the same one (every test runs once per backend)."""
    return hub.backend
