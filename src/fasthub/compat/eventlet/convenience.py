"""``eventlet.convenience``: listen, connect, serve, StopServe and wrap_ssl with eventlet's rules.

``listen`` enables SO_REUSEPORT by default on a fixed port (warning ReuseRandomPortWarning when it
is asked for port 0, and ReusePortUnavailableWarning when the OS refuses it). ``serve`` runs
``handle(sock, address)`` for each connection in a GreenPool, closes the connection when the
handler returns, and re-raises a handler's exception in the serving green thread (a StopServe
from a handler stops the server quietly). Sockets are ``eventlet.green.socket`` sockets.
"""

import errno
import sys
import warnings

import fasthub
from fasthub.web.convenience import connect as _connect
from fasthub.web.server import StopServe

__all__ = ["connect", "listen", "serve", "StopServe", "wrap_ssl", "ReuseRandomPortWarning",
           "ReusePortUnavailableWarning"]


class ReuseRandomPortWarning(Warning):
    """SO_REUSEPORT was asked for a random port (0): another process could get the same one."""


class ReusePortUnavailableWarning(Warning):
    """The OS refused SO_REUSEPORT; the socket was made without it."""


def _green_socket():
    from fasthub.compat.eventlet.green import socket  # looked up per call: tests patch it
    return socket


def connect(addr, family=None, bind=None):
    """A green TCP (or Unix) socket connected to ``addr``, bound first to ``bind`` if given."""
    socket = _green_socket()
    return _connect(addr, socket.AF_INET if family is None else family, bind,
                    socket_class=socket.socket)


def listen(addr, family=None, backlog=50, reuse_addr=True, reuse_port=None):
    """A green listening socket on ``addr`` (SO_REUSEADDR, and SO_REUSEPORT on a fixed port)."""
    socket = _green_socket()
    if family is None:
        family = socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if reuse_addr and sys.platform[:3] != "win":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family in (socket.AF_INET, socket.AF_INET6) and addr[1] == 0:
            if reuse_port:
                warnings.warn("listen on random port (0) with SO_REUSEPORT is dangerous: another "
                              "process could bind the same port", ReuseRandomPortWarning,
                              stacklevel=2)
            reuse_port = False
        elif reuse_port is None:
            reuse_port = True
        if family not in (socket.AF_INET, socket.AF_INET6):
            reuse_port = False   # SO_REUSEPORT is for IP sockets (Unix sockets refuse it)
        if reuse_port and hasattr(socket, "SO_REUSEPORT"):
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            except OSError as e:
                if e.errno not in (errno.EINVAL, errno.ENOPROTOOPT):
                    raise
                warnings.warn(f"SO_REUSEPORT is not available here ({e}); listening without it",
                              ReusePortUnavailableWarning, stacklevel=2)
        sock.bind(addr)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def wrap_ssl(sock, keyfile=None, certfile=None, server_side=False, cert_reqs=None,
             ssl_version=None, ca_certs=None, do_handshake_on_connect=True,
             suppress_ragged_eofs=True, ciphers=None):
    """Wrap ``sock`` in green TLS as the old ``ssl.wrap_socket()`` did (eventlet's wrap_ssl): no
    certificate or host name check unless ``cert_reqs`` asks for one."""
    from fasthub.green import ssl

    if ssl_version is None:
        ssl_version = ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT
    context = ssl.wrap_socket_context(ssl_version, ssl.CERT_NONE if cert_reqs is None else cert_reqs,
                                      ca_certs, certfile, keyfile, ciphers)
    return context.wrap_socket(sock, server_side=server_side,
                               do_handshake_on_connect=do_handshake_on_connect,
                               suppress_ragged_eofs=suppress_ragged_eofs)


def _stop_checker(gt, server, conn):
    # Linked to each handler: close its connection, and hand a failure to the serving thread.
    try:
        try:
            gt.wait()
        finally:
            conn.close()
    except fasthub.GreenletExit:
        pass
    except BaseException as e:
        if not server.dead:
            fasthub.kill(server, e, block=False)


def serve(sock, handle, concurrency=1000):
    """Accept connections on ``sock`` forever, running ``handle(conn, address)`` for each in a
    pool of ``concurrency`` green threads. Returns when a handler raises StopServe; any other
    exception of a handler is raised here."""
    from fasthub.compat.eventlet.greenpool import GreenPool

    pool = GreenPool(concurrency)
    server = fasthub.getcurrent()   # a GreenThread, or the raw greenlet (e.g. the main one)
    while True:
        try:
            conn, addr = sock.accept()
            gt = pool.spawn(handle, conn, addr)
            gt.link(_stop_checker, server, conn)
            conn = addr = gt = None
        except StopServe:
            return
