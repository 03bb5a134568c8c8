"""Fixtures shared by the application corpus: the slow REST API every app calls out to (one fasthub
process for the whole session) and the PostgreSQL of scripts/services.sh."""

import pathlib

import pytest

from apps_support import serve, service
from integ_support import mark_items

HERE = pathlib.Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    # Every app test exercises third-party frameworks; those using pg_dsn also need a service.
    mark_items(items, HERE, frameworks=True)


@pytest.fixture(scope="session")
def slow_api():
    """Base URL of slow_api.py served by ``python -m fasthub.wsgi`` (one process): GET
    /items/<n>?delay=s answers after s seconds."""
    for served in serve("cli", "slow_api:app", workers=1):
        yield served.url


@pytest.fixture(scope="session")
def pg_dsn():
    return service("FASTHUB_TEST_PG_DSN", "PostgreSQL")   # marked `services` by mark_items
