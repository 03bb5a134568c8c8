"""Celery app for the fasthub.celery tests: Redis broker and result backend from the environment,
one queue per test run (FASTHUB_TEST_CELERY_QUEUE) so stray workers never take our tasks."""

import os
import socket
import time

from celery import Celery

URL = os.environ.get("FASTHUB_TEST_REDIS_URL", "redis://127.0.0.1:63799/0")
app = Celery("celery_proj", broker=URL, backend=URL)
app.conf.update(
    task_default_queue=os.environ.get("FASTHUB_TEST_CELERY_QUEUE", "fasthub-test"),
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    worker_prefetch_multiplier=4,
    result_expires=300,
)
if os.environ.get("FASTHUB_TEST_CELERY_POOL_SETTING"):
    app.conf.worker_pool = os.environ["FASTHUB_TEST_CELERY_POOL_SETTING"]


@app.task
def nap(seconds, tag):
    """Sleeps with time.sleep (green in the worker), returns the tag, pid and socket class."""
    time.sleep(seconds)
    return [tag, os.getpid(), socket.socket.__module__]


@app.task
def fail():
    raise ValueError("as planned")
