"""WSGI app for the gunicorn worker tests: /sleep/<seconds> sleeps (green under the worker's
monkey_patch) and answers with the worker pid and the client port; / answers hello."""

import os
import time


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path.startswith("/sleep/"):
        time.sleep(float(path.rsplit("/", 1)[1]))
    body = f"{os.getpid()} {environ.get('REMOTE_PORT')} {path}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
