"""A fast HTTP/1.1 WSGI server (PEP 3333) on fasthub green threads, eventlet- and gevent-compatible.

``fasthub.wsgi.server(sock, app)`` is ``eventlet.wsgi.server``; ``WSGIServer(listener, app)`` is
``gevent.pywsgi.WSGIServer``. One green thread serves each connection: keep-alive, pipelining,
chunked request and response bodies, ``Expect: 100-continue``, HEAD, streaming ``wsgi.input``,
``wsgi.file_wrapper`` with sendfile(2), TLS, graceful stop, and limits/timeouts against hostile
clients (see ``WSGIServer``). Run from a shell with ``python -m fasthub.wsgi module:app``.

Environ keys beyond PEP 3333, for code written against eventlet: ``eventlet.input`` (the same
object as ``wsgi.input``; its ``get_socket()`` hands the connection's green socket to the app, which
is how python-engineio/Flask-SocketIO's eventlet mode and fasthub.websocket take over a
connection), ``eventlet.posthooks`` (a list of ``(fn, args, kwargs)`` called with
``fn(environ, *args, **kwargs)`` after the response is sent), ``RAW_PATH_INFO`` (the path before
percent-decoding), ``REQUEST_URI`` and ``RAW_URI`` (the request target as sent, as werkzeug and
gunicorn give it: ``GET /a? HTTP/1.1`` keeps its ``?`` there), ``REMOTE_PORT``, ``wsgi.input_terminated`` (True: reading past the body returns
b'' even for chunked bodies). Also ``fasthub.input`` (same object) and ``fasthub.server``.

Why it is fast and light: the request path is compiled (``_conn``: read, parse, environ,
start_response, headers, send); llhttp parses in C (``_http``, through httptools); the environ is
one dict copy of the server's constants plus the request's own keys; a response with a known length
(a list body) goes out in one send() with headers and body together; socket calls go straight to
the kernel and park in the hub only on EAGAIN. An idle keep-alive connection holds no green thread,
no parser and no buffer: a reader callback in the hub wakes it when its next request arrives.
"""

import logging
import sys
import traceback

from fasthub.web.server import StreamServer
from fasthub.web.wsgi._conn import (ALREADY_HANDLED, BadRequestBody, ClientDisconnected, FileWrapper,
                                    Input, Protocol)

__all__ = ["server", "WSGIServer", "FileWrapper", "Input", "ALREADY_HANDLED", "DEFAULT_LOG_FORMAT",
           "ClientDisconnected", "BadRequestBody", "MAX_REQUEST_LINE", "MAX_HEADER_LINE",
           "MAX_TOTAL_HEADER_SIZE", "DEFAULT_MAX_SIMULTANEOUS_REQUESTS"]

#: Longest request line (method + target + version) accepted; longer gets 414 (eventlet's name).
MAX_REQUEST_LINE = 8192
#: Longest single header line (eventlet's name); headers past MAX_TOTAL_HEADER_SIZE get 431.
MAX_HEADER_LINE = 8192
MAX_TOTAL_HEADER_SIZE = 65536
MAX_HEADERS = 100
DEFAULT_MAX_SIMULTANEOUS_REQUESTS = 1024
DEFAULT_MAX_HTTP_VERSION = "HTTP/1.1"
#: eventlet's access log format; keys: client_ip, client_port, date_time, request_line,
#: status_code, body_length, wall_seconds.
DEFAULT_LOG_FORMAT = ('%(client_ip)s - - [%(date_time)s] "%(request_line)s"'
                      ' %(status_code)s %(body_length)s %(wall_seconds).6f')

# --- the server -----------------------------------------------------------------------------------

class _LogWriter:
    """Adapts a file-like object or a logging.Logger to ``write(line)``."""

    def __init__(self, target, level=logging.INFO):
        self.target = target
        self.level = level

    def write(self, line):
        t = self.target
        if isinstance(t, logging.Logger):
            t.log(self.level, line.rstrip("\n"))
        else:
            t.write(line if line.endswith("\n") else line + "\n")

    def flush(self):
        flush = getattr(self.target, "flush", None)
        if flush is not None:
            flush()

    def writelines(self, lines):
        for line in lines:
            self.write(line)


class _ErrorStream:
    """``wsgi.errors``: a text stream that writes through to the error log as given."""

    def __init__(self, target):
        self.target = target

    def write(self, text):
        t = self.target
        if isinstance(t, logging.Logger):
            if text.strip():
                t.error(text.rstrip("\n"))
        else:
            t.write(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        flush = getattr(self.target, "flush", None)
        if flush is not None:
            flush()


class WSGIServer(StreamServer):
    """HTTP/1.1 WSGI server (gevent.pywsgi.WSGIServer's shape), one green thread per connection.

    ``listener``: address or listening socket (see StreamServer). ``application``: the WSGI app.
    ``log``: access log destination (file-like or logging.Logger; None for no access log).
    ``error_log``: where application tracebacks go (default: ``log``, or sys.stderr).
    ``log_format``: %-format with eventlet's keys. ``environ``: extra keys for every request.
    ``pool``: max simultaneous connections (int) or a pool object (backpressure when full).
    ``ssl_context``: serve HTTPS. Timeouts (seconds): ``header_timeout`` to receive a complete
    request head, ``keepalive`` (True/False or idle seconds between requests),
    ``socket_timeout`` for each body read/response write wait. Limits: ``url_length_limit``
    (414), ``max_headers`` / ``max_header_bytes`` (431), ``max_body`` (413),
    ``max_requests`` per connection. ``socket_environ_key``: hand each request the connection's
    socket under this environ key (the gunicorn worker uses ``'gunicorn.socket'``); an app that takes
    the connection over raises StopIteration when done and the server closes it quietly.
    ``require_host``: answer 400 to an HTTP/1.1 request without a Host header (RFC 9112 3.2;
    False accepts it, as eventlet does; two Host headers are always refused).
    """

    def __init__(self, listener, application=None, log=None, error_log=None, environ=None,
                 pool=None, ssl_context=None, backlog=2048, log_format=DEFAULT_LOG_FORMAT,
                 log_x_forwarded_for=True, keepalive=True, header_timeout=15.0,
                 socket_timeout=60.0, url_length_limit=MAX_REQUEST_LINE, max_headers=MAX_HEADERS,
                 max_header_bytes=MAX_TOTAL_HEADER_SIZE, max_body=1 << 30, max_requests=1 << 62,
                 server_name=None, spawn=None, reuse_port=False, handshake_timeout=15.0,
                 socket_environ_key=None, require_host=True):
        if application is None:
            application = getattr(self, "application", None)
        if not callable(application):
            raise TypeError("fasthub.wsgi: WSGIServer needs a WSGI application (a callable)")
        if pool is None and spawn is not None:
            pool = spawn
        if pool is None:
            pool = DEFAULT_MAX_SIMULTANEOUS_REQUESTS
        super().__init__(listener, pool=pool, ssl_context=ssl_context,
                         backlog=backlog, handshake_timeout=handshake_timeout,
                         reuse_port=reuse_port)
        self.application = application
        self.log = _LogWriter(log) if log is not None else None
        if error_log is None:
            error_log = log if log is not None else sys.stderr
        self.error_log = _LogWriter(error_log, logging.ERROR)
        self.log_format = log_format
        self.log_x_forwarded_for = log_x_forwarded_for
        if keepalive is True:
            self.keepalive_timeout = 60.0
        elif keepalive is False or keepalive is None:
            self.keepalive_timeout = 0.0
        else:
            self.keepalive_timeout = float(keepalive)
        if self.keepalive_timeout <= 0:
            max_requests = 1
        self.header_timeout = float(header_timeout)
        self.socket_timeout = None if socket_timeout is None else float(socket_timeout)
        self.url_length_limit = url_length_limit
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes
        self.max_body = max_body
        self.max_requests = max_requests
        self.require_host = bool(require_host)
        self._server_name = server_name
        self._extra_environ = dict(environ or {})
        self.base_environ = None
        self._protocol = None
        # environ[socket_environ_key] is the connection's green socket itself, with blocking
        # semantics (gunicorn's 'gunicorn.socket'), which the app may take over.
        self.socket_environ_key = socket_environ_key

    def init_socket(self):
        super().init_socket()
        if self._protocol is None:
            self.base_environ = self._make_base_environ()
            # Idle keep-alive connections are parked (no green thread) when the server owns its pool:
            # a user's pool object bounds green threads, and a parked connection would escape it.
            self._protocol = Protocol(self, park=self._slots is not None)

    def _make_base_environ(self):
        addr = self.address
        if isinstance(addr, tuple):
            name = self._server_name or addr[0] or "localhost"
            port = str(addr[1])
        else:
            name = self._server_name or "localhost"
            port = ""
        env = {
            "SERVER_NAME": name, "SERVER_PORT": port, "SCRIPT_NAME": "",
            "SERVER_SOFTWARE": "fasthub.wsgi", "GATEWAY_INTERFACE": "CGI/1.1",
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.errors": _ErrorStream(self.error_log.target),
            "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
            "wsgi.input_terminated": True, "wsgi.file_wrapper": FileWrapper,
            "fasthub.server": self,
        }
        env.update(self._extra_environ)
        return env

    def handle(self, sock, addr):
        """Serve the HTTP requests of connection ``sock`` (from ``addr``) in the calling green thread
        until it should be closed (gevent's WSGIServer.handle); the caller closes it. The server's
        own connections take another path, on which idle ones are parked."""
        self._protocol.serve(sock, addr)

    def _serve(self, sock, addr):
        self.handle(sock, addr)
        return False

    def _handler_body(self):
        # Compiled: TLS handshake, serve, then _handler_raised/_handler_done as _serve_connection.
        return self._protocol

    def _on_stop(self):
        # Stop keep-alive: idle connections are closed now, busy ones after their response.
        if self._protocol is not None:
            self._protocol.stop()

    def connection_count(self):
        """How many connections are open: being served, or idle between keep-alive requests."""
        return len(self._conns) + (self._protocol.parked if self._protocol is not None else 0)

    def _log_error(self, message, exc_info):
        text = message + "\n" + "".join(traceback.format_exception(*exc_info))
        try:
            self.error_log.write(text)
        except Exception:
            pass

    def _write_log(self, line):
        try:
            self.log.write(line)
        except Exception:
            pass


def server(sock, site, log=None, environ=None, max_size=None, max_http_version=DEFAULT_MAX_HTTP_VERSION,
           protocol=None, server_event=None, minimum_chunk_size=None, log_x_forwarded_for=True,
           custom_pool=None, keepalive=True, log_output=True, log_format=DEFAULT_LOG_FORMAT,
           url_length_limit=MAX_REQUEST_LINE, debug=False, socket_timeout=None,
           capitalize_response_headers=True, ssl_context=None, header_timeout=15.0,
           max_body=1 << 30, require_host=True):
    """Serve the WSGI application ``site`` on the listening ``sock`` (eventlet.wsgi.server).

    Blocks the calling green thread until the server is stopped (a handler raising StopServe,
    KeyboardInterrupt, or ``server_event`` consumers calling ``stop()``). ``log``: file-like for the
    access log and errors (default sys.stderr); ``log_output=False`` turns the access log off.
    ``max_size``: max simultaneous connections (default 1024); ``custom_pool``: a pool object
    instead. ``keepalive``: True, False, or the idle timeout in seconds. ``socket_timeout``:
    seconds each body read or response write may wait (None: 60 s). ``server_event``: an object
    with ``send(server)`` (eventlet Event) or ``set()`` told when the server is listening.
    ``debug``: accepted for compatibility; tracebacks are never sent to clients. ``protocol``,
    ``max_http_version``, ``minimum_chunk_size`` and ``capitalize_response_headers`` are
    accepted and ignored (HTTP/1.1 is always spoken; header names are sent as given).
    ``require_host``: see WSGIServer.
    """
    if log is None:
        log = sys.stderr
    srv = WSGIServer(sock, site, log=log if log_output else None, error_log=log, environ=environ,
                     pool=custom_pool if custom_pool is not None else (max_size or
                                                                       DEFAULT_MAX_SIMULTANEOUS_REQUESTS),
                     ssl_context=ssl_context, log_format=log_format,
                     log_x_forwarded_for=log_x_forwarded_for, keepalive=keepalive,
                     header_timeout=header_timeout,
                     socket_timeout=60.0 if socket_timeout is None else socket_timeout,
                     url_length_limit=url_length_limit, max_body=max_body,
                     require_host=require_host)
    srv._keep_listener_open = True
    srv.start()
    if server_event is not None:
        if hasattr(server_event, "send"):
            server_event.send(srv)
        elif hasattr(server_event, "set"):
            server_event.set()
    srv.serve_forever()

