"""``celery -P eventlet`` on fasthub's eventlet alias: celery's own eventlet pool, started with
``python -m fasthub --eventlet -m celery ... worker -P eventlet``, runs tasks as green threads."""

import time

import pytest

from test_celery import Worker


@pytest.fixture
def eventlet_worker(redis_url, backend):
    w = Worker(redis_url, backend, "python -m fasthub --eventlet")
    yield w
    w.stop()


@pytest.mark.slow
@pytest.mark.one_backend
def test_celery_eventlet_pool_on_the_alias(eventlet_worker):
    worker = eventlet_worker
    assert "eventlet" in worker.output().lower(), worker.output()
    nap = worker.app.nap
    t0 = time.monotonic()
    results = [nap.delay(0.5, i) for i in range(50)]
    values = [r.get(timeout=30) for r in results]
    elapsed = time.monotonic() - t0
    assert [v[0] for v in values] == list(range(50))
    # eventlet.monkey_patch() under the alias installs its GreenSocket, a fasthub green socket.
    assert {v[2] for v in values} == {"fasthub.compat.eventlet.greenio"}, values[:3]
    assert elapsed < 6.0, f"50 tasks of 0.5 s took {elapsed:.1f}s: not concurrent\n{worker.output()}"
    with pytest.raises(ValueError, match="as planned"):
        worker.app.fail.delay().get(timeout=20)
