"""fasthub.wsgi over real loopback sockets: HTTP/1.1 features, PEP 3333 conformance, eventlet
compatibility, hostile clients, graceful stop, and the ``python -m fasthub.wsgi`` CLI."""

import http.client
import io
import logging
import os
import signal
import socket as stdsocket
import ssl
import struct
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import wsgiref.validate

import pytest

import fasthub
import fasthub.green.socket
from fasthub import wsgi
from fasthub.web.convenience import connect
from fasthub.wsgi import WSGIServer


# --- helpers ------------------------------------------------------------------------------------

def hello(env, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello " + env["PATH_INFO"].encode("latin-1")]


def echo_body(env, start_response):
    body = env["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


def serve(app, **kw):
    kw.setdefault("log", None)
    kw.setdefault("error_log", io.StringIO())
    srv = WSGIServer(("127.0.0.1", 0), app, **kw)
    srv.start()
    return srv


class _Reader:
    """A shared buffered reader whose close() does nothing, so several http.client responses can
    be read from one connection in order (pipelining)."""

    def __init__(self, f):
        self._f = f

    def __getattr__(self, name):
        return getattr(self._f, name)

    def close(self):
        pass


class _FileSock:
    def __init__(self, reader):
        self.reader = reader

    def makefile(self, *a, **kw):
        return self.reader


def responses(sock):
    """A function returning the next http.client.HTTPResponse read from ``sock``."""
    reader = _Reader(sock.makefile("rb"))

    def next_response(method="GET"):
        r = http.client.HTTPResponse(_FileSock(reader), method=method)
        r.begin()
        r.body = r.read()
        return r
    return next_response


def exchange(srv, data, count=1, method="GET"):
    """Send raw bytes on a new connection; return ``count`` parsed responses and the socket."""
    s = connect(srv.address)
    s.settimeout(10)
    s.sendall(data)
    nxt = responses(s)
    out = [nxt(method) for _ in range(count)]
    return out, s


def read_until_close(sock, limit=1 << 20):
    chunks = []
    while sum(map(len, chunks)) < limit:
        try:
            d = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not d:
            break
        chunks.append(d)
    return b"".join(chunks)


def status_of(raw):
    return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.1 ") else None


def assert_serving(srv):
    """Another client is served normally (the server survived what the test did)."""
    (r,), s = exchange(srv, b"POST /alive HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nalive")
    s.close()
    assert r.status == 200 and b"alive" in r.body


def in_thread(fn):
    """Run blocking ``fn`` in an OS thread while the hub keeps serving; return its result."""
    w = fasthub.Waiter()

    def run():
        try:
            res = fn()
        except BaseException as e:  # noqa: BLE001 - handed back to the test
            w.throw(e)
        else:
            w.switch(res)
    threading.Thread(target=run, daemon=True).start()
    return w.get()


# --- basics -------------------------------------------------------------------------------------

def test_hello_world_headers_and_body():
    srv = serve(hello)
    (r,), s = exchange(srv, b"GET /p%20q?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert r.status == 200 and r.reason == "OK"
    assert r.body == b"hello /p q"
    assert r.getheader("Content-Length") == str(len(r.body))
    assert r.getheader("Date").endswith("GMT")
    assert r.getheader("Connection") is None     # HTTP/1.1 keep-alive is implicit
    s.close()
    srv.stop()


def test_real_stdlib_client_in_a_thread():
    srv = serve(hello)
    port = srv.address[1]

    def client():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        out = []
        for path in ("/a", "/b", "/c"):
            c.request("GET", path)
            r = c.getresponse()
            out.append((r.status, r.read()))
        c.close()
        return out
    assert in_thread(client) == [(200, b"hello /a"), (200, b"hello /b"), (200, b"hello /c")]
    srv.stop()


# The origin-form rows are what gunicorn 27.0.1 (RAW_URI) and werkzeug 3.1.9's dev server (REQUEST_URI and
# RAW_URI) give, checked by hand: PATH_INFO and QUERY_STRING cannot tell "/p?" from "/p", the raw
# target keeps the "?". An absolute-form target stays as sent too.
@pytest.mark.parametrize("target, path, query", [
    ("/path?", "/path", ""),
    ("/path", "/path", ""),
    ("/path?a=1", "/path", "a=1"),
    ("/p%20x?", "/p x", ""),
    ("/path??x", "/path", "?x"),
    ("http://h/abs?", "/abs", ""),
])
def test_raw_request_target_keeps_a_bare_question_mark(target, path, query):
    seen = []

    def app(env, start_response):
        seen.append((env["PATH_INFO"], env["QUERY_STRING"], env["REQUEST_URI"], env["RAW_URI"]))
        start_response("204 No Content", [])
        return []
    srv = serve(app)
    # Two requests on one connection: the second must not see the first one's raw target.
    (r1, r2), s = exchange(srv, f"GET {target} HTTP/1.1\r\nHost: h\r\n\r\n".encode()
                           + b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n", count=2)
    assert r1.status == r2.status == 204
    s.close()
    assert seen == [(path, query, target, target), ("/next", "", "/next", "/next")]
    srv.stop()


def test_environ_contents():
    seen = {}

    def app(env, start_response):
        seen.update(env)
        start_response("204 No Content", [])
        return []
    srv = serve(app, environ={"custom.key": 7})
    (r,), s = exchange(srv, b"POST /a%2Fb/c?q=%41&r HTTP/1.1\r\nHost: h:1\r\nContent-Type: text/x"
                            b"\r\nContent-Length: 0\r\nX-Multi: 1\r\nX-Multi: 2\r\nCookie: a=1\r\n"
                            b"Cookie: b=2\r\nX_Spoof: evil\r\n\r\n")
    assert r.status == 204 and r.body == b""
    assert seen["REQUEST_METHOD"] == "POST"
    assert seen["PATH_INFO"] == "/a/b/c" and seen["RAW_PATH_INFO"] == "/a%2Fb/c"
    assert seen["QUERY_STRING"] == "q=%41&r"
    assert seen["SCRIPT_NAME"] == "" and seen["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert seen["CONTENT_TYPE"] == "text/x" and seen["CONTENT_LENGTH"] == "0"
    assert seen["HTTP_HOST"] == "h:1" and seen["HTTP_X_MULTI"] == "1,2"
    assert seen["HTTP_COOKIE"] == "a=1; b=2"
    assert "HTTP_X_SPOOF" not in seen     # names with underscores are dropped
    assert seen["REMOTE_ADDR"] == "127.0.0.1" and seen["REMOTE_PORT"] == str(s.getsockname()[1])
    assert seen["SERVER_PORT"] == str(srv.address[1])
    assert seen["wsgi.version"] == (1, 0) and seen["wsgi.url_scheme"] == "http"
    assert seen["wsgi.input"] is seen["eventlet.input"]
    assert seen["wsgi.file_wrapper"] is wsgi.FileWrapper
    assert seen["eventlet.posthooks"] == [] and seen["custom.key"] == 7
    s.close()
    srv.stop()


def test_absolute_form_target():
    srv = serve(hello)
    (r,), s = exchange(srv, b"GET http://example.com/abs?x HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert r.body == b"hello /abs"
    s.close()
    srv.stop()


def test_keepalive_http11_and_http10():
    srv = serve(hello)
    (r1, r2), s = exchange(srv, b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                                b"GET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 2)
    assert (r1.body, r2.body) == (b"hello /1", b"hello /2")
    assert r2.getheader("Connection") == "close"
    assert read_until_close(s) == b""          # the server closed after the 'close' request
    s.close()
    # HTTP/1.0: closes by default, keeps alive when asked.
    s = connect(srv.address)
    s.sendall(b"GET /old HTTP/1.0\r\n\r\n")
    raw = read_until_close(s)
    assert raw.startswith(b"HTTP/1.1 200") and b"Connection: close" in raw and raw.endswith(b"hello /old")
    s.close()
    (r1, r2), s = exchange(srv, b"GET /k1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                b"GET /k2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 2)
    assert r1.getheader("Connection") == "keep-alive" and r2.body == b"hello /k2"
    s.close()
    srv.stop()


def test_pipelining_keeps_order_with_bodies():
    srv = serve(echo_body)
    reqs = b"".join([
        b"POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst",
        b"POST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nsec\r\n3\r\nond\r\n0\r\n\r\n",
        b"GET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /4 HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nfourth",
    ])
    rs, s = exchange(srv, reqs, 4)
    assert [r.body for r in rs] == [b"first", b"second", b"", b"fourth"]
    s.close()
    # The same, one byte at a time.
    s = connect(srv.address)
    for i in range(len(reqs)):
        s.sendall(reqs[i:i + 1])
    nxt = responses(s)
    assert [nxt().body for _ in range(4)] == [b"first", b"second", b"", b"fourth"]
    s.close()
    srv.stop()


def test_chunked_request_body_read_in_pieces():
    got = {}

    def app(env, start_response):
        inp = env["wsgi.input"]
        got["first"] = inp.read(4)
        got["line"] = inp.readline()
        got["rest"] = inp.read()
        got["after"] = inp.read()
        start_response("200 OK", [])
        return [b"ok"]
    srv = serve(app)
    body = b"5\r\nabcde\r\n6\r\nfg\nhij\r\n3\r\nklm\r\n0\r\nX-Trailer: ignored\r\n\r\n"
    (r,), s = exchange(srv, b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert r.status == 200
    assert got == {"first": b"abcd", "line": b"efg\n", "rest": b"hijklm", "after": b""}
    s.close()
    srv.stop()


def test_chunked_response_from_a_generator_and_write():
    def gen_app(env, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"one,"
        yield b""
        yield b"two,"
        yield b"three"

    def write_app(env, start_response):
        write = start_response("200 OK", [])
        write(b"written,")
        return [b"returned"]
    for app, expected in ((gen_app, b"one,two,three"), (write_app, b"written,returned")):
        srv = serve(app)
        (r1, r2), s = exchange(srv, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" * 2, 2)
        assert r1.getheader("Transfer-Encoding") == "chunked"
        assert r1.body == expected and r2.body == expected
        s.close()
        # HTTP/1.0 client: no chunking, the end of the body is the close.
        s = connect(srv.address)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        raw = read_until_close(s)
        assert b"chunked" not in raw and raw.endswith(b"\r\n\r\n" + expected)
        s.close()
        srv.stop()


def test_declared_content_length_streamed():
    def app(env, start_response):
        start_response("200 OK", [("Content-Length", "10")])
        yield b"01234"
        yield b"56789"
    srv = serve(app)
    (r1, r2), s = exchange(srv, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" * 2, 2)
    assert r1.getheader("Content-Length") == "10" and r1.getheader("Transfer-Encoding") is None
    assert r1.body == r2.body == b"0123456789"
    s.close()
    srv.stop()


def test_head_has_length_but_no_body_and_keeps_alive():
    srv = serve(hello)
    s = connect(srv.address)
    s.sendall(b"HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /g HTTP/1.1\r\nHost: a\r\n\r\n")
    nxt = responses(s)
    r = nxt("HEAD")
    assert r.status == 200 and r.getheader("Content-Length") == "8" and r.body == b""
    assert nxt().body == b"hello /g"
    s.close()
    srv.stop()


def test_expect_100_continue():
    srv = serve(echo_body)
    s = connect(srv.address)
    s.settimeout(10)
    s.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
    assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"   # sent when the app reads
    s.sendall(b"data")
    r = responses(s)()
    assert r.status == 200 and r.body == b"data"
    s.close()

    # An app that answers without reading: no 100 is sent and the connection closes after.
    srv2 = serve(hello)
    s = connect(srv2.address)
    s.settimeout(10)
    s.sendall(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
    raw = read_until_close(s)
    assert raw.startswith(b"HTTP/1.1 200") and b"100 Continue" not in raw
    assert raw.endswith(b"hello /x") and b"Connection: close" in raw
    s.close()
    srv.stop()
    srv2.stop()


def _read_head(f):
    """One response head (status line and headers) from the binary file ``f``, as a list of lines."""
    lines = []
    while True:
        line = f.readline()
        assert line, "connection closed before the end of a response head"
        if line == b"\r\n":
            return lines
        lines.append(line.rstrip(b"\r\n"))


def test_100_continue_is_sent_even_when_the_body_came_with_the_headers():
    # The body is already buffered when the app reads it: the client still gets its 100 Continue
    # (eventlet's clients wait for it), then the answer, and the connection stays usable.
    srv = serve(echo_body)
    s = connect(srv.address)
    s.settimeout(10)
    f = s.makefile("rb")
    for _ in range(2):
        s.sendall(b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n"
                  b"testing")
        assert _read_head(f) == [b"HTTP/1.1 100 Continue"]
        head = _read_head(f)
        assert head[0] == b"HTTP/1.1 200 OK" and b"Connection: close" not in head
        assert f.read(7) == b"testing"
    s.close()
    srv.stop()


def test_100_continue_headers_and_a_second_100_on_request():
    def app(env, start_response):
        body = env["wsgi.input"]
        body.set_hundred_continue_response_headers([("x-first", "1"), ("X-Other", "o")])
        text = body.read(5)
        body.set_hundred_continue_response_headers([("x-second", "2")])
        body.send_hundred_continue_response()
        text += body.read(6)
        with pytest.raises(ValueError):
            body.set_hundred_continue_response_headers([("X-Bad", "a\r\nInjected: 1")])
        start_response("200 OK", [("Content-Length", str(len(text)))])
        return [text]

    srv = serve(app)
    s = connect(srv.address)
    s.settimeout(10)
    f = s.makefile("rb")
    s.sendall(b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
    assert _read_head(f) == [b"HTTP/1.1 100 Continue", b"X-First: 1", b"X-Other: o"]
    s.sendall(b"first")
    assert _read_head(f) == [b"HTTP/1.1 100 Continue", b"X-Second: 2"]
    s.sendall(b" later")
    assert _read_head(f)[0] == b"HTTP/1.1 200 OK"
    assert f.read(11) == b"first later"
    s.close()
    srv.stop()


def test_connection_keep_alive_is_echoed_with_the_idle_timeout():
    srv = serve(hello, keepalive=2.5)
    (r1, r2), s = exchange(srv, b"GET /a HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"
                                b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n", 2)
    assert r1.getheader("Connection") == "keep-alive" and r1.getheader("Keep-Alive") == "timeout=2"
    assert r2.getheader("Connection") is None   # a client that did not say it is not told
    s.close()
    (r,), s = exchange(srv, b"GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert r.getheader("Connection") == "keep-alive" and r.getheader("Keep-Alive") == "timeout=2"
    s.close()
    srv.stop()


def test_unread_small_body_is_drained_for_keepalive():
    srv = serve(hello)
    (r1, r2), s = exchange(srv, b"POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nxxxxx"
                                b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n", 2)
    assert (r1.body, r2.body) == (b"hello /1", b"hello /2")
    s.close()
    srv.stop()


def test_input_streams_while_the_client_sends():
    progress = []

    def app(env, start_response):
        inp = env["wsgi.input"]
        while True:
            line = inp.readline()
            if not line:
                break
            progress.append(line)
        start_response("200 OK", [])
        return [b"%d" % len(progress)]
    srv = serve(app)
    s = connect(srv.address)
    s.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    for i in range(3):
        line = b"line %d\n" % i
        s.sendall(b"%x\r\n%s\r\n" % (len(line), line))
        deadline = time.monotonic() + 5
        while len(progress) < i + 1 and time.monotonic() < deadline:
            fasthub.sleep(0.005)
        assert len(progress) == i + 1    # the app had the line before the next one was sent
    s.sendall(b"0\r\n\r\n")
    assert responses(s)().body == b"3"
    s.close()
    srv.stop()


def test_file_wrapper_uses_sendfile(tmp_path, monkeypatch):
    data = os.urandom(300_000)
    path = tmp_path / "blob"
    path.write_bytes(data)
    calls = []
    real_sendfile = os.sendfile

    def counting_sendfile(*args):
        calls.append(args)
        return real_sendfile(*args)
    monkeypatch.setattr(os, "sendfile", counting_sendfile)

    def app(env, start_response):
        f = open(path, "rb")
        f.seek(1000)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return env["wsgi.file_wrapper"](f, 8192)
    srv = serve(app)
    s = connect(srv.address)
    s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
    nxt = responses(s)
    r = nxt()
    assert r.body == data[1000:] and r.getheader("Content-Length") == str(len(data) - 1000)
    h = nxt("HEAD")
    assert h.body == b"" and h.getheader("Content-Length") == str(len(data) - 1000)
    assert nxt().body == data[1000:]
    assert calls, "sendfile(2) was not used"
    s.close()
    srv.stop()


def test_file_wrapper_with_non_file_iterates():
    def app(env, start_response):
        start_response("200 OK", [])
        return wsgi.FileWrapper(io.BytesIO(b"x" * 20000), 1000)
    srv = serve(app)
    (r,), s = exchange(srv, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert r.body == b"x" * 20000
    s.close()
    srv.stop()


def test_iterable_close_is_called_and_posthooks_run():
    events = []

    class Body:
        def __iter__(self):
            yield b"a"
            yield b"b"

        def close(self):
            events.append("close")

    def app(env, start_response):
        env["eventlet.posthooks"].append((lambda e, x: events.append(("hook", x, e["PATH_INFO"])), ("arg",), {}))
        start_response("200 OK", [])
        return Body()
    srv = serve(app)
    (r,), s = exchange(srv, b"GET /p HTTP/1.1\r\nHost: a\r\n\r\n")
    assert r.body == b"ab"
    assert events == ["close", ("hook", "arg", "/p")]
    s.close()
    srv.stop()


def test_wsgiref_validator_accepts_the_server():
    inner_seen = []

    def app(env, start_response):
        body = b""
        while True:
            chunk = env["wsgi.input"].read(8192)   # the validator insists on a size argument
            if not chunk:
                break
            body += chunk
        lines = []
        if env["REQUEST_METHOD"] == "PUT":
            lines = list(env["wsgi.input"])
        env["wsgi.errors"].write("")
        env["wsgi.errors"].flush()
        inner_seen.append((env["REQUEST_METHOD"], body, lines))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body) + 2))])
        return iter([b"<<", body])
    validated = wsgiref.validate.validator(app)
    errors = io.StringIO()
    srv = serve(validated, error_log=errors)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rs, s = exchange(srv, b"GET /v?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
                              b"POST /v HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc"
                              b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
                              b"PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 4)
    assert [r.status for r in rs] == [200, 200, 200, 200], errors.getvalue()
    assert [r.body for r in rs] == [b"<<", b"<<abc", b"<<hi", b"<<"]
    assert errors.getvalue() == ""
    assert [m for m, _, _ in inner_seen] == ["GET", "POST", "POST", "PUT"]
    s.close()
    srv.stop()


def test_access_log_format_and_logger():
    log = io.StringIO()
    srv = serve(hello, log=log)
    (r,), s = exchange(srv, b"GET /logged?q=1 HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.1.1.1\r\n\r\n")
    s.close()
    srv.stop()
    line = log.getvalue().strip()
    assert line.startswith("10.1.1.1,127.0.0.1 - - [")
    assert '"GET /logged?q=1 HTTP/1.1" 200 13 ' in line
    float(line.rsplit(" ", 1)[1])

    records = []

    class H(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())
    logger = logging.getLogger("fasthub-test-access")
    logger.addHandler(H())
    logger.setLevel(logging.INFO)
    srv = serve(hello, log=logger, log_format="%(client_ip)s %(request_line)s %(status_code)s %(body_length)s",
                log_x_forwarded_for=False)
    (r,), s = exchange(srv, b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    s.close()
    srv.stop()
    assert records == ["127.0.0.1 GET /x HTTP/1.1 200 8"]


def test_eventlet_style_server_function_and_get_socket():
    def app(env, start_response):
        if env["PATH_INFO"] == "/raw":
            sock = env["eventlet.input"].get_socket()
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nraw")
            return wsgi.ALREADY_HANDLED
        return hello(env, start_response)
    lsock = fasthub.listen(("127.0.0.1", 0))
    started = []

    class Event:
        def send(self, value):
            started.append(value)
    log = io.StringIO()
    gt = fasthub.spawn(wsgi.server, lsock, app, log=log, server_event=Event())
    fasthub.sleep(0.01)
    srv = started[0]
    assert isinstance(srv, WSGIServer)
    s = connect(lsock.getsockname())
    s.sendall(b"GET /raw HTTP/1.1\r\nHost: a\r\n\r\n")
    assert read_until_close(s).endswith(b"\r\n\r\nraw")
    s.close()
    (r,), s = exchange(srv, b"GET /n HTTP/1.1\r\nHost: a\r\n\r\n")
    assert r.body == b"hello /n"
    s.close()
    srv.stop()
    gt.wait()
    assert "GET /n HTTP/1.1" in log.getvalue()
    assert lsock.fileno() >= 0    # like eventlet, server() leaves the listener to its owner
    lsock.close()


@pytest.mark.parametrize("how", ["close", "shutdown"])
def test_closing_the_listener_under_server_drops_idle_and_finishes_busy(how):
    # eventlet's way to stop wsgi.server(): shut down/close the listening socket. server() returns,
    # an idle keep-alive connection is closed at once, a request in flight still gets its answer.
    lsock = fasthub.listen(("127.0.0.1", 0))
    addr = lsock.getsockname()
    gt = fasthub.spawn(wsgi.server, lsock, echo_body, log=io.StringIO())
    fasthub.sleep(0.01)
    idle = connect(addr)
    idle.settimeout(5)
    idle.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert responses(idle)().status == 200
    busy = connect(addr)
    busy.settimeout(5)
    busy.sendall(b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n")  # body pending
    fasthub.sleep(0.05)
    if how == "shutdown":
        lsock.shutdown(stdsocket.SHUT_RDWR)
    lsock.close()
    gt.wait()                                   # server() returned
    assert read_until_close(idle) == b""       # the idle connection was closed
    busy.sendall(b"body")
    r = responses(busy)()
    assert r.body == b"body" and r.getheader("Connection") == "close"
    idle.close()
    busy.close()


def test_get_socket_has_blocking_semantics():
    # Regression: the socket came out at timeout 0.0, so simple-websocket's recv() raised
    # BlockingIOError instead of waiting for the client (eventlet's get_socket() waits).
    seen = []

    def app(env, start_response):
        sock = env["eventlet.input"].get_socket()
        seen.append(sock.gettimeout())
        sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
        data = sock.recv(100)           # waits (greenly) for the client's first bytes
        sock.sendall(data.upper())
        return wsgi.ALREADY_HANDLED
    srv = WSGIServer(("127.0.0.1", 0), app)
    srv.start()
    s = connect(srv.address)
    s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101 ")
    fasthub.sleep(0.1)                  # the app is now parked in recv()
    s.sendall(b"ping")
    assert read_until_close(s) == b"PING"
    assert seen == [None]
    s.close()
    srv.stop()


def test_tls(certs):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(certs / "server.pem", certs / "server.key")
    seen = []

    def app(env, start_response):
        seen.append((env["wsgi.url_scheme"], env.get("HTTPS")))
        return echo_body(env, start_response)
    srv = serve(app, ssl_context=ctx)
    port = srv.address[1]

    def client():
        cctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
        c = http.client.HTTPSConnection("localhost", port, context=cctx, timeout=10)
        out = []
        for body in (b"one", b"two" * 30000):
            c.request("POST", "/", body=body)
            r = c.getresponse()
            out.append(r.read() == body)
        c.close()
        # A client that is not speaking TLS does not disturb the server.
        raw = stdsocket.create_connection(("127.0.0.1", port))
        raw.sendall(b"GET / HTTP/1.1\r\n\r\n")
        raw.settimeout(10)
        try:
            leftover = raw.recv(100)
        except ConnectionResetError:
            leftover = b""
        raw.close()
        return out, leftover
    out, leftover = in_thread(client)
    assert out == [True, True] and seen[0] == ("https", "on")
    assert not leftover.startswith(b"HTTP/1.1 200")
    srv.stop()


# --- hostile input ------------------------------------------------------------------------------

@pytest.mark.parametrize("request_bytes, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/1.1\nHost: a\n\n", 400),                               # bare LF
    (b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400),                   # space in a name
    (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400),                       # obsolete folding
    (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
    (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    (b"GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(101)) + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\nX-Big: " + b"v" * 70000 + b"\r\n\r\n", 431),
    (b"POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    (b"POST / HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n", 413),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx", 417),
])
def test_bad_requests_are_answered_and_the_server_goes_on(request_bytes, status):
    srv = serve(echo_body, max_body=1_000_000)
    s = connect(srv.address)
    s.settimeout(10)
    try:
        s.sendall(request_bytes)
    except ConnectionError:
        pass   # the server may answer and close before the whole request was sent
    raw = read_until_close(s)
    assert status_of(raw) == status, raw[:200]
    assert b"Connection: close" in raw
    s.close()
    assert_serving(srv)
    srv.stop()


def test_http11_request_without_host_or_with_two_is_400():
    # RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host header, or with
    # more than one. HTTP/1.0 requests need none.
    srv = serve(hello)
    for request in (b"GET /nohost HTTP/1.1\r\nAccept: */*\r\n\r\n",
                    b"GET /twohosts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                    b"GET /twohosts HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"):
        s = connect(srv.address)
        s.settimeout(10)
        s.sendall(request)
        raw = read_until_close(s)
        assert status_of(raw) == 400 and b"Host" in raw and b"Connection: close" in raw, raw[:300]
        s.close()
    (r,), s = exchange(srv, b"GET /old HTTP/1.0\r\n\r\n")
    assert r.status == 200 and r.body == b"hello /old"
    s.close()
    assert_serving(srv)
    srv.stop()


def test_require_host_false_serves_http11_without_host_but_refuses_two():
    # eventlet's server answers Host-less HTTP/1.1 requests; the eventlet alias asks for that.
    srv = serve(hello, require_host=False)
    (r1, r2), s = exchange(srv, b"GET /nohost HTTP/1.1\r\n\r\nGET /again HTTP/1.1\r\n\r\n", 2)
    assert (r1.status, r1.body, r2.body) == (200, b"hello /nohost", b"hello /again")
    s.close()
    s = connect(srv.address)
    s.settimeout(10)
    s.sendall(b"GET /twohosts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    assert status_of(read_until_close(s)) == 400
    s.close()
    srv.stop()


@pytest.mark.parametrize("method", [b"BREW", b"get", b"FOO-BAR", b"M.1", b"PATCHX"])
def test_unknown_method_that_is_a_token_gets_501_not_400(method):
    # RFC 9110 9.1: a method the server does not know is not a malformed request. llhttp only knows
    # its own list of methods; a token outside it is answered 501 Not Implemented.
    srv = serve(hello)
    s = connect(srv.address)
    s.settimeout(10)
    s.sendall(method + b" /pot HTTP/1.1\r\nHost: a\r\n\r\n")
    raw = read_until_close(s)
    assert status_of(raw) == 501, raw[:200]
    s.close()
    assert_serving(srv)
    srv.stop()


def test_a_bad_request_after_a_served_one_is_still_answered():
    # Regression: after a response on a keep-alive connection, a refused next request (here 414, a
    # header timeout's 408 the same) was met with a silent close: the server thought a response was
    # already under way.
    srv = serve(hello, header_timeout=0.3)
    s = connect(srv.address)
    s.settimeout(10)
    s.sendall(b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    raw = read_until_close(s)
    assert raw.count(b"HTTP/1.1 200 OK") == 1 and b"HTTP/1.1 414 " in raw, raw[-300:]
    s.close()
    s = connect(srv.address)
    s.settimeout(10)
    s.sendall(b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /slow HTTP/1.1\r\nHo")   # never finished
    raw = read_until_close(s)
    assert raw.count(b"HTTP/1.1 200 OK") == 1 and b"HTTP/1.1 408 " in raw, raw[-300:]
    s.close()
    srv.stop()


def test_method_that_is_not_a_token_is_still_400_and_pipelined_unknown_method_is_501():
    srv = serve(hello)
    for request in (b"GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n"):
        s = connect(srv.address)
        s.settimeout(10)
        s.sendall(request)
        assert status_of(read_until_close(s)) == 400
        s.close()
    # The refused method comes after two complete requests (one with a body) in the same packet.
    s = connect(srv.address)
    s.settimeout(10)
    s.sendall(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"
              b"abcBREW /3 HTTP/1.1\r\nHost: a\r\n\r\n")
    raw = read_until_close(s)
    assert raw.count(b"HTTP/1.1 200 OK") == 2 and b"HTTP/1.1 501 " in raw, raw
    s.close()
    srv.stop()


def test_chunked_body_over_the_limit_is_413():
    srv = serve(echo_body, max_body=1000)
    s = connect(srv.address)
    s.settimeout(10)
    s.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    try:
        for _ in range(20):
            s.sendall(b"100\r\n" + b"x" * 256 + b"\r\n")
    except ConnectionError:
        pass
    raw = read_until_close(s)
    assert status_of(raw) == 413
    s.close()
    assert_serving(srv)
    srv.stop()


def test_header_injection_by_the_app_is_refused_and_logged():
    def app(env, start_response):
        if env["PATH_INFO"] != "/inj":
            return hello(env, start_response)
        start_response("200 OK", [("X-Evil", "a\r\nSet-Cookie: pwned=1")])
        return [b"never"]
    errors = io.StringIO()
    srv = serve(app, error_log=errors)
    (r,), s = exchange(srv, b"GET /inj HTTP/1.1\r\nHost: a\r\n\r\n")
    assert r.status == 500
    assert r.getheader("Set-Cookie") is None and b"never" not in r.body
    assert "header injection" in errors.getvalue() and "/inj" in errors.getvalue()
    s.close()
    assert_serving(srv)
    srv.stop()


def test_app_exception_gives_500_and_the_connection_survives_for_others():
    def app(env, start_response):
        if env["PATH_INFO"] == "/boom":
            raise RuntimeError("kaboom")
        return hello(env, start_response)
    errors = io.StringIO()
    srv = serve(app, error_log=errors)
    (r,), s = exchange(srv, b"GET /boom HTTP/1.1\r\nHost: a\r\n\r\n")
    assert r.status == 500 and b"kaboom" not in r.body      # no traceback leaks to clients
    assert "RuntimeError: kaboom" in errors.getvalue()
    s.close()
    assert_serving(srv)
    srv.stop()


def test_bad_app_responses_are_500():
    apps = {
        "/nostart": lambda env, sr: [b"x"],
        "/str": lambda env, sr: (sr("200 OK", []), ["text"])[1],
        "/status": lambda env, sr: (sr("200", []), [b""])[1],
        "/name": lambda env, sr: (sr("200 OK", [("Bad Name", "v")]), [b""])[1],
        "/length": lambda env, sr: (sr("200 OK", [("Content-Length", "99")]), [b"short"])[1],
        "/latin": lambda env, sr: (sr("200 OK", [("X-Snow", "\u2603")]), [b""])[1],
    }

    def app(env, start_response):
        return apps[env["PATH_INFO"]](env, start_response)
    errors = io.StringIO()
    srv = serve(app, error_log=errors)
    for path in apps:
        (r,), s = exchange(srv, b"GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % path.encode())
        assert r.status == 500, path
        s.close()
    assert errors.getvalue().count("Traceback") == len(apps)
    srv.stop()


def test_trickling_headers_hit_the_header_timeout():
    srv = serve(hello, header_timeout=0.5)
    s = connect(srv.address)
    s.settimeout(10)
    t0 = time.monotonic()
    closed = False
    for ch in b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + b"y" * 100:
        try:
            s.sendall(bytes([ch]))
        except ConnectionError:
            closed = True
            break
        fasthub.sleep(0.05)
        if time.monotonic() - t0 > 5:
            break
        assert_serving(srv) if ch == ord("H") else None
    raw = b"" if closed else read_until_close(s)
    assert time.monotonic() - t0 < 4
    assert closed or status_of(raw) == 408
    s.close()
    srv.stop()


def test_silent_and_idle_clients_are_disconnected():
    srv = serve(hello, header_timeout=0.3, keepalive=0.3)
    silent = connect(srv.address)                  # never sends a byte
    idle = connect(srv.address)                    # one request, then stays idle
    idle.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert responses(idle)().status == 200
    t0 = time.monotonic()
    for s in (silent, idle):
        s.settimeout(5)
        assert read_until_close(s) == b""           # closed by the server, nothing sent
        s.close()
    assert time.monotonic() - t0 < 3
    assert_serving(srv)
    srv.stop()


def test_a_request_after_the_keepalive_timeout_finds_the_connection_closed():
    # The sweep of idle connections runs once a second here (keepalive 4 s); a request sent on a
    # connection idle for longer than the timeout, before the sweep came by, is not served.
    calls = []

    def app(env, start_response):
        calls.append(env["PATH_INFO"])
        return hello(env, start_response)
    srv = serve(app, keepalive=4)
    first = connect(srv.address)                  # parks at t0: the sweeps run at t0 + 1, 2, 3...
    first.sendall(b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
    assert responses(first)().status == 200
    fasthub.sleep(0.5)
    late = connect(srv.address)                   # parks at t0 + 0.5: idle 4 s at t0 + 4.5
    late.settimeout(5)
    late.sendall(b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
    assert responses(late)().status == 200
    fasthub.sleep(4.2)                            # t0 + 4.7: expired, the next sweep at t0 + 5
    late.sendall(b"GET /too-late HTTP/1.1\r\nHost: a\r\n\r\n")
    assert read_until_close(late) == b""
    assert calls == ["/a", "/b"]
    first.close()
    late.close()
    srv.stop()


def test_client_vanishing_mid_body_does_not_crash_anything():
    outcome = []

    def app(env, start_response):
        try:
            body = env["wsgi.input"].read()
        except wsgi.ClientDisconnected as e:
            outcome.append(e)
            raise
        start_response("200 OK", [])
        return [body]
    errors = io.StringIO()
    srv = serve(app, error_log=errors)
    for body_start in (b"Content-Length: 1000\r\n\r\npartial",
                       b"Transfer-Encoding: chunked\r\n\r\n10\r\nabc"):
        s = connect(srv.address)
        s.sendall(b"POST / HTTP/1.1\r\nHost: a\r\n" + body_start)
        fasthub.sleep(0.02)
        s.close()
    deadline = time.monotonic() + 5
    while len(outcome) < 2 and time.monotonic() < deadline:
        fasthub.sleep(0.01)
    assert len(outcome) == 2 and all(isinstance(e, ConnectionError) for e in outcome)
    assert errors.getvalue() == ""       # a vanished client is not an application error
    assert_serving(srv)
    srv.stop()


def test_a_thousand_simultaneous_connections():
    n = 1000
    srv = serve(hello, pool=n + 10)
    socks = []
    for i in range(n):
        s = connect(srv.address)
        s.settimeout(20)
        socks.append(s)
    # Everyone is connected at once; now each sends a request and all get answered.
    for i, s in enumerate(socks):
        s.sendall(b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
    deadline = time.monotonic() + 10
    while srv.connection_count() < n and time.monotonic() < deadline:
        fasthub.sleep(0.01)
    assert srv.connection_count() == n
    ok = 0
    for i, s in enumerate(socks):
        r = responses(s)()
        ok += r.body == b"hello /%d" % i
    assert ok == n
    for s in socks:
        s.close()
    srv.stop()


def test_pool_limit_applies_backpressure():
    srv = serve(hello, pool=2, keepalive=5)
    held = [connect(srv.address) for _ in range(2)]
    for s in held:
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert responses(s)().status == 200          # both kept alive, holding the 2 slots
    third = connect(srv.address)                     # completes in the kernel's backlog
    third.sendall(b"GET /third HTTP/1.1\r\nHost: a\r\n\r\n")
    third.settimeout(0.3)
    with pytest.raises(TimeoutError):
        third.recv(100)                              # not accepted while the pool is full
    held[0].close()
    third.settimeout(5)
    assert responses(third)().body == b"hello /third"
    for s in held[1:] + [third]:
        s.close()
    srv.stop()


# --- idle connections -----------------------------------------------------------------------------

def green_threads():
    """Green threads alive in this OS thread's hub (running, ready, parked or pending)."""
    hub = fasthub.get_hub()
    for h in fasthub.stats()["hubs"]:
        if h["thread"] == hub.thread_ident:
            return h["green_threads"]["total"]
    raise AssertionError("fasthub.stats() does not list this thread's hub")


def test_idle_keepalive_connections_hold_no_green_thread():
    srv = serve(hello)
    assert_serving(srv)
    before = green_threads()
    socks = []
    for i in range(30):
        (r,), s = exchange(srv, b"GET /first%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
        assert r.body == b"hello /first%d" % i
        socks.append(s)
    fasthub.sleep(0.05)
    assert srv.connection_count() == 30               # all open, kept alive...
    assert green_threads() == before                  # ... and none holds a green thread
    for i, s in enumerate(socks):                     # each is served again when bytes arrive
        s.sendall(b"GET /again%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
    for i, s in enumerate(socks):
        assert responses(s)().body == b"hello /again%d" % i
        s.close()
    deadline = time.monotonic() + 5
    while srv.connection_count() and time.monotonic() < deadline:
        fasthub.sleep(0.01)
    assert srv.connection_count() == 0                # closed by the clients: forgotten
    srv.stop()


def test_idle_connection_reset_by_the_client_frees_its_pool_slot():
    srv = serve(hello, pool=1)
    (r,), s = exchange(srv, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert r.status == 200
    s.setsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()                                         # RST while the connection is parked
    (r,), s2 = exchange(srv, b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n")   # the one slot is free again
    assert r.body == b"hello /next"
    s2.close()
    srv.stop()


def test_app_errors_on_a_resumed_keepalive_connection():
    calls = []

    def app(env, start_response):
        calls.append(env["PATH_INFO"])
        if env["PATH_INFO"] == "/boom":
            raise RuntimeError("kaboom later")
        return hello(env, start_response)
    errors = io.StringIO()
    srv = serve(app, error_log=errors)
    s = connect(srv.address)
    s.settimeout(10)
    nxt = responses(s)
    s.sendall(b"GET /fine HTTP/1.1\r\nHost: a\r\n\r\n")
    assert nxt().body == b"hello /fine"
    fasthub.sleep(0.05)                               # parked between the two requests
    s.sendall(b"GET /boom HTTP/1.1\r\nHost: a\r\n\r\n")
    r = nxt()
    assert r.status == 500 and r.getheader("Connection") == "close"
    assert "RuntimeError: kaboom later" in errors.getvalue()
    s.close()
    assert calls == ["/fine", "/boom"]
    assert_serving(srv)
    srv.stop()


def test_keepalive_with_a_pool_object_waits_in_its_green_thread():
    # A user's pool bounds green threads: connections keep theirs while idle (no parking), and the
    # keep-alive timeout still applies.
    pool = fasthub.GreenPool(4)
    srv = serve(hello, pool=pool, keepalive=0.3)
    s = connect(srv.address)
    s.settimeout(5)
    nxt = responses(s)
    for path in (b"/a", b"/b"):
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        assert nxt().body == b"hello " + path
    assert pool.running() == 1                        # the idle connection holds its green thread
    t0 = time.monotonic()
    assert read_until_close(s) == b""
    assert time.monotonic() - t0 < 3
    s.close()
    srv.stop()


def test_handle_serves_a_given_connection_in_the_calling_green_thread():
    # gevent's WSGIServer.handle(sock, addr): keep-alive requests are served right here, the idle
    # wait between them included (the connection holds none of the server's pool slots to park on).
    srv = serve(hello, pool=1)
    a, b = fasthub.green.socket.socketpair()
    done = fasthub.spawn(srv.handle, a, ("10.0.0.1", 1234))
    b.settimeout(5)
    nxt = responses(b)
    for path in (b"/x", b"/y"):
        b.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        assert nxt().body == b"hello " + path
        fasthub.sleep(0.05)
    assert not done.dead                              # waiting for the next request
    (r,), s = exchange(srv, b"GET /other HTTP/1.1\r\nHost: a\r\n\r\n")   # the one slot is free
    assert r.body == b"hello /other"
    s.close()
    b.shutdown(stdsocket.SHUT_WR)                     # the client is done: handle() returns
    t0 = time.monotonic()
    assert done.wait() is None
    assert time.monotonic() - t0 < 3
    a.close()
    b.close()
    srv.stop()


def test_environ_has_no_placeholders_left():
    # Every request's environ starts as a copy of a template with the per-request keys: all of them
    # are filled in, whatever the request.
    seen = []

    def app(env, start_response):
        seen.append(dict(env))
        return hello(env, start_response)
    srv = serve(app)
    (r1, r2), s = exchange(srv, b"GET /a?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
                                b"POST /b HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 2)
    s.close()
    for env in seen:
        assert [k for k, v in env.items() if v is None] == []
    assert seen[0]["QUERY_STRING"] == "x=1" and seen[0]["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert seen[1]["QUERY_STRING"] == "" and seen[1]["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert seen[1]["REQUEST_METHOD"] == "POST" and seen[0]["wsgi.input"] is not seen[1]["wsgi.input"]
    srv.stop()


# --- stopping -----------------------------------------------------------------------------------

def test_graceful_stop_finishes_in_flight_and_drops_idle():
    release = fasthub.Waiter()

    def app(env, start_response):
        if env["PATH_INFO"] == "/slow":
            release.get()
        return hello(env, start_response)
    srv = serve(app)
    idle = connect(srv.address)
    idle.sendall(b"GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
    assert responses(idle)().status == 200
    busy = connect(srv.address)
    busy.sendall(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
    fasthub.sleep(0.05)
    fasthub.spawn_after(0.2, release.switch)
    t0 = time.monotonic()
    srv.stop(timeout=5)
    assert time.monotonic() - t0 < 3
    r = responses(busy)()
    assert r.body == b"hello /slow" and r.getheader("Connection") == "close"
    idle.settimeout(5)
    assert read_until_close(idle) == b""
    with pytest.raises(ConnectionRefusedError):
        connect(srv.address)
    idle.close()
    busy.close()


def test_stop_timeout_kills_stuck_handlers():
    def app(env, start_response):
        fasthub.sleep(30)
        return hello(env, start_response)
    srv = serve(app)
    s = connect(srv.address)
    s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    fasthub.sleep(0.05)
    t0 = time.monotonic()
    srv.stop(timeout=0.2)
    assert time.monotonic() - t0 < 2
    assert srv.connection_count() == 0
    s.settimeout(5)
    assert read_until_close(s) == b""
    s.close()


# --- the command line ---------------------------------------------------------------------------

APP_MODULE = textwrap.dedent('''
    import os
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/die":
            os._exit(3)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(os.getpid()).encode()]
''')


def _cli_get(port, path="/"):
    with stdsocket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(b"GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" % path.encode())
        data = b""
        while True:
            d = c.recv(4096)
            if not d:
                break
            data += d
    return data


def test_cli_workers_share_the_port_restart_and_stop(tmp_path):
    (tmp_path / "cliapp.py").write_text(APP_MODULE)
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def scenario():
        proc = subprocess.Popen([sys.executable, "-m", "fasthub.wsgi", "cliapp:app", "--bind",
                                 "127.0.0.1:0", "--workers", "2", "--graceful-timeout", "2"],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            line = proc.stdout.readline()
            assert "with 2 workers" in line, line + proc.stderr.read()
            assert "stdlib monkey-patched" in line, line
            port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
            pids = set()
            deadline = time.monotonic() + 20
            while len(pids) < 2 and time.monotonic() < deadline:
                try:
                    raw = _cli_get(port)
                except ConnectionRefusedError:
                    time.sleep(0.05)   # workers still starting
                    continue
                pids.add(int(raw.rsplit(b"\r\n\r\n", 1)[1]))
            assert len(pids) == 2     # SO_REUSEPORT spread connections over both workers
            # A worker that dies is replaced.
            try:
                _cli_get(port, "/die")
            except ConnectionError:
                pass
            new_pids = set()
            deadline = time.monotonic() + 20
            while not (new_pids - pids) and time.monotonic() < deadline:
                try:
                    new_pids.add(int(_cli_get(port).rsplit(b"\r\n\r\n", 1)[1]))
                except (ConnectionError, ValueError):
                    time.sleep(0.05)
            assert new_pids - pids, "no replacement worker answered"
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
            with pytest.raises(ConnectionRefusedError):
                _cli_get(port)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
    in_thread(scenario)


def test_cli_single_process(tmp_path):
    (tmp_path / "cliapp1.py").write_text(APP_MODULE)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))

    def scenario():
        proc = subprocess.Popen([sys.executable, "-m", "fasthub.wsgi", "cliapp1:app", "--bind",
                                 "127.0.0.1:0", "--access-log", "-"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
            raw = _cli_get(port, "/x")
            assert int(raw.rsplit(b"\r\n\r\n", 1)[1]) == proc.pid
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0
            assert '"GET /x HTTP/1.1" 200' in proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
    in_thread(scenario)


SLOW_APP_MODULE = textwrap.dedent('''
    import time
    def app(environ, start_response):
        time.sleep(0.2)   # green only if the CLI monkey-patched the stdlib
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"slept"]
''')


@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_monkey_patches_by_default_and_says_so(tmp_path, workers):
    # Regression: `python -m fasthub.wsgi` never patched, so a view calling time.sleep (or requests)
    # held its whole worker: 40 requests of 0.2 s on 2 workers took 4.4 s.
    (tmp_path / "slowapp.py").write_text(SLOW_APP_MODULE)
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def serve(*extra):
        proc = subprocess.Popen([sys.executable, "-m", "fasthub.wsgi", "slowapp:app", "--bind",
                                 "127.0.0.1:0", "--workers", workers, *extra], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        deadline = time.monotonic() + 20
        while True:
            try:
                assert _cli_get(port).endswith(b"slept")
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        return proc, line, port

    def stop(proc):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        proc.stdout.close()
        proc.stderr.close()

    def scenario():
        proc, line, port = serve()
        try:
            assert "stdlib monkey-patched" in line, line
            t0 = time.monotonic()
            threads = [threading.Thread(target=lambda: answers.append(_cli_get(port)))
                       for _ in range(20)]
            answers = []
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - t0
            assert len(answers) == 20 and all(a.endswith(b"slept") for a in answers)
            assert elapsed < 2.0, f"20 requests of 0.2 s took {elapsed:.2f} s: not concurrent"
        finally:
            stop(proc)
        proc, line, port = serve("--no-patch")
        try:
            assert "stdlib not patched (--no-patch)" in line, line
        finally:
            stop(proc)
    in_thread(scenario)


def test_failing_posthook_is_logged_and_the_connection_goes_on():
    def bad_hook(env):
        raise RuntimeError("hook failed")

    def app(env, start_response):
        env["eventlet.posthooks"].append((bad_hook, (), {}))
        return hello(env, start_response)
    errors = io.StringIO()
    srv = serve(app, error_log=errors)
    (r1, r2), s = exchange(srv, b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n", 2)
    assert (r1.body, r2.body) == (b"hello /1", b"hello /2")
    assert errors.getvalue().count("RuntimeError: hook failed") == 2
    s.close()
    srv.stop()


PATCHED_SCRIPT = textwrap.dedent('''
    import fasthub
    fasthub.monkey_patch()
    import http.client, socket, ssl, subprocess, sys, time
    from fasthub.wsgi import WSGIServer

    def app(env, start_response):
        body = env["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [env["wsgi.url_scheme"].encode() + b":" + body]

    cert, key, ca = sys.argv[1:4]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    cctx = ssl.create_default_context(cafile=ca)
    plain = WSGIServer(("127.0.0.1", 0), app, log=None)
    tls = WSGIServer(("127.0.0.1", 0), app, log=None, ssl_context=ctx, header_timeout=0.5)
    plain.start()
    tls.start()
    c = http.client.HTTPConnection("127.0.0.1", plain.address[1], timeout=10)
    c.request("POST", "/", body=b"x" * 100000)
    assert c.getresponse().read() == b"http:" + b"x" * 100000
    c = http.client.HTTPSConnection("localhost", tls.address[1], timeout=10, context=cctx)
    for _ in range(2):
        c.request("POST", "/", body=b"y" * 100000)
        assert c.getresponse().read() == b"https:" + b"y" * 100000
    # The header timeout holds on TLS connections after patching too.
    s = cctx.wrap_socket(socket.create_connection(("127.0.0.1", tls.address[1])),
                         server_hostname="localhost")
    s.sendall(b"GET / HTTP/1.1\\r\\n")
    t0 = time.monotonic()
    s.settimeout(5)
    data = s.recv(1000)
    assert data.startswith(b"HTTP/1.1 408"), data
    assert time.monotonic() - t0 < 3
    s.close()
    plain.stop()
    tls.stop()
    print("ok")
''')


def test_works_under_monkey_patching_with_tls(tmp_path, certs):
    script = tmp_path / "patched.py"
    script.write_text(PATCHED_SCRIPT)
    args = [str(certs / name) for name in ("server.pem", "server.key", "ca.pem")]
    out = in_thread(lambda: subprocess.run([sys.executable, str(script), *args],
                                           capture_output=True, text=True, timeout=60))
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]
