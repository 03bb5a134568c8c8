"""WSGI app for the gunicorn worker tests: /sleep/<seconds> sleeps (green under the worker's
monkey_patch), /block/<seconds> blocks the whole process (the unpatched sleep, like CPU-bound code);
every answer carries the worker pid, the client port and the path."""

import os
import time

from fasthub.patcher import get_original

_blocking_sleep = get_original("time", "sleep")   # the real one: holds the whole worker process


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path.startswith("/sleep/"):
        time.sleep(float(path.rsplit("/", 1)[1]))
    elif path.startswith("/block/"):
        _blocking_sleep(float(path.rsplit("/", 1)[1]))
    body = f"{os.getpid()} {environ.get('REMOTE_PORT')} {path}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
