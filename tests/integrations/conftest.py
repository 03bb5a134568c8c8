"""Fixtures for the integration tests: the services started by scripts/services.sh (a missing one fails
the test naming it; see integ_support.py), and the `services` / `frameworks` markers on these tests."""

import pathlib

import pytest

from integ_support import mark_items, service

HERE = pathlib.Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    # Called with every collected item, not only this directory's: mark_items keeps to HERE.
    mark_items(items, HERE)


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
