"""``eventlet.wsgi``: ``server()`` with eventlet's signature and access-log format, on fasthub.wsgi.

One difference from fasthub.wsgi follows eventlet: a ``str`` chunk of a response body (from the
returned iterable or the ``write()`` callable) is encoded as ASCII; text outside ASCII fails the
request (a 500 if nothing was sent yet), as in eventlet. ``debug=True`` (eventlet's default, which
sends tracebacks to the client) is accepted but fasthub never sends tracebacks.
"""

import sys
import threading as _threading
from email.utils import formatdate

from fasthub import wsgi as _wsgi
from fasthub.wsgi import (ALREADY_HANDLED, DEFAULT_LOG_FORMAT, DEFAULT_MAX_SIMULTANEOUS_REQUESTS,
                          MAX_HEADER_LINE, MAX_REQUEST_LINE, MAX_TOTAL_HEADER_SIZE, Input)

__all__ = ["server", "format_date_time", "ALREADY_HANDLED", "Input", "DEFAULT_LOG_FORMAT",
           "DEFAULT_MAX_SIMULTANEOUS_REQUESTS", "MAX_REQUEST_LINE", "MAX_HEADER_LINE",
           "MAX_TOTAL_HEADER_SIZE", "HttpProtocol", "ChunkReadError", "WSGI_LOCAL"]

# eventlet's per-request flag; fasthub marks taken-over connections itself.
WSGI_LOCAL = _threading.local()
BROKEN_SOCK = {32, 54, 104, 10053, 10054}
DEFAULT_MAX_HTTP_VERSION = "HTTP/1.1"   # accepted by server(); fasthub always speaks HTTP/1.1


class ChunkReadError(ValueError):
    """A malformed chunked request body."""


class HttpProtocol:
    """Placeholder for eventlet's handler class; ``server(protocol=...)`` accepts it and ignores
    it (fasthub's connection handler is compiled around llhttp)."""


def format_date_time(timestamp):
    """An HTTP date (RFC 7231) for ``timestamp``."""
    return formatdate(timestamp, usegmt=True)


def _encode(chunk):
    if isinstance(chunk, str):
        return chunk.encode("ascii")
    return chunk


class _Body:
    """A response iterable whose str chunks come out as ASCII bytes; keeps close()."""

    def __init__(self, result):
        self._result = result
        self._chunks = iter(result)

    def __iter__(self):
        return self

    def __next__(self):
        return _encode(next(self._chunks))

    def close(self):
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


def ascii_str_bodies(app):
    """Wrap the WSGI ``app`` so that str body chunks are sent as ASCII bytes (eventlet's rule)."""

    def wrapped(environ, start_response):
        def start(status, headers, exc_info=None):
            write = start_response(status, headers, exc_info)
            return lambda data: write(_encode(data))

        result = app(environ, start)
        if result is ALREADY_HANDLED:
            return result
        if isinstance(result, (list, tuple)):
            return [_encode(chunk) for chunk in result]
        return _Body(result)

    return wrapped


def server(sock, site, log=None, environ=None, max_size=None,
           max_http_version=DEFAULT_MAX_HTTP_VERSION, protocol=HttpProtocol, server_event=None,
           minimum_chunk_size=None, log_x_forwarded_for=True, custom_pool=None, keepalive=True,
           log_output=True, log_format=DEFAULT_LOG_FORMAT, url_length_limit=MAX_REQUEST_LINE,
           debug=True, socket_timeout=None, capitalize_response_headers=True):
    """Serve ``site`` on the listening socket ``sock`` until stopped (eventlet's signature).

    See ``fasthub.wsgi.server`` for each parameter; the access log (to ``log``, default stderr)
    uses eventlet's format. As in eventlet, KeyboardInterrupt or SystemExit raised into the
    serving green thread stops the server and returns, and the listening socket is closed."""
    try:
        _wsgi.server(sock, ascii_str_bodies(site), log=log if log is not None else sys.stderr,
                     environ=environ, max_size=max_size, server_event=server_event,
                     log_x_forwarded_for=log_x_forwarded_for, custom_pool=custom_pool,
                     keepalive=keepalive, log_output=log_output, log_format=log_format,
                     url_length_limit=url_length_limit, socket_timeout=socket_timeout)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass
