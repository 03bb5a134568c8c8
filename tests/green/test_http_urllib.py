"""fasthub.green.http (client, server, cookiejar), fasthub.green.urllib and fasthub.green.socketserver:
CPython's modules on green sockets, tested against a real server over 127.0.0.1."""

import http.client
import http.cookiejar
import socketserver
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import fasthub
from fasthub import patcher

pytestmark = pytest.mark.one_backend


def _concurrently(fetch, n=10):
    start = time.monotonic()
    gts = [fasthub.spawn(fetch, i) for i in range(n)]
    results = [gt.wait() for gt in gts]
    return results, time.monotonic() - start


def test_green_urllib_request_is_concurrent(slow_http_site):
    from fasthub.green.urllib import request

    def fetch(i):
        with request.urlopen(f"{slow_http_site}/{i}", timeout=10) as r:
            return r.read()

    bodies, elapsed = _concurrently(fetch)
    assert bodies == [f"page /{i}".encode() for i in range(10)]
    assert elapsed < 2.0, f"10 requests of 0.3 s took {elapsed:.2f}s in a row: not green"


def test_import_patched_urllib_request_uses_green_http_client(slow_http_site):
    green = fasthub.import_patched("urllib.request")
    assert green is not urllib.request
    from fasthub.green.http import client as green_client
    assert green.http.client is green_client
    assert sys.modules["urllib.request"] is urllib.request
    assert urllib.request.http.client is http.client  # the stdlib module is untouched

    def fetch(i):
        with green.urlopen(f"{slow_http_site}/{i}", timeout=10) as r:
            return r.read()

    bodies, elapsed = _concurrently(fetch)
    assert bodies == [f"page /{i}".encode() for i in range(10)]
    assert elapsed < 2.0, f"import_patched('urllib.request'): 10 requests took {elapsed:.2f}s"


def test_green_http_client_is_concurrent_and_raises_stdlib_errors(slow_http_site):
    from fasthub.green.http import client

    port = int(slow_http_site.rsplit(":", 1)[1])

    def fetch(i):
        conn = client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/{i}")
        body = conn.getresponse().read()
        conn.close()
        return body

    bodies, elapsed = _concurrently(fetch)
    assert bodies == [f"page /{i}".encode() for i in range(10)]
    assert elapsed < 2.0
    assert client.HTTPException is http.client.HTTPException
    assert client.RemoteDisconnected is http.client.RemoteDisconnected
    assert client.HTTPConnection is not http.client.HTTPConnection
    assert client.socket.socket.__module__ == "fasthub.green.socket"


def test_urllib_errors_are_the_stdlib_ones(slow_http_site):
    from fasthub.green.urllib import error, parse, request, response

    assert error is urllib.error and parse is urllib.parse
    assert response is sys.modules["urllib.response"]
    with pytest.raises(urllib.error.HTTPError) as info:
        request.urlopen(f"{slow_http_site}/missing", timeout=10)
    assert info.value.code == 404
    info.value.close()


def test_green_cookiejar_with_green_opener(slow_http_site):
    from fasthub.green.http import cookiejar
    from fasthub.green.urllib import request

    jar = cookiejar.CookieJar()
    opener = request.build_opener(request.HTTPCookieProcessor(jar))
    with opener.open(f"{slow_http_site}/1", timeout=10) as r:
        assert r.read() == b"page /1"
    assert [c.name for c in jar] == ["seen"]
    assert cookiejar.urllib.request is request
    assert cookiejar.LoadError is http.cookiejar.LoadError


def test_green_http_server_serves_connections_concurrently():
    from fasthub.green import socketserver as green_socketserver
    from fasthub.green.http import client, server

    assert server.socketserver is green_socketserver
    assert green_socketserver.socket.socket.__module__ == "fasthub.green.socket"

    class Handler(server.BaseHTTPRequestHandler):
        def do_GET(self):
            fasthub.sleep(0.3)
            body = self.path.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = fasthub.spawn(httpd.serve_forever, 0.05)
    port = httpd.server_address[1]

    def fetch(i):
        conn = client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/{i}")
        body = conn.getresponse().read()
        conn.close()
        return body

    try:
        bodies, elapsed = _concurrently(fetch)
    finally:
        httpd.shutdown()
        serving.wait()
        httpd.server_close()
    assert bodies == [f"/{i}".encode() for i in range(10)]
    assert elapsed < 2.0, f"a green ThreadingHTTPServer served 10 x 0.3 s in {elapsed:.2f}s"


def test_green_packages_fall_back_to_the_stdlib():
    from fasthub.green import http as green_http
    from fasthub.green import urllib as green_urllib

    assert green_http.HTTPStatus is http.HTTPStatus
    assert green_http.cookies is sys.modules["http.cookies"]
    assert green_urllib.robotparser is sys.modules["urllib.robotparser"]
    assert not hasattr(green_urllib, "no_such_module")
    assert not hasattr(green_http, "no_such_module")
    assert socketserver.socket is sys.modules["socket"]


def test_top_level_import_patched_is_the_patchers():
    assert fasthub.import_patched is patcher.import_patched
    assert "import_patched" in fasthub.__all__
