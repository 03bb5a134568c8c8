"""One connection of fasthub's WSGI server: reading requests (llhttp via fasthub.web.wsgi.http), the
``wsgi.input`` stream, running the application and writing its response.

The public face is fasthub.wsgi (WSGIServer, server()); this module holds the per-connection
machinery it runs in each connection's green thread, and the names it re-exports
(ALREADY_HANDLED, FileWrapper, ClientDisconnected, BadRequestBody).
"""

import io
import os
import ssl as _ssl
import stat
import sys
import time
from _thread import _local as _os_thread_local
from email.utils import formatdate
from urllib.parse import unquote_to_bytes

from fasthub.web.wsgi.http import STATUS_REASONS, ParseError, RequestParser
from fasthub.core._hub import FdClosedError, get_hub, wait_read, wait_write
from fasthub.web.server import recv_into, sendall, to_green

#: Return this from an application that took over the socket (eventlet's ALREADY_HANDLED).
ALREADY_HANDLED = object()

_RECV_SIZE = 65536
# One receive buffer per OS thread, shared by all its connections: a connection only borrows it from
# recv_into() to parser.feed(), which copies what it keeps, with no green switch in between. A buffer
# per connection cost 64 KB of RSS for every idle keep-alive client (measured: 79 KB per idle
# connection against gevent's 18 KB). Per OS thread, not global: another thread's hub may run between
# those two calls.
_recv_buffers = _os_thread_local()


def _recv_buffer():
    try:
        return _recv_buffers.view
    except AttributeError:
        view = _recv_buffers.view = memoryview(bytearray(_RECV_SIZE))
        return view
_SMALL_BODY = 65536          # bodies up to this size are sent in the same send() as the headers
_DRAIN_LIMIT = 65536         # unread request body the server will read and discard to keep alive


class ClientDisconnected(ConnectionError):
    """Raised by wsgi.input reads when the client closed the connection before sending the whole
    body (an OSError, as apps that catch IOError around reads expect)."""


class BadRequestBody(ValueError):
    """Raised by wsgi.input reads for a malformed chunked body (status 400) or a body over the
    server's limit (status 413). If the application lets it propagate, the client gets ``status``."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class _HeaderTimeout(TimeoutError):
    pass


# --- helpers --------------------------------------------------------------------------------------

_date = [0, ""]


def _http_date():
    now = int(time.time())
    if now != _date[0]:
        _date[1] = formatdate(now, usegmt=True)
        _date[0] = now
    return _date[1]


_log_date = [0, ""]


def _log_date_time():
    now = int(time.time())
    if now != _log_date[0]:
        _log_date[1] = time.strftime("%d/%b/%Y %H:%M:%S", time.localtime(now))
        _log_date[0] = now
    return _log_date[1]


_METHODS = {}
_HEADER_KEYS = {}        # header name (bytes) -> environ key (str), or None for names we drop
_RESPONSE_NAMES = {}     # response header name (str) -> kind (0 plain, 1 CL, 2 Connection, ...)
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_KIND_PLAIN, _KIND_CL, _KIND_CONN, _KIND_TE, _KIND_DATE, _KIND_HOP = range(6)
_HOP_BY_HOP = {"keep-alive", "proxy-connection", "upgrade", "te", "trailer"}


def _environ_key(name):
    key = _HEADER_KEYS.get(name)
    if key is None and name not in _HEADER_KEYS:
        text = name.decode("latin-1")
        if "_" in text:
            key = None   # dropped: with underscores, X_Foo and X-Foo would map to the same key
        else:
            key = text.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
        if len(_HEADER_KEYS) < 2048:   # bounded: hostile clients send random names
            _HEADER_KEYS[name] = key
    return key


def _response_header_kind(name):
    kind = _RESPONSE_NAMES.get(name)
    if kind is None:
        if type(name) is not str:
            raise TypeError(f"fasthub.wsgi: response header name must be str, not {name!r}")
        if not name or not _TOKEN_CHARS.issuperset(name):
            raise ValueError(f"fasthub.wsgi: invalid response header name {name!r}")
        low = name.lower()
        kind = {"content-length": _KIND_CL, "connection": _KIND_CONN, "transfer-encoding": _KIND_TE,
                "date": _KIND_DATE}.get(low, _KIND_HOP if low in _HOP_BY_HOP else _KIND_PLAIN)
        if len(_RESPONSE_NAMES) < 2048:
            _RESPONSE_NAMES[name] = kind
    return kind


class FileWrapper:
    """``wsgi.file_wrapper``: iterate a file in blocks; the server sends regular files with
    sendfile(2) (zero copy) when the connection is not TLS."""

    def __init__(self, filelike, blksize=65536):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


# --- wsgi.input -----------------------------------------------------------------------------------

class Input:
    """``wsgi.input`` / ``eventlet.input``: the request body as a blocking file-like object.

    read/readline/readlines/iteration block the calling green thread while the body is in flight
    and return b'' at its end (chunked bodies included). Raises ClientDisconnected if the client
    goes away mid-body, BadRequestBody for bad chunking or a body over the limit, TimeoutError
    if the client stalls longer than the server's socket_timeout.
    """

    __slots__ = ("_conn", "_req", "_buf", "_pos", "_done")

    def __init__(self, conn, req):
        self._conn = conn
        self._req = req
        self._buf = b""
        self._pos = 0
        self._done = req.complete and not req.body

    def _chunk(self):
        # The next body chunk from the parser, reading the socket when none is buffered.
        req = self._req
        body = req.body
        while not body:
            if req.complete or self._done:
                self._done = True
                return b""
            self._conn._read_body(req)
        data = body.popleft()
        req.body_read += len(data)
        if req.body_read > self._conn.max_body:
            req.error = ParseError(413, "request body too large")
            raise BadRequestBody("fasthub.wsgi: request body over the server's limit", 413)
        return data

    def read(self, size=-1):
        """Read up to ``size`` bytes (all the rest if size is None or negative)."""
        buf, pos = self._buf, self._pos
        if size is None or size < 0:
            parts = [buf[pos:]] if pos < len(buf) else []
            while True:
                data = self._chunk()
                if not data:
                    break
                parts.append(data)
            self._buf, self._pos = b"", 0
            return b"".join(parts)
        if size == 0:
            return b""
        avail = len(buf) - pos
        if avail >= size:
            self._pos = pos + size
            return buf[pos:pos + size]
        parts = [buf[pos:]] if avail else []
        while avail < size:
            data = self._chunk()
            if not data:
                break
            parts.append(data)
            avail += len(data)
        data = b"".join(parts)
        self._buf = data
        self._pos = min(size, len(data))
        return data[:size]

    def readline(self, size=-1):
        """Read one line (up to and including b'\\n'), at most ``size`` bytes if size >= 0."""
        if size is not None and size == 0:
            return b""
        limit = size if size is not None and size > 0 else None
        buf, pos = self._buf, self._pos
        while True:
            end = buf.find(b"\n", pos)
            if end >= 0 and (limit is None or end - pos < limit):
                self._pos = end + 1
                return buf[pos:end + 1]
            if limit is not None and len(buf) - pos >= limit:
                self._pos = pos + limit
                return buf[pos:pos + limit]
            data = self._chunk()
            if not data:
                self._buf, self._pos = b"", 0
                return buf[pos:]
            buf = buf[pos:] + data
            pos = 0
            self._buf, self._pos = buf, 0

    def readlines(self, hint=-1):
        """Read lines until the end of the body (or until ``hint`` bytes were read)."""
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self):
        pass

    def get_socket(self):
        """Hand the connection's green socket to the application (eventlet.input.get_socket()).

        After this the server will not read from or keep alive the connection; it closes it when
        the application returns. Bytes already received past this request's headers are in
        ``self.buffered`` (the first bytes of an upgraded protocol).
        """
        return self._conn._detach()

    @property
    def buffered(self):
        """Bytes received after the request (e.g. an early WebSocket frame), consumed on access."""
        return self._conn._take_leftover()

    def send_hundred_continue_response(self):
        """Send '100 Continue' now, if the client asked for it and it was not sent yet."""
        self._conn._send_continue(self._req)


# --- one connection -------------------------------------------------------------------------------

class _Connection:
    """Serves the requests of one client connection, one after the other."""

    def __init__(self, server, sock, addr, task):
        self.server = server
        self.sock = sock
        self.fd = sock.fileno()
        self.task = task
        self.tls = isinstance(sock, _ssl.SSLSocket)
        self.parser = RequestParser(server.url_length_limit, server.max_headers,
                                    server.max_header_bytes)
        self.max_body = server.max_body
        self.eof = False
        self.detached = False
        self.idle = False
        self.requests = 0
        env = server.base_environ.copy()
        if isinstance(addr, tuple):
            env["REMOTE_ADDR"] = addr[0]
            env["REMOTE_PORT"] = str(addr[1])
        else:
            env["REMOTE_ADDR"] = ""
            env["REMOTE_PORT"] = ""
        if self.tls:
            env["wsgi.url_scheme"] = "https"
            env["HTTPS"] = "on"
        self.env = env
        self.addr = addr
        self.start_response = self._start_response
        # per-request response state
        self.status = None
        self.out_headers = None
        self.headers_sent = False
        self.out_length = None
        self.chunked = False
        self.close_after = False
        self.sent = 0
        self.continue_sent = False
        self.head = False
        self.req = None

    # -- reading ------------------------------------------------------------------------------------

    def _fill(self, timeout, timeout_exc=None):
        view = _recv_buffer()
        n = recv_into(self.sock, view, timeout, timeout_exc)
        if not n:
            self.eof = True
            return False
        self.parser.feed(view[:n])
        return True

    def _read_body(self, req):
        # Called by Input when the parser has no buffered chunk for this request.
        if req.error is not None:
            err = req.error
            if err.status == 413:
                raise BadRequestBody(f"fasthub.wsgi: {err.reason}", 413)
            raise BadRequestBody(f"fasthub.wsgi: {err.reason}", err.status)
        if self.eof or self.detached or self.parser.upgraded:
            raise ClientDisconnected("fasthub.wsgi: the client closed the connection before "
                                     "sending the whole request body")
        if req.expect and not self.continue_sent:
            self._send_continue(req)
        try:
            got = self._fill(self.server.socket_timeout)
        except FdClosedError:
            raise ClientDisconnected("fasthub.wsgi: the connection was closed") from None
        except (ConnectionError, _ssl.SSLError) as e:
            raise ClientDisconnected(f"fasthub.wsgi: connection lost while reading the body: {e}") from None
        if not got and not req.complete:
            raise ClientDisconnected("fasthub.wsgi: the client closed the connection before "
                                     "sending the whole request body")
        if req.error is not None and not req.body:
            self._read_body(req)

    def _send_continue(self, req):
        if req.expect and not self.continue_sent and not self.headers_sent:
            self.continue_sent = True
            sendall(self.sock, b"HTTP/1.1 100 Continue\r\n\r\n", self.server.socket_timeout)

    def _next_request(self):
        """The next request, or None when the connection should close (after answering errors)."""
        parser = self.parser
        if parser.ready:
            return parser.ready.popleft()
        if parser.error is not None:
            self._send_error(parser.error.status, parser.error.reason)
            return None
        if self.eof or parser.upgraded or self.detached:
            return None
        server = self.server
        hub = get_hub()
        if parser.cur is None:
            # Idle between requests: wait for the first byte with the keep-alive timeout.
            if server._stopping:
                return None
            if self.requests:
                if not self.tls or not self.sock.pending():
                    self.idle = True
                    try:
                        wait_read(self.fd, server.keepalive_timeout)
                    except (TimeoutError, FdClosedError):
                        return None
                    finally:
                        self.idle = False
        deadline = hub.now() + server.header_timeout
        while not parser.ready:
            if parser.error is not None:
                self._send_error(parser.error.status, parser.error.reason)
                return None
            if parser.upgraded:
                break
            remaining = deadline - hub.now()
            if remaining <= 0:
                self._header_timeout()
                return None
            try:
                if not self._fill(remaining, _HeaderTimeout):
                    return None
            except _HeaderTimeout:
                self._header_timeout()
                return None
        return parser.ready.popleft() if parser.ready else None

    def _header_timeout(self):
        # A client that trickles (or never sends) its headers: tell it if it sent anything at all.
        if self.parser.cur is not None:
            self._send_error(408, "request headers not received in time")

    # -- the request --------------------------------------------------------------------------------

    def serve(self):
        server = self.server
        app = server.application
        try:
            while True:
                req = self._next_request()
                if req is None:
                    return
                self.requests += 1
                if not self._handle(req, app):
                    return
                if self.requests >= server.max_requests or server._stopping:
                    return
        except (ConnectionError, FdClosedError, TimeoutError, _ssl.SSLError):
            return   # the peer went away or stalled: nothing to answer

    def _environ(self, req):
        env = self.env.copy()
        method = _METHODS.get(req.method)
        if method is None:
            method = req.method.decode("ascii")
            _METHODS[req.method] = method
        env["REQUEST_METHOD"] = method
        url = req.url
        if url[:1] != b"/":
            url = _origin_form(url)
        path, _, query = url.partition(b"?")
        if b"#" in query:
            query = query.partition(b"#")[0]
        raw_path = path.decode("latin-1")
        env["RAW_PATH_INFO"] = raw_path
        env["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1") if b"%" in path else raw_path
        env["QUERY_STRING"] = query.decode("latin-1")
        env["SERVER_PROTOCOL"] = "HTTP/1.1" if req.version == "1.1" else "HTTP/1.0"
        for name, value in req.headers:
            key = _environ_key(name)
            if key is None:
                continue
            value = value.decode("latin-1")
            if key in env:
                if key[:5] != "HTTP_":
                    raise ParseError(400, f"duplicate {name.decode('latin-1')} header")
                env[key] += ("; " if key == "HTTP_COOKIE" else ",") + value
            else:
                env[key] = value
        te = env.get("HTTP_TRANSFER_ENCODING")
        if te is not None:
            if te.strip().lower() != "chunked":
                raise ParseError(501, f"unsupported Transfer-Encoding {te!r}")
            req.chunked = True
        cl = env.get("CONTENT_LENGTH")
        if cl is not None:
            req.content_length = int(cl)   # llhttp already checked it is all digits
            if req.content_length > self.max_body:
                raise ParseError(413, "request body too large")
        expect = env.get("HTTP_EXPECT")
        if expect is not None:
            if expect.lower() != "100-continue":
                raise ParseError(417, f"unsupported expectation {expect!r}")
            if req.version == "1.1" and not req.complete:
                req.expect = True
        inp = Input(self, req)
        env["wsgi.input"] = inp
        env["eventlet.input"] = inp
        env["fasthub.input"] = inp
        env["eventlet.posthooks"] = []
        if self.server.socket_environ_key is not None:
            env[self.server.socket_environ_key] = self.sock
        return env

    def _handle(self, req, app):
        """Run the app for ``req`` and send its response; True to keep the connection."""
        server = self.server
        t0 = time.perf_counter() if server.log is not None else 0.0
        self.req = req
        self.status = None
        self.out_headers = None
        self.headers_sent = False
        self.out_length = None
        self.chunked = False
        self.close_after = not req.keep_alive or self.requests >= server.max_requests
        self.sent = 0
        self.continue_sent = False
        self.head = req.method == b"HEAD"
        try:
            env = self._environ(req)
        except ParseError as e:
            self._send_error(e.status, e.reason)
            return False
        status_code = None
        result = None
        try:
            try:
                result = app(env, self.start_response)
                if result is ALREADY_HANDLED or self.detached:
                    self.close_after = True
                    status_code = self.status[:3] if self.status else "-"
                else:
                    self._write_result(result)
                    status_code = self.status[:3]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except BadRequestBody as e:
            self.close_after = True
            status_code = str(e.status)
            if not self.headers_sent:
                self._send_error(e.status, str(e))
            else:
                return False
        except (ClientDisconnected, FdClosedError):
            self._log_access(env, req, "-", t0)
            return False
        except StopIteration:
            # gunicorn's convention: an application that took the connection over through
            # environ['gunicorn.socket'] (simple-websocket, engineio) raises StopIteration when done.
            self._log_access(env, req, "-", t0)
            return False
        except (ConnectionError, TimeoutError) as e:
            if not self.headers_sent and not isinstance(e, ConnectionError):
                self._send_error(408, "request body not received in time")
            self._log_access(env, req, "-", t0)
            return False
        except Exception:
            self.close_after = True
            status_code = "500"
            server._log_error(f"fasthub.wsgi: error in the application for "
                              f"{env.get('REQUEST_METHOD')} {env.get('RAW_PATH_INFO')!r}",
                              sys.exc_info())
            if not self.headers_sent:
                self._send_error(500, "the server failed to handle this request")
            else:
                return False
        if server.log is not None:
            self._log_access(env, req, status_code, t0)
        hooks = env["eventlet.posthooks"]
        if hooks:
            for hook, args, kwargs in hooks:
                try:
                    hook(env, *args, **kwargs)
                except Exception:
                    server._log_error(f"fasthub.wsgi: error in posthook {hook!r}", sys.exc_info())
        if self.close_after or self.detached or req.upgrade:
            return False
        if not req.complete:
            return self._drain(req)
        return True

    def _drain(self, req):
        # The app did not read the whole body. Without 100-continue sent the client may or may not
        # send it: close. Otherwise read and drop a little; more than that is not worth keeping.
        if req.error is not None or (req.expect and not self.continue_sent):
            return False
        budget = _DRAIN_LIMIT
        inp = Input(self, req)
        try:
            while budget > 0:
                data = inp._chunk()
                if not data:
                    return True
                budget -= len(data)
        except (OSError, BadRequestBody):
            return False
        return False

    # -- the response -------------------------------------------------------------------------------

    def _start_response(self, status, headers, exc_info=None):
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("fasthub.wsgi: start_response() called a second time without exc_info")
        if type(status) is not str or len(status) < 4 or not status[:3].isdigit() or status[3] != " ":
            raise ValueError(f"fasthub.wsgi: status must be a str like '200 OK', not {status!r}")
        if "\r" in status or "\n" in status:
            raise ValueError("fasthub.wsgi: CR or LF in the response status")
        out_length = None
        for item in headers:
            name, value = item
            kind = _RESPONSE_NAMES.get(name)
            if kind is None:
                kind = _response_header_kind(name)
            if type(value) is not str:
                raise TypeError(f"fasthub.wsgi: value of response header {name!r} must be str, "
                                f"not {type(value).__name__}")
            if "\n" in value or "\r" in value or "\0" in value:
                raise ValueError(f"fasthub.wsgi: CR, LF or NUL in the value of response header "
                                 f"{name!r}: refused (header injection)")
            if kind:
                if kind == _KIND_CL:
                    try:
                        out_length = int(value)
                    except ValueError:
                        raise ValueError(f"fasthub.wsgi: bad Content-Length {value!r}") from None
                    if out_length < 0:
                        raise ValueError(f"fasthub.wsgi: bad Content-Length {value!r}")
                elif kind == _KIND_CONN:
                    if "close" in value.lower():
                        self.close_after = True
        self.status = status
        self.out_headers = headers
        self.out_length = out_length
        return self._write

    def _header_block(self, body_length):
        """The status line and headers; decides framing (length, chunked, or close)."""
        status = self.status
        req = self.req
        parts = ["HTTP/1.1 ", status, "\r\n"]
        has_date = False
        length = self.out_length
        for name, value in self.out_headers:
            kind = _RESPONSE_NAMES.get(name, 0)
            if kind:
                if kind == _KIND_DATE:
                    has_date = True
                elif kind != _KIND_CL:
                    continue   # Connection, Transfer-Encoding, hop-by-hop: framing is ours
                else:
                    continue   # written below from the checked value
            parts += (name, ": ", value, "\r\n")
        if not has_date:
            parts += ("Date: ", _http_date(), "\r\n")
        no_body = status[:1] == "1" or status[:3] in ("204", "304")
        if length is None and body_length is not None and not no_body:
            length = body_length
        if no_body:
            if self.out_length is not None and status[:3] == "304":
                parts += ("Content-Length: ", str(self.out_length), "\r\n")
        elif length is not None:
            parts += ("Content-Length: ", str(length), "\r\n")
        elif req.version == "1.1":
            self.chunked = True
            parts.append("Transfer-Encoding: chunked\r\n")
        else:
            self.close_after = True   # HTTP/1.0 without a length: the end of the body is the close
        self.out_length = length if not no_body else 0
        if req.expect and not self.continue_sent:
            # Answered before asking for the body: the client may or may not send it now, so the
            # connection cannot be reused (RFC 9110 10.1.1).
            self.close_after = True
        if self.close_after or self.server._stopping:
            self.close_after = True
            parts.append("Connection: close\r\n")
        elif req.version == "1.0":
            parts.append("Connection: keep-alive\r\n")
        parts.append("\r\n")
        block = "".join(parts).encode("latin-1")   # UnicodeEncodeError (-> 500) before marking sent
        self.headers_sent = True
        return block

    def _write(self, data):
        """The write() callable returned by start_response (PEP 3333's legacy imperative API)."""
        if self.status is None:
            raise AssertionError("fasthub.wsgi: write() called before start_response()")
        if type(data) is not bytes:
            if isinstance(data, (bytearray, memoryview)):
                data = bytes(data)
            else:
                raise TypeError(f"fasthub.wsgi: the body must be bytes, not {type(data).__name__}")
        if not self.headers_sent:
            header = self._header_block(None)
            self._send_body(header, data)
        elif data:
            self._send_body(b"", data)

    def _send_body(self, prefix, data):
        n = len(data)
        if self.head or self.out_length == 0 and not n:
            if prefix:
                sendall(self.sock, prefix, self.server.socket_timeout)
            return
        if self.out_length is not None:
            room = self.out_length - self.sent
            if n > room:
                self.close_after = True
                raise ValueError(f"fasthub.wsgi: the application sent more than the "
                                 f"Content-Length of {self.out_length} bytes")
        self.sent += n
        if self.chunked:
            if not n:
                if prefix:
                    sendall(self.sock, prefix, self.server.socket_timeout)
                return
            data = b"%s%x\r\n%s\r\n" % (prefix, n, data)
        elif prefix:
            if n <= _SMALL_BODY:
                data = prefix + data
            else:
                sendall(self.sock, prefix, self.server.socket_timeout)
        sendall(self.sock, data, self.server.socket_timeout)

    def _write_result(self, result):
        if type(result) is list or type(result) is tuple:
            if self.status is None:
                raise AssertionError("fasthub.wsgi: the application returned without calling "
                                     "start_response()")
            if not self.headers_sent:
                # The common case: the whole body is known, send it with its length in one send().
                n = 0
                for chunk in result:
                    if type(chunk) is not bytes:
                        raise TypeError(f"fasthub.wsgi: the body must be bytes, not "
                                        f"{type(chunk).__name__}")
                    n += len(chunk)
                declared = self.out_length
                if (declared is not None and declared != n and not self.head
                        and self.status[:1] != "1" and self.status[:3] not in ("204", "304")):
                    raise ValueError(f"fasthub.wsgi: Content-Length {declared} does not match "
                                     f"the body length {n}")
                header = self._header_block(n)
                if self.head or self.out_length == 0 or not n:
                    sendall(self.sock, header, self.server.socket_timeout)
                    return
                if len(result) == 1:
                    body = result[0]
                else:
                    body = b"".join(result)
                self.sent = n
                if n <= _SMALL_BODY:
                    sendall(self.sock, header + body, self.server.socket_timeout)
                else:
                    sendall(self.sock, header, self.server.socket_timeout)
                    sendall(self.sock, body, self.server.socket_timeout)
                return
        elif isinstance(result, FileWrapper) and self._try_sendfile(result):
            return
        write = self._write
        for chunk in result:
            write(chunk)
        if self.status is None:
            raise AssertionError("fasthub.wsgi: the application returned without calling "
                                 "start_response()")
        if not self.headers_sent:
            header = self._header_block(0)
            sendall(self.sock, header, self.server.socket_timeout)
        elif self.chunked:
            if not self.head:
                sendall(self.sock, b"0\r\n\r\n", self.server.socket_timeout)
        elif self.out_length is not None and self.sent != self.out_length and not self.head:
            self.close_after = True   # the app sent less than it declared: the client must see EOF

    def _try_sendfile(self, wrapper):
        f = wrapper.filelike
        if self.tls or self.status is None or self.headers_sent:
            return False
        try:
            in_fd = f.fileno()
            st = os.fstat(in_fd)
            offset = f.tell()
        except (AttributeError, OSError, io.UnsupportedOperation):
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        count = max(0, st.st_size - offset)
        if self.out_length is not None:
            count = min(count, self.out_length)
        header = self._header_block(count)
        sendall(self.sock, header, self.server.socket_timeout)
        if self.head or self.chunked:
            return True
        out_fd = self.fd
        timeout = self.server.socket_timeout
        sent = 0
        while sent < count:
            try:
                n = os.sendfile(out_fd, in_fd, offset + sent, count - sent)
            except (BlockingIOError, InterruptedError):
                wait_write(out_fd, timeout)
                continue
            if n == 0:
                break   # the file shrank under us
            sent += n
        self.sent = sent
        if sent != count:
            self.close_after = True
        try:
            f.seek(offset + sent)
        except OSError:
            pass
        return True

    def _send_error(self, code, reason):
        if self.headers_sent or self.detached:
            return
        body = f"{code} {STATUS_REASONS.get(code, 'Error')}: {reason}\n".encode("latin-1", "replace")
        head = (f"HTTP/1.1 {code} {STATUS_REASONS.get(code, 'Error')}\r\n"
                f"Content-Type: text/plain; charset=latin-1\r\nContent-Length: {len(body)}\r\n"
                f"Date: {_http_date()}\r\nConnection: close\r\n\r\n").encode("latin-1")
        self.headers_sent = True
        self.close_after = True
        try:
            sendall(self.sock, head + body, min(5.0, self.server.socket_timeout))
        except (OSError, TimeoutError):
            pass

    # -- taking over the socket ---------------------------------------------------------------------

    def _detach(self):
        if not self.detached:
            self.detached = True
            self.close_after = True
            green = to_green(self.sock)
            # The application gets blocking semantics (a green wait, no timeout), like eventlet's
            # get_socket(): a socket left at timeout 0.0 raised BlockingIOError in simple-websocket.
            green.settimeout(None)
            self.sock = green
            conns = self.server._conns
            if self.task in conns:
                conns[self.task] = green
        return self.sock

    def _take_leftover(self):
        data, self.parser.leftover = self.parser.leftover, b""
        return data

    # -- logging ------------------------------------------------------------------------------------

    def _log_access(self, env, req, status_code, t0):
        server = self.server
        if server.log is None:
            return
        client_ip = env.get("REMOTE_ADDR", "")
        if server.log_x_forwarded_for:
            fwd = env.get("HTTP_X_FORWARDED_FOR")
            if fwd:
                client_ip = fwd.replace(" ", "") + "," + client_ip
        request_line = (f"{env.get('REQUEST_METHOD', '-')} {req.url.decode('latin-1')} "
                        f"{env.get('SERVER_PROTOCOL', '-')}")
        fields = {
            "client_ip": client_ip, "client_port": env.get("REMOTE_PORT", ""),
            "date_time": _log_date_time(), "request_line": request_line,
            "status_code": status_code, "body_length": self.sent,
            "wall_seconds": time.perf_counter() - t0,
        }
        try:
            line = server.log_format % fields
        except (KeyError, TypeError, ValueError) as e:
            line = f"fasthub.wsgi: bad log_format ({e}): {fields!r}"
        server._write_log(line)


def _origin_form(url):
    # "http://host/path?q" (absolute form, RFC 9112 3.2.2) -> "/path?q"; "*" stays as is.
    if url == b"*":
        return url
    scheme, sep, rest = url.partition(b"://")
    if sep:
        slash = rest.find(b"/")
        return rest[slash:] if slash >= 0 else b"/"
    return url   # authority form (CONNECT) or something odd: left to the app
