"""``eventlet.wsgi``: ``server()`` with eventlet's signature and access-log format, on fasthub.wsgi.

Where eventlet.wsgi and fasthub.wsgi differ, this follows eventlet (see ``eventlet_app``): a
``str`` chunk of a response body (from the returned iterable or the ``write()`` callable) is
encoded as ASCII, text outside ASCII failing the request (a 500 if nothing was sent yet); response
header names are capitalized (``capitalize_response_headers=False`` keeps them); a streamed body
is held back until ``minimum_chunk_size`` bytes (4096; ``environ['eventlet.minimum_write_chunk_size']``
per request) are ready, so an application that fails early still answers 500. ``debug=True`` (eventlet's default, which
sends tracebacks to the client) is accepted but fasthub never sends tracebacks.
"""

import os
import sys
import threading as _threading
from email.utils import formatdate

from fasthub import wsgi as _wsgi
from fasthub.sync.timeout import Timeout
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

    minimum_chunk_size = 4096


def _encode_header_line(header):
    """``b'Name: value\\r\\n'`` for a response header, each part encoded as latin-1 on its own
    (PEP 3333); UnicodeEncodeError, saying what to do, for text outside latin-1."""
    name, value = header
    try:
        raw_name = str(name).encode("latin-1")
    except UnicodeEncodeError as e:
        raise UnicodeEncodeError(e.encoding, e.object, e.start, e.end,
                                 "response header names must be latin-1 text") from None
    try:
        raw_value = str(value).encode("latin-1")
    except UnicodeEncodeError as e:
        raise UnicodeEncodeError(e.encoding, e.object, e.start, e.end,
                                 "response header values must be latin-1 text; encode other "
                                 "text as RFC 8187 describes (e.g. filename*=UTF-8''...)") from None
    return raw_name + b": " + raw_value + b"\r\n"


class ApplicationTimeout(RuntimeError):
    """A Timeout escaped the application: eventlet.wsgi answers it like any application error."""


def _log_line(log, line):
    # eventlet's server messages go to the same place as its access log.
    if hasattr(log, "write"):
        log.write(line + "\n")
    else:
        log.info(line)


def _socket_repr(sock):
    scheme = "https" if hasattr(sock, "do_handshake") else "http"
    address = sock.getsockname()
    if isinstance(address, str):
        return f"{scheme}:{address}"
    host = f"[{address[0]}]" if ":" in address[0] else address[0]
    return f"{scheme}://{host}:{address[1]}"


def format_date_time(timestamp):
    """An HTTP date (RFC 7231) for ``timestamp``."""
    return formatdate(timestamp, usegmt=True)


def _encode(chunk):
    if isinstance(chunk, str):
        return chunk.encode("ascii")
    return chunk


MINIMUM_CHUNK_SIZE = 4096


def _capitalize(name):
    return "-".join(part.capitalize() for part in name.split("-"))


class _Body:
    """The rest of a response iterable after the buffered head: str chunks come out as ASCII
    bytes; close() reaches the application's iterable."""

    def __init__(self, result, chunks, head):
        self._result = result
        self._chunks = chunks
        self._head = head

    def __iter__(self):
        return self

    def __next__(self):
        if self._head:
            return self._head.pop(0)
        return _encode(next(self._chunks))

    def close(self):
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


def _buffer_head(result, environ, minimum):
    # eventlet holds a streamed body back until ``minimum`` bytes (environ may lower it per
    # request) are ready, so an application that fails early still gets a clean 500.
    chunks = iter(result)
    head, size = [], 0
    try:
        while not head or size < int(environ.get("eventlet.minimum_write_chunk_size", minimum)):
            try:
                chunk = _encode(next(chunks))
            except StopIteration:
                break
            head.append(chunk)
            size += len(chunk)
    except BaseException:
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise
    return _Body(result, chunks, head)


def eventlet_app(app, capitalize_response_headers=True, minimum_chunk_size=MINIMUM_CHUNK_SIZE):
    """Wrap the WSGI ``app`` the way eventlet.wsgi treats applications: str body chunks are sent
    as ASCII, response header names are capitalized (unless told not to), and a streamed body is
    buffered up to ``minimum_chunk_size`` bytes before the headers go out."""

    def wrapped(environ, start_response):
        def start(status, headers, exc_info=None):
            if capitalize_response_headers:
                headers = [(_capitalize(name), value) for name, value in headers]
            write = start_response(status, headers, exc_info)
            return lambda data: write(_encode(data))

        try:
            result = app(environ, start)
            if result is ALREADY_HANDLED:
                return result
            if isinstance(result, (list, tuple)):
                return [_encode(chunk) for chunk in result]
            return _buffer_head(result, environ, minimum_chunk_size)
        except Timeout as e:
            raise ApplicationTimeout(f"the application raised {e!r}") from e

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
    log = log if log is not None else sys.stderr
    if log_output:
        _log_line(log, f"({os.getpid()}) wsgi starting up on {_socket_repr(sock)}")
    try:
        site = eventlet_app(site, capitalize_response_headers,
                            MINIMUM_CHUNK_SIZE if minimum_chunk_size is None else minimum_chunk_size)
        _wsgi.server(sock, site, log=log,
                     environ=environ, max_size=max_size, server_event=server_event,
                     log_x_forwarded_for=log_x_forwarded_for, custom_pool=custom_pool,
                     keepalive=keepalive, log_output=log_output, log_format=log_format,
                     url_length_limit=url_length_limit, socket_timeout=socket_timeout,
                     require_host=False)   # eventlet serves HTTP/1.1 requests without Host
    except (KeyboardInterrupt, SystemExit):
        if log_output:
            _log_line(log, "wsgi exiting")
    finally:
        try:
            sock.close()
        except OSError:
            pass
