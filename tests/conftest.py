"""Every test runs on a fresh hub, once per readiness backend, and fails if the hub reported an
exception the test did not claim with the ``hub_errors`` fixture."""

import sys

import pytest

from fasthub.core._hub import Hub, set_hub, _drop_hub

BACKENDS = ["epoll", "poll"] if sys.platform.startswith("linux") else ["kqueue", "poll"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "one_backend: the test does not depend on the readiness backend; run it once")


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


@pytest.fixture(params=BACKENDS, autouse=True)
def hub(request):
    h = Hub(request.param)
    set_hub(h)
    errors = HubErrors()
    h.error_handler = errors
    request.node._hub_errors = errors
    yield h
    _drop_hub()
    h.destroy()
    if errors.errors:
        pytest.fail(f"the hub reported unexpected exceptions: {errors.errors!r}")


@pytest.fixture
def hub_errors(request, hub):
    """The list of exceptions the hub reported in this test; call take() to claim them."""
    return request.node._hub_errors
