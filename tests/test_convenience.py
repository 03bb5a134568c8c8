"""eventlet's convenience API (fasthub.listen/connect/serve/StopServe/wrap_ssl) over real sockets."""

import socket as stdsocket
import ssl

import pytest

import fasthub
from fasthub.green import socket as gsocket


def test_exported_names():
    for name in ("listen", "connect", "serve", "StopServe", "wrap_ssl", "StreamServer"):
        assert name in fasthub.__all__ and getattr(fasthub, name) is not None


def test_listen_and_connect_are_green():
    lsock = fasthub.listen(("127.0.0.1", 0))
    assert isinstance(lsock, gsocket.socket)
    assert lsock.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_ACCEPTCONN) == 1
    assert lsock.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_REUSEADDR) == 1
    assert lsock.getsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_REUSEPORT) == 0

    def accept_one():
        conn, addr = lsock.accept()
        conn.sendall(conn.recv(100).upper())
        conn.close()
        return addr
    gt = fasthub.spawn(accept_one)
    c = fasthub.connect(lsock.getsockname(), bind=("127.0.0.1", 0))
    assert isinstance(c, gsocket.socket)
    c.sendall(b"green")
    assert c.recv(100) == b"GREEN"
    assert gt.wait() == c.getsockname()
    c.close()
    lsock.close()
    with pytest.raises(ConnectionRefusedError):
        fasthub.connect(("127.0.0.1", _closed_port()))


def _closed_port():
    s = stdsocket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_listen_reuse_port_unix_and_ipv6(tmp_path):
    a = fasthub.listen(("127.0.0.1", 0), reuse_port=True)
    b = fasthub.listen(a.getsockname(), reuse_port=True)       # same port, both listening
    assert a.getsockname() == b.getsockname()
    a.close()
    b.close()
    path = str(tmp_path / "u.sock")
    u = fasthub.listen(path, family=stdsocket.AF_UNIX)
    assert u.getsockname() == path
    u.close()
    if stdsocket.has_ipv6:
        try:
            six = fasthub.listen(("::1", 0), family=stdsocket.AF_INET6)
        except OSError:
            return
        assert six.family == stdsocket.AF_INET6
        six.close()


def test_serve_until_stopserve_keeps_the_listener():
    lsock = fasthub.listen(("127.0.0.1", 0))
    handled = []

    def handle(sock, addr):
        msg = sock.recv(100)
        handled.append(msg)
        if msg == b"stop":
            raise fasthub.StopServe()
        sock.sendall(b"ok:" + msg)
    gt = fasthub.spawn(fasthub.serve, lsock, handle, 10)
    for word in (b"a", b"b"):
        c = fasthub.connect(lsock.getsockname())
        c.sendall(word)
        assert c.recv(100) == b"ok:" + word
        assert c.recv(100) == b""          # the handler returned: the socket was closed
        c.close()
    c = fasthub.connect(lsock.getsockname())
    c.sendall(b"stop")
    assert gt.join(5)
    gt.wait()
    assert handled == [b"a", b"b", b"stop"]
    assert lsock.fileno() >= 0              # serve() leaves the listener open, like eventlet
    c.close()
    lsock.close()


def test_wrap_ssl_server_listener_and_client(certs):
    lsock = fasthub.wrap_ssl(fasthub.listen(("127.0.0.1", 0)), certfile=str(certs / "server.pem"),
                             keyfile=str(certs / "server.key"), server_side=True)

    def handle(sock, addr):
        assert isinstance(sock, ssl.SSLSocket)
        sock.sendall(sock.recv(100)[::-1])
    srv = fasthub.StreamServer(lsock, handle)
    srv.start()
    port = srv.address[1]
    c = fasthub.wrap_ssl(fasthub.connect(("127.0.0.1", port)), ca_certs=str(certs / "ca.pem"),
                         server_hostname="localhost")
    assert isinstance(c, ssl.SSLSocket) and isinstance(c, gsocket.socket)
    c.sendall(b"abc")
    assert c.recv(100) == b"cba"
    c.close()
    # Verification is on by default on the client side; CERT_NONE turns it off explicitly.
    with pytest.raises(ssl.SSLError):
        fasthub.wrap_ssl(fasthub.connect(("127.0.0.1", port)), server_hostname="localhost")
    c = fasthub.wrap_ssl(fasthub.connect(("127.0.0.1", port)), cert_reqs=ssl.CERT_NONE)
    c.sendall(b"xy")
    assert c.recv(100) == b"yx"
    c.close()
    plain = fasthub.connect(("127.0.0.1", port))
    with pytest.raises(TypeError):
        fasthub.wrap_ssl(plain, bogus=1)
    plain.close()
    srv.stop()
