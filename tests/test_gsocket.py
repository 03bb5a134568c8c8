"""fasthub.core._gsocket's server I/O (recv_within, sendall_within: a timeout per wait, plain or TLS,
whatever the socket's own timeout) and its TLS retry loop (ssl_call), over real loopback sockets."""

import socket as stdsocket

import pytest

import fasthub
from fasthub.core._gsocket import recv_within, sendall_within, ssl_call
from fasthub.green import ssl as gssl
from fasthub.green.socket import socketpair


@pytest.fixture
def pair():
    a, b = socketpair()
    yield a, b
    a.close()
    b.close()


@pytest.mark.parametrize("own_timeout", [None, 0.0, 5.0])
def test_recv_within_ignores_the_sockets_own_timeout(pair, own_timeout):
    a, b = pair
    a.settimeout(own_timeout)       # an application's setting must not change the server's waits
    fasthub.spawn_after(0.05, b.sendall, b"late")
    assert recv_within(a, 2) == b"late"
    t0 = fasthub.monotonic()
    with pytest.raises(TimeoutError):
        recv_within(a, 0.1)
    assert 0.08 < fasthub.monotonic() - t0 < 2
    assert a.gettimeout() == own_timeout
    b.shutdown(stdsocket.SHUT_WR)
    assert recv_within(a, 2) == b""     # end of stream


def test_recv_within_gets_at_most_64k_and_everything_in_order(pair):
    a, b = pair
    data = bytes(range(256)) * 1000
    sender = fasthub.spawn(sendall_within, b, data, 5)
    got = b""
    while len(got) < len(data):
        chunk = recv_within(a, 5)
        assert 0 < len(chunk) <= 65536
        got += chunk
    assert got == data
    sender.wait()


def test_recv_within_wakes_with_an_error_when_the_socket_is_closed(pair):
    a, b = pair
    fasthub.spawn_after(0.05, a.close)
    with pytest.raises(fasthub.FdClosedError):
        recv_within(a)


def test_sendall_within_bounds_each_wait_not_the_whole_send(pair):
    a, b = pair
    data = b"x" * (8 << 20)          # far more than the socket buffers hold

    def slow_reader():
        n = 0
        while n < len(data):
            fasthub.sleep(0.01)      # pauses shorter than the timeout, a total far longer
            n += len(b.recv(1 << 20))
        return n
    reader = fasthub.spawn(slow_reader)
    t0 = fasthub.monotonic()
    sendall_within(a, data, 0.3)
    assert reader.wait() == len(data)
    assert fasthub.monotonic() - t0 > 0.3    # the whole send took longer than one wait may
    # A reader that stops reading: the send gives up once one wait lasts the timeout.
    with pytest.raises(TimeoutError):
        sendall_within(a, data, 0.2)


@pytest.fixture
def tls_pair(certs):
    server_ctx = gssl.SSLContext(gssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(certs / "server.pem", certs / "server.key")
    client_ctx = gssl.create_default_context(cafile=str(certs / "ca.pem"))
    a, b = socketpair()
    server = server_ctx.wrap_socket(a, server_side=True, do_handshake_on_connect=False)
    client = client_ctx.wrap_socket(b, server_hostname="localhost", do_handshake_on_connect=False)
    hs = fasthub.spawn(server.do_handshake)
    client.do_handshake()
    hs.wait()
    yield server, client
    server.close()
    client.close()


def test_recv_and_sendall_within_over_tls(tls_pair):
    server, client = tls_pair
    data = b"secret " * 100_000
    sender = fasthub.spawn(sendall_within, client, data, 5)
    got = b""
    while len(got) < len(data):
        got += recv_within(server, 5)
    assert got == data
    sender.wait()
    with pytest.raises(TimeoutError):
        recv_within(server, 0.05)
    closer = fasthub.spawn(client.unwrap)   # close_notify: the TLS end of stream
    assert recv_within(server, 5) == b""
    closer.kill()


def test_ssl_call_follows_the_sockets_timeout(certs):
    a, b = socketpair()
    ctx = gssl.create_default_context(cafile=str(certs / "ca.pem"))
    tls = ctx.wrap_socket(a, server_hostname="localhost", do_handshake_on_connect=False)
    tls.settimeout(0.0)              # non-blocking: the want-read surfaces, as with the stdlib
    with pytest.raises(gssl.SSLWantReadError):
        ssl_call(tls, tls._sslobj.do_handshake)
    tls.settimeout(0.1)              # the peer never answers: the whole call times out
    with pytest.raises(TimeoutError):
        ssl_call(tls, tls._sslobj.do_handshake)
    tls.close()
    b.close()
