# cython: language_level=3, boundscheck=False, wraparound=False
"""The WSGI server's request path, compiled: one connection's loop (read, parse, environ, run the
app; writing the response is ``_response``'s), ``wsgi.input``, and the parking of idle keep-alive
connections.

Per request the loop reads what arrived (``_gsocket.recv_for``: one system call into the OS thread's
receive buffer, a green wait only on EAGAIN), feeds llhttp (``_http``), builds the environ from one
copy of the server's constant keys, calls the application, and for a body of known length writes
status line, headers and body into one bytes object sent with one system call.

Between requests a connection costs almost nothing: when the server owns its pool (the default), an
idle keep-alive connection gives its parser back to the server's pool, registers a reader callback
with the hub, notes the time, and its green thread ends. Bytes arriving wake it: the callback starts
a new green thread on the connection's pool slot, which reads them without waiting. The server's
keep-alive sweep (one timer for all parked connections) or its stop closes a parked connection.
With a user-supplied pool object, the green thread stays and waits for the bytes instead (the pool
bounds green threads, and a hub callback cannot wait for a pool's room).

The public names (ALREADY_HANDLED, FileWrapper, ClientDisconnected, BadRequestBody, Input) are
re-exported by fasthub.wsgi.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_Copy, PyDict_GetItem
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_1BYTE_DATA, PyUnicode_1BYTE_KIND, PyUnicode_GET_LENGTH, PyUnicode_KIND
from libc.math cimport INFINITY
from libc.string cimport memchr, memcmp

from fasthub.core._greenthread cimport GreenThread, getcurrent
from fasthub.core._gsocket cimport _fd_of, _wait, recv_for
from fasthub.core._hub cimport Hub, get_hub
from fasthub.core.includes.poller cimport FH_READ, fh_monotonic
from fasthub.web.wsgi._http cimport Request, RequestParser
from fasthub.web.wsgi._response cimport Response

import ssl as _ssl
import sys
import time
from urllib.parse import unquote_to_bytes

from fasthub.core._hub import FdClosedError
from fasthub.web.wsgi._http import ParseError
from fasthub.web.wsgi._response import FileWrapper

__all__ = ["ALREADY_HANDLED", "FileWrapper", "ClientDisconnected", "BadRequestBody", "Input",
           "Protocol", "Connection"]

cdef extern from "Python.h":
    # Borrowed reference to what ends up under ``key``: ``default`` if it was absent.
    PyObject *PyDict_SetDefault(object d, object key, object default) except NULL

#: Return this from an application that took over the socket (eventlet's ALREADY_HANDLED).
ALREADY_HANDLED = object()

cdef enum:
    DRAIN_LIMIT = 65536      # unread request body the server will read and discard to keep alive

cdef object _SSLError = _ssl.SSLError
cdef object _StopIteration = StopIteration


class ClientDisconnected(ConnectionError):
    """Raised by wsgi.input reads when the client closed the connection before sending the whole
    body (an OSError, as apps that catch IOError around reads expect)."""


class BadRequestBody(ValueError):
    """Raised by wsgi.input reads for a malformed chunked body (status 400) or a body over the
    server's limit (status 413). If the application lets it propagate, the client gets ``status``."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


# --- cached strings -----------------------------------------------------------------------------------

_log_date = [0, ""]


def _log_date_time():
    now = int(time.time())
    if now != _log_date[0]:
        _log_date[1] = time.strftime("%d/%b/%Y %H:%M:%S", time.localtime(now))
        _log_date[0] = now
    return _log_date[1]


# Environ keys, interned once so the header loop recognises the special ones by identity.
cdef str K_CONTENT_LENGTH = "CONTENT_LENGTH"
cdef str K_CONTENT_TYPE = "CONTENT_TYPE"
cdef str K_HOST = "HTTP_HOST"
cdef str K_TE = "HTTP_TRANSFER_ENCODING"
cdef str K_EXPECT = "HTTP_EXPECT"
cdef str K_COOKIE = "HTTP_COOKIE"
cdef dict _SPECIAL_KEYS = {k: k for k in (K_CONTENT_LENGTH, K_CONTENT_TYPE, K_HOST, K_TE, K_EXPECT,
                                          K_COOKIE)}
cdef dict _METHODS = {}
cdef dict _HEADER_KEYS = {}          # header name (bytes) -> environ key (str), or None: dropped


cdef object _environ_key(bytes name):
    cdef PyObject *found = PyDict_GetItem(_HEADER_KEYS, name)
    if found != NULL:
        return <object>found
    text = name.decode("latin-1")
    if "_" in text:
        key = None   # dropped: with underscores, X_Foo and X-Foo would map to the same key
    else:
        key = text.upper().replace("-", "_")
        if key != K_CONTENT_TYPE and key != K_CONTENT_LENGTH:
            key = "HTTP_" + key
        key = _SPECIAL_KEYS.get(key, key)
    if len(_HEADER_KEYS) < 2048:   # bounded: hostile clients send random names
        _HEADER_KEYS[name] = key
    return key


cdef inline bint _http_key(str key):
    # key starts with "HTTP_" (environ keys are ASCII).
    cdef const unsigned char *p
    if PyUnicode_GET_LENGTH(key) < 5 or PyUnicode_KIND(key) != PyUnicode_1BYTE_KIND:
        return False
    p = PyUnicode_1BYTE_DATA(key)
    return p[0] == 72 and p[1] == 84 and p[2] == 84 and p[3] == 80 and p[4] == 95


def _origin_form(url):
    # "http://host/path?q" (absolute form, RFC 9112 3.2.2) -> "/path?q"; "*" stays as is.
    if url == b"*":
        return url
    scheme, sep, rest = url.partition(b"://")
    if sep:
        slash = rest.find(b"/")
        return rest[slash:] if slash >= 0 else b"/"
    return url   # authority form (CONNECT) or something odd: left to the app


cdef inline double _seconds(object value):
    return INFINITY if value is None else <double>value


cdef tuple _REQUEST_KEYS = ("REQUEST_METHOD", "RAW_PATH_INFO", "PATH_INFO", "REQUEST_URI", "RAW_URI",
                            "REMOTE_ADDR", "REMOTE_PORT",
                            "wsgi.input", "eventlet.input", "fasthub.input", "eventlet.posthooks")


# --- the server's side ----------------------------------------------------------------------------

@cython.final
cdef class Protocol:
    """The WSGI protocol as one server is configured: settings read once at start, the pool of
    parsers, and the open connections (for stop())."""

    def __init__(self, server, bint park):
        self.server = server
        self.application = server.application
        # The environ of every request starts as a copy of this: the server's constants and, as
        # placeholders, the keys each request sets (so filling them in never grows the dict).
        self.base_environ = dict(server.base_environ)
        for key in _REQUEST_KEYS:
            self.base_environ.setdefault(key, None)
        self.base_environ["QUERY_STRING"] = ""            # unless the request has one
        self.base_environ["SERVER_PROTOCOL"] = "HTTP/1.1"  # unless it is HTTP/1.0
        if server.socket_environ_key is not None:
            self.base_environ.setdefault(server.socket_environ_key, None)
        self.header_timeout = server.header_timeout
        self.keepalive_timeout = server.keepalive_timeout
        self.socket_timeout = _seconds(server.socket_timeout)
        self.error_timeout = min(5.0, self.socket_timeout)
        self.max_requests = server.max_requests
        self.require_host = server.require_host
        self.max_body = server.max_body
        self.max_url = server.url_length_limit
        self.max_headers = server.max_headers
        self.max_header_bytes = server.max_header_bytes
        self.log = server.log
        self.socket_environ_key = server.socket_environ_key
        self.park = park and self.keepalive_timeout > 0
        self.keep_alive_lines = b"Connection: keep-alive\r\n"
        if 1 <= self.keepalive_timeout < 1e9:
            self.keep_alive_lines += b"Keep-Alive: timeout=%d\r\n" % int(self.keepalive_timeout)
        # Parked connections are closed within a quarter of the keep-alive timeout after it (at most
        # a second late).
        self.sweep_interval = min(1.0, max(0.01, self.keepalive_timeout / 4))
        self.conns = server._conns
        self.slots = server._slots
        self.parsers = []
        self.live = set()

    def __call__(self, sock, addr):
        """The body of a new connection's handler green thread (the server spawns the protocol
        itself, so no bound method per connection): TLS handshake, serve, then end as every handler
        green thread of the server ends (StreamServer._serve_connection). In C, and lean: an
        upgraded connection (a WebSocket) spends its life below this frame."""
        cdef Connection conn = None
        cdef bint parked
        me = getcurrent()
        self.conns[me] = sock
        try:
            conn = self._connection(sock, addr, me)
            parked = conn is not None and conn._serve()
        except BaseException as e:
            _turn_failed(self.server, me, sock, conn, e)
            return False
        self.server._handler_done(me, sock, parked)
        return parked

    cpdef bint serve(self, sock, addr) except -1:
        """Serve connection ``sock`` in the calling green thread until it closes (False). It does
        not park: it was not accepted by the server and holds none of its pool slots."""
        cdef Connection conn = self._connection(sock, addr)
        try:
            return conn._serve()
        except BaseException:
            conn._closing()
            raise

    cdef Connection _connection(self, sock, addr, me=None):
        # A new connection's state; with ``me`` (its handler green thread), after the TLS handshake
        # if the server speaks TLS (None if that failed).
        cdef Connection conn
        if me is not None and self.server.ssl_context is not None:
            sock = self.server._tls_handshake(sock)
            if sock is None:
                return None
            self.conns[me] = sock
        conn = Connection.__new__(Connection)
        if self.hub is None:
            self.hub = get_hub()   # the server's connections all run in the acceptor's OS thread
        conn.proto = self
        conn.sock = sock
        conn.send_timeout = self.socket_timeout
        conn.error_timeout = self.error_timeout
        conn.out_length = -1
        conn.tls = isinstance(sock, _ssl.SSLSocket)
        if type(addr) is tuple:
            conn.remote_addr = addr[0]
            conn.remote_port = str(addr[1])
        else:
            conn.remote_addr = conn.remote_port = ""
        if self.socket_environ_key is not None:
            sock.settimeout(None)   # handed to the app with blocking semantics (gunicorn.socket)
        # Only a connection the server accepted holds a pool slot to park on: one handed to serve()
        # (WSGIServer.handle) waits for its next request in its green thread.
        conn.may_park = self.park and me is not None
        self.live.add(conn)
        return conn

    def stop(self):
        """Stop keep-alive: idle connections are closed now, busy ones after their response."""
        cdef Connection conn
        self.stopping = True
        if self.sweeper is not None:
            self.sweeper.cancel()
            self.sweeper = None
        for conn in list(self.live):
            if conn.is_parked:
                conn._close_parked()
            elif conn.idle:
                _close(conn.sock)   # wakes its green thread, which ends

    cdef RequestParser take_parser(self):
        if self.parsers:
            return self.parsers.pop()
        return RequestParser(self.max_url, self.max_headers, self.max_header_bytes)

    cdef int give_parser(self, RequestParser parser) except -1:
        # Only a parser between requests is reusable; a bounded pool (the busiest moment's
        # connections are what it keeps; more would be memory for nothing).
        if parser.reusable() and len(self.parsers) < 1024:
            self.parsers.append(parser)
        return 0


cdef int _close(object sock) except -1:
    try:
        sock.close()   # a green socket wakes its waiters (FdClosedError) first
    except OSError:
        pass
    return 0


def _wake(Connection conn):
    # In the hub: a parked connection's socket is readable. Resume it in a new green thread on its
    # pool slot, started right here as the hub resumes a waiting one; it reads at once.
    cdef GreenThread gt
    if fh_monotonic() - conn.parked_at >= conn.proto.keepalive_timeout:
        # Idle past the keep-alive timeout, the sweep just has not come by yet: a request sent
        # now finds the connection closed, as it would a moment later.
        conn._close_parked()
        return
    gt = GreenThread.__new__(GreenThread)
    conn._unpark()
    conn.woken = True
    gt._fn = _resumed
    gt._args = (conn,)
    gt.hub = conn.proto.hub
    gt.name = "fasthub.wsgi connection"
    gt._start_in_worker()


def _resumed(Connection conn):
    # The body of a parked connection's next green thread: serve it, then end as every handler green
    # thread of the server ends (StreamServer._serve_connection); the pool slot is the one the
    # connection kept, given back when it closes.
    cdef Protocol proto = conn.proto
    cdef bint parked
    me = getcurrent()
    sock = conn.sock
    proto.conns[me] = sock
    try:
        parked = conn._serve()
    except BaseException as e:
        _turn_failed(proto.server, me, sock, conn, e)
        return False
    if parked:
        # Parked again, so the server is not stopping (a stop first sets proto.stopping, and then
        # nothing parks): no stop() waits for this handler to end.
        del proto.conns[me]
    else:
        proto.server._handler_done(me, sock, False)
    return parked


def _turn_failed(server, me, sock, Connection conn, exc):
    # Serving a connection raised ``exc`` (the peer went away, was too slow, or worse): the server's
    # policy for it, then the handler's end. Kept out of the bodies above, whose frames stay on the
    # stack of upgraded connections.
    try:
        if conn is not None:
            conn._closing()
        server._handler_raised(exc)
    finally:
        server._handler_done(me, sock, False)


def _sweep(Protocol proto):
    # In the hub, every sweep_interval while connections are parked: close those idle for the
    # keep-alive timeout. One timer per server rather than one per parked connection: parking is
    # on every keep-alive request's path, a sweep is a walk over the open connections now and then.
    cdef Connection conn
    cdef double now = fh_monotonic(), limit = proto.keepalive_timeout
    proto.sweeper = None
    for conn in list(proto.live):
        if conn.is_parked and now - conn.parked_at >= limit:
            conn._close_parked()
    if proto.parked and not proto.stopping:
        proto.sweeper = proto.hub.timers.schedule(now + proto.sweep_interval, _sweep, (proto,))


# --- one connection -------------------------------------------------------------------------------

@cython.final
cdef class Connection(Response):
    """Serves the requests of one client connection, one after the other (writing each response is
    the Response base class's part)."""

    cdef bint _stopping(self) except -1:
        return self.proto.stopping

    cdef bytes _keep_alive_lines(self):
        return self.proto.keep_alive_lines

    cdef bint _serve(self) except -1:
        """Serve requests until the connection must close (False) or is parked idle (True). What
        it raises (the peer went away or stalled...) is for the caller, which then calls _closing().
        No try block here: this frame stays on an upgraded connection's stack."""
        cdef Request req
        cdef Protocol proto = self.proto
        while True:
            req = self._next_request()
            if req is None:
                if self.is_parked:
                    return True
                break
            self.requests += 1
            if not self._handle(req) or self.requests >= proto.max_requests or proto.stopping:
                break
        self._closing()
        return False

    cdef int _closing(self) except -1:
        # The connection is done (its socket is closed by the server): forget it, keep its parser.
        self.proto.live.discard(self)
        self._release_parser()
        return 0

    # -- reading ------------------------------------------------------------------------------------

    cdef Request _next_request(self):
        """The next request, or None when the connection should close (after answering errors) or
        was parked."""
        cdef RequestParser parser
        cdef Protocol proto = self.proto
        cdef double deadline, remaining
        if self.detached:
            return None
        parser = self.parser
        if parser is None:
            parser = self.parser = proto.take_parser()
        if parser.nready:
            return parser.pop()
        if parser.error is not None:
            self._send_error(parser.error.status, parser.error.reason)
            return None
        if self.eof or parser.upgraded:
            return None
        if parser.cur is None and self.requests and not self.woken:
            # Idle between requests: park, or wait here for the first byte (keep-alive timeout).
            if proto.stopping:
                return None
            if not self.tls or not self.sock.pending():
                if self.may_park:
                    self._park()
                    return None
                if not self._wait_idle():
                    return None
        self.woken = False
        deadline = fh_monotonic() + proto.header_timeout
        while not parser.nready:
            if parser.error is not None:
                self._send_error(parser.error.status, parser.error.reason)
                return None
            if parser.upgraded:
                break
            remaining = deadline - fh_monotonic()
            if remaining <= 0:
                self._header_timeout()
                return None
            try:
                data = recv_for(self.sock, remaining)
            except TimeoutError:
                self._header_timeout()
                return None
            if not data:
                self.eof = True
                return None
            parser.feed(data)
        return parser.pop()

    cdef bint _wait_idle(self) except -1:
        # The green thread waits for the next request's first byte; False: give up on the connection.
        self.idle = True
        try:
            _wait(self.sock.fileno(), FH_READ, fh_monotonic() + self.proto.keepalive_timeout)
        except (TimeoutError, FdClosedError, ValueError):
            return False
        finally:
            self.idle = False
        return True

    cdef int _park(self) except -1:
        cdef Protocol proto = self.proto
        self._release_parser()
        self.listener = proto.hub._listen(_fd_of(self.sock), FH_READ, _wake, (self,))
        self.parked_at = fh_monotonic()
        self.is_parked = True
        self.idle = True
        proto.parked += 1
        if proto.sweeper is None:
            proto.sweeper = proto.hub.timers.schedule(self.parked_at + proto.sweep_interval, _sweep,
                                                      (proto,))
        return 0

    cdef int _unpark(self) except -1:
        if self.is_parked:
            self.is_parked = False
            self.idle = False
            self.proto.parked -= 1
            self.listener.cancel()
            self.listener = None
        return 0

    cdef int _close_parked(self) except -1:
        if self.is_parked:
            self._unpark()
            self.proto.live.discard(self)
            _close(self.sock)
            self.proto.server._slots.release()
        return 0

    cdef int _release_parser(self) except -1:
        cdef RequestParser parser = self.parser
        if parser is not None:
            self.parser = None
            self.proto.give_parser(parser)
        return 0

    cdef int _header_timeout(self) except -1:
        # A client that trickles (or never sends) its headers: tell it if it sent anything at all.
        if self.parser is not None and self.parser.cur is not None:
            self._send_error(408, "request headers not received in time")
        return 0

    cdef int _read_body(self, Request req) except -1:
        # Called by Input when the parser has no buffered chunk for this request.
        cdef object err = req.error
        if err is not None:
            raise BadRequestBody(f"fasthub.wsgi: {err.reason}", err.status)
        if self.eof or self.detached or self.parser is None or self.parser.upgraded:
            raise ClientDisconnected("fasthub.wsgi: the client closed the connection before "
                                     "sending the whole request body")
        self._send_continue(req, False)
        try:
            data = recv_for(self.sock, self.proto.socket_timeout)
        except FdClosedError:
            raise ClientDisconnected("fasthub.wsgi: the connection was closed") from None
        except (ConnectionError, _SSLError) as e:
            raise ClientDisconnected(f"fasthub.wsgi: connection lost while reading the body: {e}") from None
        if not data:
            self.eof = True
            if not req.complete:
                raise ClientDisconnected("fasthub.wsgi: the client closed the connection before "
                                         "sending the whole request body")
            return 0
        self.parser.feed(data)
        if req.error is not None and not req.body:
            self._read_body(req)
        return 0

    # -- the request --------------------------------------------------------------------------------

    cdef dict _environ(self, Request req):
        cdef Protocol proto = self.proto
        cdef dict env = PyDict_Copy(proto.base_environ)
        cdef list headers = req.headers
        cdef Py_ssize_t i, n = len(headers), hosts = 0
        cdef PyObject *found
        cdef bytes url, path, query, name
        cdef const char *q
        cdef object key
        cdef str value, te = None, cl = None, expect = None
        cdef Input inp
        if PyBytes_GET_SIZE(req.method) == 3 and memcmp(PyBytes_AS_STRING(req.method), b"GET", 3) == 0:
            method = "GET"
        else:
            found = PyDict_GetItem(_METHODS, req.method)
            if found == NULL:
                method = req.method.decode("ascii")
                _METHODS[req.method] = method
            else:
                method = <object>found
        env["REQUEST_METHOD"] = method
        url = req.url
        if PyBytes_GET_SIZE(url) == 0 or PyBytes_AS_STRING(url)[0] != 47:   # not "/..."
            url = _origin_form(url)
        q = <const char *>memchr(PyBytes_AS_STRING(url), 63, PyBytes_GET_SIZE(url))   # "?"
        if q == NULL:
            path = url
            query = b""
        else:
            i = q - PyBytes_AS_STRING(url)
            path = url[:i]
            query = url[i + 1:]
            if b"#" in query:
                query = query.partition(b"#")[0]
        raw_path = path.decode("latin-1")
        env["RAW_PATH_INFO"] = raw_path
        # The request target exactly as sent (gunicorn's RAW_URI, werkzeug's REQUEST_URI and
        # RAW_URI): it keeps a bare trailing "?" that PATH_INFO and QUERY_STRING cannot show.
        raw_uri = raw_path if url is req.url and q == NULL else req.url.decode("latin-1")
        env["REQUEST_URI"] = raw_uri
        env["RAW_URI"] = raw_uri
        env["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1") if b"%" in path else raw_path
        if PyBytes_GET_SIZE(query):
            env["QUERY_STRING"] = query.decode("latin-1")
        if req.version != "1.1":
            env["SERVER_PROTOCOL"] = "HTTP/1.0"
        env["REMOTE_ADDR"] = self.remote_addr
        env["REMOTE_PORT"] = self.remote_port
        if self.tls:
            env["wsgi.url_scheme"] = "https"
            env["HTTPS"] = "on"
        for i in range(0, n, 2):
            name = headers[i]
            key = _environ_key(name)
            if key is None:
                continue
            value = (<bytes>headers[i + 1]).decode("latin-1")
            if key is K_HOST:
                hosts += 1
            elif key is K_TE:
                te = value
            elif key is K_CONTENT_LENGTH:
                cl = value
            elif key is K_EXPECT:
                expect = value
            found = <PyObject *>PyDict_SetDefault(env, key, value)
            if found == <PyObject *>value:
                pass
            elif not _http_key(key):
                raise ParseError(400, f"duplicate {name.decode('latin-1')} header")
            else:
                env[key] = <str><object>found + ("; " if key is K_COOKIE else ",") + value
        if te is not None:
            te = env[K_TE]
            if te.strip().lower() != "chunked":
                raise ParseError(501, f"unsupported Transfer-Encoding {te!r}")
            req.chunked = True
        if cl is not None:
            req.content_length = int(cl)   # llhttp already checked it is all digits
            if req.content_length > proto.max_body:
                raise ParseError(413, "request body too large")
        if expect is not None:
            expect = env[K_EXPECT]
            if expect.lower() != "100-continue":
                raise ParseError(417, f"unsupported expectation {expect!r}")
            if req.version == "1.1" and (req.chunked or req.content_length > 0):
                req.expect = True   # even if the body came with the headers (see _send_continue)
        if hosts > 1 or (not hosts and req.version == "1.1" and self.proto.require_host):
            # RFC 9112 3.2: an HTTP/1.1 request without Host, or any with several, gets 400.
            raise ParseError(400, "missing Host header" if not hosts else "more than one Host header")
        req.headers = None   # all in the environ now; an upgraded connection lives long
        inp = Input.__new__(Input)
        inp._conn = self
        inp._req = req
        inp._buf = b""
        inp._done = req.complete and not req.body
        env["wsgi.input"] = inp
        env["eventlet.input"] = inp
        env["fasthub.input"] = inp
        env["eventlet.posthooks"] = []
        if proto.socket_environ_key is not None:
            env[proto.socket_environ_key] = self.sock
        return env

    cdef bint _handle(self, Request req) except -1:
        """Run the app for ``req`` and send its response; True to keep the connection.

        Kept small: an upgraded connection's whole life (a WebSocket handler) runs inside the app
        call, with this frame saved on its green thread's stack while it waits. The rare paths are
        separate functions."""
        cdef dict env = self._begin(req)
        if env is None:
            return False
        try:
            result = self.proto.application(env, self._start_response)
        except Exception as e:
            return self._app_failed(env, req, e, self.t0)
        return self._respond(env, req, result, self.t0)

    cdef bint _respond(self, dict env, Request req, object result, double t0) except -1:
        # The application returned ``result``: send it (unless it took the connection over).
        try:
            try:
                if result is not ALREADY_HANDLED and not self.detached:
                    self._write_result(result)
            finally:
                if type(result) is not list:
                    self._close_result(result)
        except Exception as e:
            return self._app_failed(env, req, e, t0)
        if result is ALREADY_HANDLED or self.detached:
            self.close_after = True
            return self._end(env, req, t0, self.status[:3] if self.status else "-")
        return self._end(env, req, t0, None)

    cdef dict _begin(self, Request req):
        # The per-request state reset, and the environ (None if the request was refused).
        self.req = req
        self.status = None
        self.out_headers = None
        self.headers_sent = False
        self.out_length = -1
        self.chunked = False
        self.close_after = not req.keep_alive or self.requests >= self.proto.max_requests
        self.sent = 0
        self.continue_sent = False
        self.continue_headers = None
        self.head = PyBytes_GET_SIZE(req.method) == 4 and memcmp(PyBytes_AS_STRING(req.method), b"HEAD", 4) == 0
        self.t0 = time.perf_counter() if self.proto.log is not None else 0.0
        try:
            return self._environ(req)
        except ParseError as e:
            self._send_error(e.status, e.reason)
            return None

    cdef int _close_result(self, object result) except -1:
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return 0

    cdef bint _end(self, dict env, Request req, double t0, object status_code) except -1:
        # After the response: access log (status_code, or the response's), posthooks, and whether the
        # connection goes on.
        cdef Protocol proto = self.proto
        if proto.log is not None:
            self._log_access(env, req, status_code if status_code is not None else str(self.code), t0)
        hooks = env["eventlet.posthooks"]
        if hooks:
            for hook, args, kwargs in hooks:
                try:
                    hook(env, *args, **kwargs)
                except Exception:
                    proto.server._log_error(f"fasthub.wsgi: error in posthook {hook!r}", sys.exc_info())
        self.req = None
        self.out_headers = None
        # The response is out: a refusal of the next request (a parse error, a header timeout) must
        # be answered, not mistaken for a response already under way.
        self.headers_sent = False
        if self.close_after or self.detached or req.upgrade:
            return False
        if not req.complete:
            return self._drain(req)
        return True

    cdef bint _app_failed(self, dict env, Request req, object e, double t0) except -1:
        # The application (or writing its response) raised ``e``: answer what can still be answered;
        # True if the connection goes on.
        cdef Protocol proto = self.proto
        if isinstance(e, BadRequestBody):
            self.close_after = True
            if self.headers_sent:
                return False
            self._send_error(e.status, str(e))
            return self._end(env, req, t0, str(e.status))
        if isinstance(e, (ClientDisconnected, FdClosedError, StopIteration)):
            # StopIteration: gunicorn's convention for an application that took the connection over
            # through environ['gunicorn.socket'] (simple-websocket, engineio) and is done with it.
            self._log_access(env, req, "-", t0)
            return False
        if isinstance(e, (ConnectionError, TimeoutError)):
            if not self.headers_sent and not isinstance(e, ConnectionError):
                self._send_error(408, "request body not received in time")
            self._log_access(env, req, "-", t0)
            return False
        self.close_after = True
        proto.server._log_error(f"fasthub.wsgi: error in the application for "
                                f"{env.get('REQUEST_METHOD')} {env.get('RAW_PATH_INFO')!r}",
                                (type(e), e, e.__traceback__))
        if self.headers_sent:
            return False
        self._send_error(500, "the server failed to handle this request")
        return self._end(env, req, t0, "500")

    cdef bint _drain(self, Request req) except -1:
        # The app did not read the whole body. Without 100-continue sent the client may or may not
        # send it: close. Otherwise read and drop a little; more than that is not worth keeping.
        cdef Py_ssize_t budget = DRAIN_LIMIT
        cdef Input inp
        if req.error is not None or (req.expect and not self.continue_sent and not req.complete):
            return False
        inp = Input.__new__(Input)
        inp._conn = self
        inp._req = req
        inp._buf = b""
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

    # -- taking over the socket ---------------------------------------------------------------------

    cdef object _detach(self):
        if not self.detached:
            self.detached = True
            self.close_after = True
            # The application gets blocking semantics (a green wait, no timeout), like eventlet's
            # get_socket(): a socket left at timeout 0.0 raised BlockingIOError in simple-websocket.
            self.sock.settimeout(None)
            if self.parser is not None:
                # The parser is done with this connection: keep only the new protocol's first bytes.
                self.leftover = self.parser.leftover
                self.parser = None
        return self.sock

    cdef bytes _take_leftover(self):
        cdef bytes data
        if self.parser is not None:
            data, self.parser.leftover = self.parser.leftover, b""
        else:
            data, self.leftover = self.leftover or b"", None
        return data

    # -- logging ------------------------------------------------------------------------------------

    def _log_access(self, env, Request req, status_code, t0):
        server = self.proto.server
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


# --- wsgi.input -----------------------------------------------------------------------------------

@cython.final
@cython.freelist(16)
cdef class Input:
    """``wsgi.input`` / ``eventlet.input``: the request body as a blocking file-like object.

    read/readline/readlines/iteration block the calling green thread while the body is in flight
    and return b'' at its end (chunked bodies included). Raises ClientDisconnected if the client
    goes away mid-body, BadRequestBody for bad chunking or a body over the limit, TimeoutError
    if the client stalls longer than the server's socket_timeout.
    """

    cdef bytes _chunk(self):
        # The next body chunk from the parser, reading the socket when none is buffered.
        cdef Request req = self._req
        cdef bytes data
        if req.expect and not self._done:
            self._conn._send_continue(req, False)  # the first read tells the client to go on
        while req.body is None or not req.body:
            if req.complete or self._done:
                self._done = True
                return b""
            self._conn._read_body(req)
        data = req.body.popleft()
        req.body_read += PyBytes_GET_SIZE(data)
        if req.body_read > self._conn.proto.max_body:
            req.error = ParseError(413, "request body too large")
            raise BadRequestBody("fasthub.wsgi: request body over the server's limit", 413)
        return data

    def read(self, size=-1):
        """Read up to ``size`` bytes (all the rest if size is None or negative)."""
        cdef bytes buf = self._buf, data
        cdef Py_ssize_t pos = self._pos, avail, want
        if size is None or size < 0:
            parts = [buf[pos:]] if pos < len(buf) else []
            while True:
                data = self._chunk()
                if not data:
                    break
                parts.append(data)
            self._buf, self._pos = b"", 0
            return b"".join(parts)
        want = size
        if want == 0:
            return b""
        avail = len(buf) - pos
        if avail >= want:
            self._pos = pos + want
            return buf[pos:pos + want]
        parts = [buf[pos:]] if avail else []
        while avail < want:
            data = self._chunk()
            if not data:
                break
            parts.append(data)
            avail += len(data)
        data = b"".join(parts)
        self._buf = data
        self._pos = min(want, len(data))
        return data[:want]

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

        The socket blocks (timeout None) as a plain one would, parking only the calling green thread.
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
        """Send '100 Continue' now (again if it was sent), if the client asked for it (Expect) and
        the final response has not started (eventlet's method of the same name)."""
        self._conn._send_continue(self._req, True)

    def set_hundred_continue_response_headers(self, headers, capitalize_response_headers=True):
        """Headers (name, value pairs) to send with the next '100 Continue' (eventlet's method);
        names are capitalized word by word ('x-id' -> 'X-Id') unless capitalize_response_headers
        is false. Bad names or values raise ValueError."""
        self._conn._set_continue_headers(headers, capitalize_response_headers)
