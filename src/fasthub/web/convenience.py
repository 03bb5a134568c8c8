"""eventlet's convenience functions: listen(), connect(), serve(), StopServe, wrap_ssl().

Migrating from eventlet is a rename: ``eventlet.listen`` -> ``fasthub.listen`` and so on. The sockets
returned are fasthub green sockets (blocking calls park only the calling green thread).
"""

import socket as _stdsocket
import ssl as _ssl

from fasthub.green import ssl as _green_ssl
from fasthub.green.socket import _green, socket as _green_socket
from fasthub.web.server import StopServe, StreamServer, make_listener

__all__ = ["listen", "connect", "serve", "StopServe", "wrap_ssl"]


def listen(addr, family=_stdsocket.AF_INET, backlog=50, reuse_addr=True, reuse_port=None):
    """Return a green socket bound to ``addr`` and listening (eventlet.listen).

    ``addr``: ``(host, port)`` for AF_INET/AF_INET6, a path for AF_UNIX. ``reuse_port``: set
    SO_REUSEPORT so several processes can listen on the same port (None means no). Raises OSError
    (e.g. EADDRINUSE) if it cannot bind. Does not block.
    """
    if family == getattr(_stdsocket, "AF_UNIX", None):
        if not isinstance(addr, str):
            raise TypeError(f"fasthub.listen: an AF_UNIX address is a path, not {addr!r}")
        if "/" not in addr and not addr.startswith("\0"):
            addr = "./" + addr
    elif family == _stdsocket.AF_INET6 and isinstance(addr, tuple) and addr[0] in ("", None):
        addr = ("::",) + tuple(addr[1:])
    return _green(make_listener(addr, backlog, reuse_addr=reuse_addr, reuse_port=bool(reuse_port)))


def connect(addr, family=_stdsocket.AF_INET, bind=None, socket_class=None):
    """Return a green socket connected to ``addr`` (eventlet.connect).

    Blocks the calling green thread until connected; raises OSError (ConnectionRefusedError, ...)
    on failure; the socket is closed then. ``bind``: a local address to bind to first.
    ``socket_class``: the green socket class to make (default fasthub.green.socket.socket; the
    eventlet alias gives its own).
    """
    sock = (socket_class or _green_socket)(family, _stdsocket.SOCK_STREAM)
    try:
        if bind is not None:
            sock.bind(bind)
        sock.connect(addr)
    except BaseException:
        sock.close()
        raise
    return sock


def serve(sock, handle, concurrency=1000):
    """Accept connections on the listening ``sock`` and run ``handle(client_sock, client_addr)`` in
    a green thread for each, at most ``concurrency`` at once (eventlet.serve).

    Blocks the calling green thread until a handler raises StopServe; then returns (the listening
    socket stays open, as with eventlet). The client socket is closed when ``handle`` returns. Other
    exceptions from ``handle`` are reported by the hub and serving goes on.
    """
    server = StreamServer(sock, handle, pool=concurrency)
    server._keep_listener_open = True
    server.serve_forever()


def wrap_ssl(sock, *args, **kwargs):
    """Wrap ``sock`` in TLS (eventlet.wrap_ssl): ``keyfile``, ``certfile``, ``server_side``,
    ``cert_reqs``, ``ca_certs``, ``ciphers``, ``ssl_context`` (instead of the files),
    ``do_handshake_on_connect``, ``server_hostname``. Unlike eventlet, a client side verifies the
    server's certificate by default (pass ``cert_reqs=ssl.CERT_NONE`` to opt out).

    A wrapped listening socket can be given to StreamServer / fasthub.wsgi.server (the TLS handshake
    then runs in each connection's green thread). Does not block; a client socket performs its
    handshake on first use or connect.
    """
    names = ("keyfile", "certfile", "server_side", "cert_reqs", "ssl_version", "ca_certs",
             "do_handshake_on_connect", "suppress_ragged_eofs", "ciphers")
    for name, value in zip(names, args):
        if name in kwargs:
            raise TypeError(f"fasthub.wrap_ssl: {name} given twice")
        kwargs[name] = value
    ctx = kwargs.pop("ssl_context", None)
    server_side = kwargs.pop("server_side", False)
    keyfile = kwargs.pop("keyfile", None)
    certfile = kwargs.pop("certfile", None)
    cert_reqs = kwargs.pop("cert_reqs", None)
    ca_certs = kwargs.pop("ca_certs", None)
    ciphers = kwargs.pop("ciphers", None)
    kwargs.pop("ssl_version", None)  # obsolete: the context negotiates the best protocol
    do_handshake = kwargs.pop("do_handshake_on_connect", True)
    ragged = kwargs.pop("suppress_ragged_eofs", True)
    server_hostname = kwargs.pop("server_hostname", None)
    if kwargs:
        raise TypeError(f"fasthub.wrap_ssl: unexpected arguments {sorted(kwargs)}")
    if ctx is None:
        purpose = _ssl.Purpose.CLIENT_AUTH if server_side else _ssl.Purpose.SERVER_AUTH
        ctx = _ssl.create_default_context(purpose, cafile=ca_certs)
        if cert_reqs is not None:
            if cert_reqs == _ssl.CERT_NONE:
                ctx.check_hostname = False
            ctx.verify_mode = cert_reqs
        if certfile:
            ctx.load_cert_chain(certfile, keyfile)
        if ciphers:
            ctx.set_ciphers(ciphers)
    listening = _is_listening(sock)
    if isinstance(sock, _green_socket):
        # A green SSLSocket: its handshake and I/O park only the calling green thread.
        return _green_ssl.SSLContext.wrap_socket(ctx, sock, server_side=server_side,
                                                 do_handshake_on_connect=do_handshake and not listening,
                                                 suppress_ragged_eofs=ragged,
                                                 server_hostname=server_hostname)
    return ctx.wrap_socket(sock, server_side=server_side,
                           do_handshake_on_connect=do_handshake and not listening,
                           suppress_ragged_eofs=ragged, server_hostname=server_hostname)


def _is_listening(sock):
    try:
        return bool(sock.getsockopt(_stdsocket.SOL_SOCKET, _stdsocket.SO_ACCEPTCONN))
    except (OSError, AttributeError):
        return False
