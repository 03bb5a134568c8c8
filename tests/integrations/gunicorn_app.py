"""WSGI app for the gunicorn worker tests: /sleep/<seconds> sleeps (green under the worker's
monkey_patch), /block/<seconds> blocks the whole process (the unpatched sleep, like CPU-bound code),
/takeover speaks an echo protocol on environ['gunicorn.socket'];
every answer carries the worker pid, the client port and the path."""

import os
import time

from fasthub.patcher import get_original

_blocking_sleep = get_original("time", "sleep")   # the real one: holds the whole worker process


def takeover(environ):
    # What simple-websocket (Flask-SocketIO's WebSocket transport) does under gunicorn: take the
    # connection over through environ['gunicorn.socket'], speak another protocol on it with
    # blocking calls, then raise StopIteration so the worker closes the connection quietly.
    sock = environ["gunicorn.socket"]
    sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n"
                 b"X-Timeout: %s\r\n\r\n" % str(sock.gettimeout()).encode())
    data = sock.recv(100)   # blocks (greenly) until the client speaks
    sock.sendall(data.upper())
    raise StopIteration()


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/takeover":
        takeover(environ)
    if path.startswith("/sleep/"):
        time.sleep(float(path.rsplit("/", 1)[1]))
    elif path.startswith("/block/"):
        _blocking_sleep(float(path.rsplit("/", 1)[1]))
    body = f"{os.getpid()} {environ.get('REMOTE_PORT')} {path}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
