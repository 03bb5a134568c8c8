"""fasthub.web.server.StreamServer over real sockets: TCP (IPv4, IPv6), Unix, TLS, adopted listeners,
bounded pools with backpressure, graceful stop, StopServe, errors in handlers."""

import os
import socket as stdsocket
import ssl
import time

import pytest

import fasthub
from fasthub.web.convenience import connect
from fasthub.green import socket as gsocket
from fasthub.green import ssl as gssl
from fasthub.web.server import StopServe, StreamServer


def echo(sock, addr):
    while True:
        data = sock.recv(65536)
        if not data:
            return
        sock.sendall(data)


def roundtrip(sock, data=b"ping"):
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(65536)
        assert chunk, "server closed early"
        got += chunk
    return got


def wait_until(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        fasthub.sleep(0.005)
    return cond()


def test_tcp_echo_gets_a_green_socket_and_closes_it():
    seen = []

    def handle(sock, addr):
        seen.append((type(sock), addr, sock))
        echo(sock, addr)
    srv = StreamServer(("127.0.0.1", 0), handle)
    srv.start()
    assert srv.started and srv.address[0] == "127.0.0.1" and srv.server_port > 0
    c = connect(srv.address)
    assert roundtrip(c, b"x" * 200_000) == b"x" * 200_000
    local = c.getsockname()
    c.close()
    assert wait_until(lambda: srv.connection_count() == 0)
    cls, addr, sock = seen[0]
    assert issubclass(cls, gsocket.socket) and addr == local
    assert sock.fileno() == -1           # closed by the server after handle() returned
    srv.stop()
    assert srv.closed
    with pytest.raises(ConnectionRefusedError):
        connect(srv.address)


def test_address_forms():
    for addr in ("127.0.0.1:0", ("127.0.0.1", 0)):
        srv = StreamServer(addr, echo)
        srv.start()
        c = connect(srv.address)
        assert roundtrip(c) == b"ping"
        c.close()
        srv.stop()
    with pytest.raises(ValueError):
        StreamServer("no-port-here", echo).start()
    with pytest.raises(TypeError):
        StreamServer(("127.0.0.1", 0))      # no handle


def test_ipv6():
    if not stdsocket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        srv = StreamServer(("::1", 0), echo)
        srv.start()
    except OSError as e:
        pytest.skip(f"no ::1 here: {e}")
    c = connect(srv.address[:2], family=stdsocket.AF_INET6)
    assert roundtrip(c) == b"ping"
    c.close()
    srv.stop()


def test_unix_socket_and_stale_file(tmp_path):
    path = str(tmp_path / "srv.sock")
    stale = stdsocket.socket(stdsocket.AF_UNIX)
    stale.bind(path)            # a socket file nobody listens on, as a crashed server leaves
    stale.close()
    seen = []

    def handle(sock, addr):
        seen.append(addr)
        echo(sock, addr)
    srv = StreamServer(path, handle)
    srv.start()
    c = connect(path, family=stdsocket.AF_UNIX)
    assert roundtrip(c) == b"ping"
    c.close()
    assert srv.address == path and seen == [""]
    # A second server on the same live path is refused rather than stealing it.
    with pytest.raises(OSError):
        StreamServer(path, handle).start()
    srv.stop()
    assert not os.path.exists(path)


@pytest.mark.parametrize("kind", ["stdlib", "green"])
def test_adopted_listening_socket(kind):
    if kind == "stdlib":
        lsock = stdsocket.socket()
    else:
        lsock = gsocket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(10)
    srv = StreamServer(lsock, echo)
    srv.start()
    assert srv.address == lsock.getsockname()
    c = connect(srv.address)
    assert roundtrip(c) == b"ping"
    c.close()
    srv.stop()
    assert lsock.fileno() == -1           # gevent semantics: the server closes its listener


def recv_or_reset(sock):
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data


def test_tls_handler_gets_a_green_ssl_socket(certs):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(certs / "server.pem", certs / "server.key")
    seen = []

    def handle(sock, addr):
        seen.append(sock)
        echo(sock, addr)
    srv = StreamServer(("127.0.0.1", 0), handle, ssl_context=ctx, handshake_timeout=2)
    srv.start()
    cctx = gssl.create_default_context(cafile=str(certs / "ca.pem"))
    c = cctx.wrap_socket(connect(srv.address), server_hostname="localhost")
    assert roundtrip(c, b"secret" * 20000) == b"secret" * 20000
    c.close()
    assert isinstance(seen[0], ssl.SSLSocket) and isinstance(seen[0], gsocket.socket)
    # A plaintext client and a silent one are dropped without disturbing anyone.
    bad = connect(srv.address)
    bad.sendall(b"GET / HTTP/1.0\r\n\r\n")
    silent = connect(srv.address)
    bad.settimeout(5)
    reply = recv_or_reset(bad)
    assert b"GET" not in reply           # at most a TLS alert, never an echo of plaintext
    silent.settimeout(5)
    t0 = time.monotonic()
    assert recv_or_reset(silent) == b""  # the handshake_timeout closed it
    assert time.monotonic() - t0 < 4.5
    c2 = cctx.wrap_socket(connect(srv.address), server_hostname="localhost")
    assert roundtrip(c2) == b"ping"
    for s in (bad, silent, c2):
        s.close()
    srv.stop()


def test_pool_bounds_concurrency_and_applies_backpressure():
    running = []
    peak = []
    gates = []

    def handle(sock, addr):
        running.append(sock)
        peak.append(len(running))
        try:
            w = fasthub.Waiter()
            gates.append(w)
            w.get()
            sock.sendall(b"served")
        finally:
            running.remove(sock)
    srv = StreamServer(("127.0.0.1", 0), handle, pool=2)
    srv.start()
    clients = [connect(srv.address) for _ in range(4)]
    assert wait_until(lambda: len(gates) == 2)
    fasthub.sleep(0.1)
    assert len(gates) == 2 and srv.connection_count() == 2   # the other two wait in the backlog
    for _ in range(4):
        assert wait_until(lambda: gates)
        gates.pop(0).switch()
    for c in clients:
        c.settimeout(5)
        assert c.recv(10) == b"served"
        c.close()
    assert max(peak) == 2
    srv.stop()


def test_pool_object_with_spawn():
    spawned = []

    class Pool:
        def spawn(self, fn, *args):
            spawned.append(args[1])
            return fasthub.spawn(fn, *args)
    srv = StreamServer(("127.0.0.1", 0), echo, pool=Pool())
    srv.start()
    c = connect(srv.address)
    assert roundtrip(c) == b"ping"
    c.close()
    assert len(spawned) == 1
    srv.stop()
    with pytest.raises(TypeError):
        StreamServer(("127.0.0.1", 0), echo, pool="big")


def test_graceful_stop_waits_then_kills():
    finished = []

    def handle(sock, addr):
        what = sock.recv(10)
        if what == b"quick":
            fasthub.sleep(0.1)
            sock.sendall(b"done")
            finished.append("quick")
        else:
            try:
                fasthub.sleep(30)
            finally:
                finished.append("killed")
    srv = StreamServer(("127.0.0.1", 0), handle)
    srv.start()
    quick, stuck = connect(srv.address), connect(srv.address)
    quick.sendall(b"quick")
    stuck.sendall(b"stuck")
    assert wait_until(lambda: srv.connection_count() == 2)
    t0 = time.monotonic()
    srv.stop(timeout=0.5)
    elapsed = time.monotonic() - t0
    assert 0.4 < elapsed < 3
    assert sorted(finished) == ["killed", "quick"]
    assert quick.recv(10) == b"done"
    stuck.settimeout(5)
    assert stuck.recv(10) == b""          # its socket was closed
    quick.close()
    stuck.close()


def test_close_keeps_running_handlers():
    def handle(sock, addr):
        sock.recv(10)
        sock.sendall(b"still served")
    srv = StreamServer(("127.0.0.1", 0), handle)
    srv.start()
    c = connect(srv.address)
    assert wait_until(lambda: srv.connection_count() == 1)
    srv.close()
    with pytest.raises(ConnectionRefusedError):
        connect(srv.address)
    c.sendall(b"go")
    assert c.recv(100) == b"still served"
    c.close()
    with pytest.raises(RuntimeError):
        srv.start()


def test_serve_forever_returns_on_stop_and_on_stopserve():
    srv = StreamServer(("127.0.0.1", 0), echo)
    fasthub.spawn_after(0.05, srv.stop)
    t0 = time.monotonic()
    srv.serve_forever()
    assert time.monotonic() - t0 < 3 and srv.closed

    def handle(sock, addr):
        if sock.recv(10) == b"stop":
            raise StopServe()
    srv = StreamServer(("127.0.0.1", 0), handle)
    srv.start()
    c = connect(srv.address)
    c.sendall(b"stop")
    gt = fasthub.spawn(srv.serve_forever)
    assert gt.join(5) and srv.closed
    c.close()


def test_handler_errors_are_reported_and_serving_goes_on(hub_errors):
    def handle(sock, addr):
        if sock.recv(10) == b"boom":
            raise ValueError("handler bug")
        sock.sendall(b"fine")
    with StreamServer(("127.0.0.1", 0), handle) as srv:
        c = connect(srv.address)
        c.sendall(b"boom")
        assert c.recv(10) == b""
        c.close()
        c = connect(srv.address)
        c.sendall(b"ok")
        assert c.recv(10) == b"fine"
        c.close()
    errors = hub_errors.take()
    assert len(errors) == 1 and isinstance(errors[0][1], ValueError)


def test_many_connections_at_once():
    srv = StreamServer(("127.0.0.1", 0), echo)
    srv.start()
    clients = [connect(srv.address) for _ in range(300)]
    for i, c in enumerate(clients):
        c.sendall(b"%d;" % i)
    for i, c in enumerate(clients):
        assert c.recv(100) == b"%d;" % i
    for c in clients:
        c.close()
    srv.stop()


def test_greenpool_as_the_pool():
    pool = fasthub.GreenPool(3)
    peak = []

    def handle(sock, addr):
        peak.append(pool.running())
        echo(sock, addr)
    srv = StreamServer(("127.0.0.1", 0), handle, pool=pool)
    srv.start()
    clients = [connect(srv.address) for _ in range(6)]
    assert wait_until(lambda: pool.running() == 3)
    fasthub.sleep(0.05)
    assert pool.running() == 3                 # the pool bounds the handlers
    for c in clients[:3]:
        assert roundtrip(c) == b"ping"
        c.close()
    for c in clients[3:]:
        assert roundtrip(c) == b"ping"         # served once slots freed up
        c.close()
    assert max(peak) <= 3
    srv.stop()
