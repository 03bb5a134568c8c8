"""fasthub.green.ssl over real loopback TLS. Certificates (a test CA, a server certificate for
localhost/127.0.0.1 and one for other.test) are made once per session with the openssl CLI (the
``certs`` fixture of tests/conftest.py)."""

import os
import ssl as std_ssl
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from fasthub import FdClosedError, sleep, spawn
from fasthub.green import socket as green
from fasthub.green import ssl as gssl


@pytest.fixture
def server_ctx(certs):
    ctx = gssl.SSLContext(gssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs / "server.pem", certs / "server.key")
    return ctx


@pytest.fixture
def client_ctx(certs):
    return gssl.create_default_context(cafile=str(certs / "ca.pem"))


@pytest.fixture
def listener():
    ls = green.create_server(("127.0.0.1", 0))
    yield ls
    ls.close()


def _serve(listener, server_ctx, handler, count=1):
    """Accept ``count`` connections, wrap each server-side and run handler(tls) in its own thread."""
    def one(conn):
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            return handler(tls)

    def loop():
        gts = []
        for _ in range(count):
            conn, _ = listener.accept()
            gts.append(spawn(one, conn))
        return [g.wait() for g in gts]

    return spawn(loop)


def _echo(tls):
    data = tls.recv(65536)
    tls.sendall(data.upper())
    return data


def test_handshake_and_echo(listener, server_ctx, client_ctx):
    srv = _serve(listener, server_ctx, _echo)
    raw = green.create_connection(listener.getsockname())
    with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        assert type(tls) is gssl.SSLSocket
        assert isinstance(tls, std_ssl.SSLSocket) and isinstance(tls, green.socket)
        assert tls.version().startswith("TLS")
        assert dict(x[0] for x in tls.getpeercert()["subject"])["commonName"] == "server"
        tls.sendall(b"hello")
        assert tls.recv(100) == b"HELLO"
    assert srv.wait() == [b"hello"]


def test_green_and_stdlib_clients_see_the_same_connection(listener, server_ctx, certs):
    # The reference: a plain blocking stdlib client (in a real OS thread) against the same server.
    srv = _serve(listener, server_ctx, _echo, count=2)
    addr = listener.getsockname()

    def client(mod_socket, mod_ssl):
        ctx = mod_ssl.create_default_context(cafile=str(certs / "ca.pem"))
        with mod_socket.create_connection(addr) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"same?")
                return (isinstance(tls, std_ssl.SSLSocket), tls.recv(100), tls.version(),
                        tls.getpeercert(), tls.selected_alpn_protocol(), tls.pending())

    out = []
    t = threading.Thread(target=lambda: out.append(client(__import__("socket"), std_ssl)))
    t.start()
    green_result = client(green, gssl)
    while t.is_alive():
        sleep(0.01)
    assert out[0] == green_result
    srv.wait()


def test_large_transfers_both_ways_at_once(listener, server_ctx, client_ctx):
    payload = os.urandom(1024 * 1024)

    def handler(tls):
        reader = spawn(_read_exactly, tls, len(payload))
        tls.sendall(payload[::-1])
        return reader.wait()

    srv = _serve(listener, server_ctx, handler)
    with client_ctx.wrap_socket(green.create_connection(listener.getsockname()),
                                server_hostname="localhost") as tls:
        reader = spawn(_read_exactly, tls, len(payload))
        tls.sendall(payload)
        assert reader.wait() == payload[::-1]
    assert srv.wait() == [payload]


def _read_exactly(sock, n):
    chunks, total = [], 0
    while total < n:
        chunk = sock.recv(min(65536, n - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def test_sni_selects_the_certificate(listener, server_ctx, client_ctx, certs):
    other = gssl.SSLContext(gssl.PROTOCOL_TLS_SERVER)
    other.load_cert_chain(certs / "other.pem", certs / "other.key")
    seen = []

    def choose(tls, server_name, ctx):
        seen.append(server_name)
        if server_name == "other.test":
            tls.context = other

    server_ctx.sni_callback = choose
    srv = _serve(listener, server_ctx, _echo, count=2)
    names = []
    for hostname in ("other.test", "localhost"):
        with client_ctx.wrap_socket(green.create_connection(listener.getsockname()),
                                    server_hostname=hostname) as tls:
            names.append(dict(x[0] for x in tls.getpeercert()["subject"])["commonName"])
            tls.sendall(b"x")
            tls.recv(10)
    srv.wait()
    assert seen == ["other.test", "localhost"]
    assert names == ["other", "server"]


def test_unwrap_returns_to_plain_text(listener, server_ctx, client_ctx):
    def handler(tls):
        assert tls.recv(100) == b"secret"
        plain = tls.unwrap()
        got = plain.recv(100)
        plain.sendall(b"clear reply")
        return got

    srv = _serve(listener, server_ctx, handler)
    tls = client_ctx.wrap_socket(green.create_connection(listener.getsockname()),
                                 server_hostname="localhost")
    tls.sendall(b"secret")
    plain = tls.unwrap()
    assert plain is tls and tls._sslobj is None
    plain.sendall(b"clear text")
    assert plain.recv(100) == b"clear reply"
    assert srv.wait() == [b"clear text"]
    plain.close()


def test_handshake_timeout(listener, client_ctx):
    def silent():
        conn, _ = listener.accept()
        sleep(1.0)
        conn.close()

    g = spawn(silent)
    raw = green.create_connection(listener.getsockname())
    raw.settimeout(0.2)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        client_ctx.wrap_socket(raw, server_hostname="localhost")
    assert 0.15 <= time.monotonic() - start < 1.0
    raw.close()
    g.wait()


def test_read_timeout_and_close_wakes_a_reader(listener, server_ctx, client_ctx):
    def handler(tls):
        tls.recv(10)  # returns b"" when the client closes

    srv = _serve(listener, server_ctx, handler)
    tls = client_ctx.wrap_socket(green.create_connection(listener.getsockname()),
                                 server_hostname="localhost")
    tls.settimeout(0.1)
    with pytest.raises(TimeoutError):
        tls.recv(10)
    tls.settimeout(None)
    outcome = []

    def reader():
        try:
            tls.recv(10)
        except OSError as e:
            outcome.append(e)

    g = spawn(reader)
    sleep(0.02)
    tls.close()
    g.wait()
    assert len(outcome) == 1 and isinstance(outcome[0], FdClosedError)
    srv.wait()


def test_non_blocking_handshake_raises_want_errors(listener, server_ctx, client_ctx):
    srv = _serve(listener, server_ctx, _echo)
    raw = green.create_connection(listener.getsockname())
    tls = client_ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
    tls.setblocking(False)
    with pytest.raises(gssl.SSLWantReadError):
        tls.do_handshake()
    tls.do_handshake(block=True)
    assert tls.gettimeout() == 0.0
    tls.send(b"nb")
    for _ in range(500):  # until the reply is in, a non-blocking read says "want read"
        try:
            data = tls.recv(10)
            break
        except gssl.SSLWantReadError:
            sleep(0.01)
    assert data == b"NB"
    tls.close()
    srv.wait()


def test_connect_on_an_unconnected_wrapped_socket(listener, server_ctx, client_ctx):
    srv = _serve(listener, server_ctx, _echo, count=2)
    tls = client_ctx.wrap_socket(green.socket(), server_hostname="localhost")
    tls.connect(listener.getsockname())
    tls.sendall(b"a")
    assert tls.recv(10) == b"A"
    tls.close()
    tls = client_ctx.wrap_socket(green.socket(), server_hostname="localhost")
    assert tls.connect_ex(listener.getsockname()) == 0
    tls.sendall(b"b")
    assert tls.recv(10) == b"B"
    tls.close()
    srv.wait()


def test_accept_on_a_wrapped_listener(server_ctx, client_ctx):
    ls = server_ctx.wrap_socket(green.create_server(("127.0.0.1", 0)), server_side=True)

    def server():
        conn, _ = ls.accept()
        with conn:
            assert type(conn) is gssl.SSLSocket
            return _echo(conn)

    g = spawn(server)
    with client_ctx.wrap_socket(green.create_connection(ls.getsockname()),
                                server_hostname="localhost") as tls:
        tls.sendall(b"via accept")
        assert tls.recv(100) == b"VIA ACCEPT"
    assert g.wait() == b"via accept"
    ls.close()


def test_makefile_and_sendfile_over_tls(listener, server_ctx, client_ctx, tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"line one\nline two\n" * 1000)

    def handler(tls):
        with open(path, "rb") as f:
            return tls.sendfile(f)

    srv = _serve(listener, server_ctx, handler)
    with client_ctx.wrap_socket(green.create_connection(listener.getsockname()),
                                server_hostname="localhost") as tls:
        with tls.makefile("rb") as f:
            lines = list(f)
    assert lines == [b"line one\n", b"line two\n"] * 1000
    assert srv.wait() == [len(b"line one\nline two\n" * 1000)]


def test_many_tls_clients_concurrently(listener, server_ctx, client_ctx):
    srv = _serve(listener, server_ctx, _echo, count=20)

    def client(i):
        with client_ctx.wrap_socket(green.create_connection(listener.getsockname()),
                                    server_hostname="localhost") as tls:
            tls.sendall(b"c%d" % i)
            return tls.recv(100)

    gts = [spawn(client, i) for i in range(20)]
    assert [g.wait() for g in gts] == [b"C%d" % i for i in range(20)]
    assert sorted(srv.wait()) == sorted(b"c%d" % i for i in range(20))


def test_wrap_bio_is_the_stdlib_sslobject(server_ctx, client_ctx):
    cin, cout, sin, sout = (std_ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(cin, cout, server_hostname="localhost")
    server = server_ctx.wrap_bio(sin, sout, server_side=True)
    assert type(client) is std_ssl.SSLObject
    for _ in range(10):  # drive the handshake by hand through the memory BIOs
        for obj in (client, server):
            try:
                obj.do_handshake()
            except std_ssl.SSLWantReadError:
                pass
        sin.write(cout.read())
        cin.write(sout.read())
    client.write(b"in memory")
    sin.write(cout.read())
    assert server.read(100) == b"in memory"


def test_plain_socket_gets_the_stdlib_sslsocket(client_ctx):
    import socket

    raw = socket.socket()
    tls = client_ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
    assert type(tls) is std_ssl.SSLSocket
    tls.close()


def test_get_server_certificate(listener, server_ctx, certs):
    srv = _serve(listener, server_ctx, lambda tls: None)
    pem = gssl.get_server_certificate(listener.getsockname(), ca_certs=str(certs / "ca.pem"))
    srv.wait()
    assert std_ssl.PEM_cert_to_DER_cert(pem) == std_ssl.PEM_cert_to_DER_cert(
        (certs / "server.pem").read_text())


def test_contexts_and_module_names(client_ctx):
    assert isinstance(client_ctx, gssl.SSLContext) and isinstance(client_ctx, std_ssl.SSLContext)
    ref = std_ssl.create_default_context()
    assert client_ctx.options == ref.options and client_ctx.verify_flags == ref.verify_flags
    assert client_ctx.verify_mode == ref.verify_mode == std_ssl.CERT_REQUIRED
    assert isinstance(client_ctx.options, std_ssl.Options)
    client_ctx.minimum_version = std_ssl.TLSVersion.TLSv1_2
    assert client_ctx.minimum_version == std_ssl.TLSVersion.TLSv1_2
    assert isinstance(gssl._create_unverified_context(), gssl.SSLContext)
    assert gssl.SSLObject is std_ssl.SSLObject and gssl.CERT_NONE == std_ssl.CERT_NONE
    assert gssl.socket is green.socket and gssl.create_connection is green.create_connection
    missing = [n for n in dir(std_ssl) if not n.startswith("__") and not hasattr(gssl, n)]
    assert missing == []
    with pytest.raises(TypeError, match="public constructor"):
        gssl.SSLSocket()


@pytest.mark.skipif(not hasattr(std_ssl, "wrap_socket"), reason="ssl.wrap_socket is gone in 3.12+")
def test_deprecated_wrap_socket(listener, server_ctx, certs):
    srv = _serve(listener, server_ctx, _echo)
    with pytest.warns(DeprecationWarning):
        tls = gssl.wrap_socket(green.create_connection(listener.getsockname()))
    assert type(tls) is gssl.SSLSocket
    tls.sendall(b"old")
    assert tls.recv(10) == b"OLD"
    tls.close()
    srv.wait()


def test_patched_ssl_names_do_not_recurse(certs):
    # What monkey patching does: the stdlib ssl module's own names point at the green classes.
    # The stdlib property setters and SSLSocket._create must then neither recurse nor break.
    code = textwrap.dedent(f"""
        import ssl
        import fasthub
        from fasthub.green import socket as green, ssl as gssl
        ssl.SSLContext = gssl.SSLContext
        ssl.SSLSocket = gssl.SSLSocket
        srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.load_cert_chain({str(certs / 'server.pem')!r}, {str(certs / 'server.key')!r})
        cli = ssl.create_default_context(cafile={str(certs / 'ca.pem')!r})
        cli.options |= ssl.OP_NO_TICKET
        cli.verify_flags |= ssl.VERIFY_X509_TRUSTED_FIRST
        cli.verify_mode = ssl.CERT_REQUIRED
        cli.minimum_version = ssl.TLSVersion.TLSv1_2
        cli.maximum_version = ssl.TLSVersion.TLSv1_3
        seen = []
        cli._msg_callback = lambda *args: seen.append(args[3])
        ls = green.create_server(("127.0.0.1", 0))
        def server():
            conn, _ = ls.accept()
            with srv.wrap_socket(conn, server_side=True) as t:
                t.sendall(t.recv(10).upper())
        g = fasthub.spawn(server)
        with cli.wrap_socket(green.create_connection(ls.getsockname()), server_hostname="localhost") as t:
            assert type(t) is gssl.SSLSocket
            t.sendall(b"patched")
            print(t.recv(10).decode(), bool(seen), type(cli).__module__)
        g.wait()
        ls.close()
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["PATCHED", "True", "fasthub.green.ssl"]
