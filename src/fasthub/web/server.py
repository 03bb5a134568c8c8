"""StreamServer: accept TCP, Unix or TLS connections and run ``handle(sock, addr)`` for each one in its
own green thread, from a bounded pool.

How it works. The server accepts on its own green socket object on the listening fd; one green thread
(the acceptor) loops on accept() and parks in the hub when nothing is pending. Before each accept it
makes sure the pool has room: while the pool is full it stops accepting, so the kernel's backlog (and
then the clients' SYN retries) absorb the overload instead of this process' memory. Each accepted
connection is a fasthub green socket, handed to a handler green thread, which does the TLS handshake
there (the green SSLSocket's, never in the acceptor), calls ``handle`` and closes the socket when
``handle`` returns. Every wait, the protocol servers' included (WSGI, WebSocket), goes through the
green socket path (``fasthub.core._gsocket``): try the system call, park only on EAGAIN.

A protocol server may *park* a connection instead (the WSGI server does with idle keep-alive
connections): its ``_serve`` returns True, the handler green thread ends without closing the socket,
and the connection keeps its pool slot until it is closed (``_Slots.release``); the protocol serves
its next requests in new green threads meanwhile.

Stopping. ``stop(timeout)`` closes the listener first (no new connections), then calls the
``_on_stop`` hook (the WSGI server uses it to drop idle keep-alive connections at once), waits up to
``timeout`` seconds for the running handlers to return, and kills the rest with GreenletExit.
"""

import errno
import os
import socket as _stdsocket
import ssl as _ssl
import stat

from greenlet import GreenletExit

from fasthub.core import _gsocket
from fasthub.core._greenthread import getcurrent, spawn
from fasthub.core._hub import FdClosedError, get_hub, monotonic, sleep
from fasthub.core._waitlist import ParkTimeout, WaitList
from fasthub.green import ssl as _green_ssl
from fasthub.green.socket import socket as _green_socket

__all__ = ["StreamServer", "DEFAULT_MAX_CONNECTIONS", "StopServe"]

#: Connections served at once when no pool is given (beyond it, accepting pauses).
DEFAULT_MAX_CONNECTIONS = 10000
#: Default listen() backlog.
DEFAULT_BACKLOG = 2048

# accept() errors that mean "this one connection went wrong, carry on".
_ACCEPT_TRANSIENT = {errno.ECONNABORTED, errno.EPROTO, errno.EINTR, errno.EPERM, errno.ENOPROTOOPT,
                     errno.EHOSTDOWN, errno.EHOSTUNREACH, errno.ENETDOWN, errno.ENETUNREACH,
                     errno.EOPNOTSUPP, errno.ETIMEDOUT}
# accept() errors that mean "out of a resource": back off and retry instead of spinning.
_ACCEPT_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
# accept() errors that mean the listening socket was shut down or closed under the server.
_ACCEPT_GONE = {errno.EINVAL, errno.EBADF, errno.ENOTSOCK}


class StopServe(Exception):
    """Raise from a connection handler to stop the server that runs it (eventlet's StopServe)."""


def _close(sock):
    # A green socket's close() wakes the green threads waiting on it (FdClosedError) first.
    try:
        sock.close()
    except OSError:
        pass


# --- listeners ------------------------------------------------------------------------------------

def parse_address(address):
    """Normalize a listener address: ``(host, port)``, ``"host:port"``, ``":port"``, a port number,
    or a Unix socket path (a string containing '/'). Returns ``(family, sockaddr)``."""
    if isinstance(address, int):
        return _stdsocket.AF_INET, ("0.0.0.0", address)
    if isinstance(address, (str, bytes, os.PathLike)):
        path = os.fspath(address)
        if isinstance(path, bytes):
            path = path.decode()
        if "/" in path or path.startswith("\0") or path.startswith("@"):
            if path.startswith("@"):
                path = "\0" + path[1:]
            return _stdsocket.AF_UNIX, path
        host, sep, port = path.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"fasthub: cannot parse listener address {address!r}: use (host, port), "
                             f"'host:port' or a Unix socket path containing '/'")
        address = (host.strip("[]"), int(port))
    if not isinstance(address, tuple) or len(address) < 2:
        raise TypeError(f"fasthub: a listener address is (host, port), 'host:port' or a Unix path, "
                        f"not {address!r}")
    host = address[0] or "0.0.0.0"
    family = _stdsocket.AF_INET6 if ":" in host else _stdsocket.AF_INET
    if family == _stdsocket.AF_INET:
        try:
            _stdsocket.inet_aton(host)
        except OSError:
            # A host name: resolve it once, at start-up (blocking is acceptable here).
            info = _stdsocket.getaddrinfo(host, address[1], 0, _stdsocket.SOCK_STREAM)
            family, _, _, _, sockaddr = info[0]
            return family, sockaddr
    return family, (host,) + tuple(address[1:])


def make_listener(address, backlog=DEFAULT_BACKLOG, reuse_addr=True, reuse_port=False):
    """Create, bind and listen a stdlib socket for ``address`` (see parse_address()). A stale Unix
    socket file left by a dead server is removed first. Raises OSError (e.g. EADDRINUSE)."""
    family, sockaddr = parse_address(address)
    sock = _stdsocket.socket(family, _stdsocket.SOCK_STREAM)
    try:
        if family == _stdsocket.AF_UNIX:
            if not sockaddr.startswith("\0"):
                _remove_stale_unix_socket(sockaddr)
        else:
            if reuse_addr:
                sock.setsockopt(_stdsocket.SOL_SOCKET, _stdsocket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(_stdsocket.SOL_SOCKET, _stdsocket.SO_REUSEPORT, 1)
            if family == _stdsocket.AF_INET6 and sockaddr[0] == "::":
                try:
                    sock.setsockopt(_stdsocket.IPPROTO_IPV6, _stdsocket.IPV6_V6ONLY, 0)
                except OSError:
                    pass
        sock.bind(sockaddr)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def _remove_stale_unix_socket(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise OSError(errno.EADDRINUSE, f"fasthub: {path!r} exists and is not a socket")
    probe = _stdsocket.socket(_stdsocket.AF_UNIX, _stdsocket.SOCK_STREAM)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        os.unlink(path)  # nobody listens there any more
    else:
        raise OSError(errno.EADDRINUSE, f"fasthub: another server listens on {path!r}")
    finally:
        probe.close()


# --- the connection pool --------------------------------------------------------------------------

class _Slots:
    """Bounded count of open connections; the acceptor waits in wait_free() while it is full.

    spawn() takes a slot for a new connection's handler; release() gives it back when the connection
    is closed: when its handler ends (StreamServer._handler_done), or later if the protocol parked it
    (a parked connection keeps its slot across the green threads that serve it).
    """

    __slots__ = ("size", "used", "_freed")

    def __init__(self, size):
        if size is None or size < 1:
            raise ValueError(f"fasthub: pool size must be >= 1, not {size!r}")
        self.size = size
        self.used = 0
        self._freed = WaitList()

    def wait_free(self):
        while self.used >= self.size:
            self._freed.park(None, None, None, False, self)

    def spawn(self, fn, *args):
        self.used += 1
        try:
            return spawn(fn, *args)
        except BaseException:
            self.used -= 1
            raise

    def release(self):
        """Give a slot back: a connection was closed."""
        self.used -= 1
        if self._freed:
            self._freed.unpark_one()

    def free(self):
        return self.size - self.used


# --- the server -----------------------------------------------------------------------------------

class StreamServer:
    """A TCP/Unix/TLS server running ``handle(sock, addr)`` in one green thread per connection.

    ``listener``: an address (``(host, port)``, ``"host:port"``, a Unix socket path) or an already
    listening socket. ``handle``: called with a fasthub green socket and the peer address; the socket
    is closed when it returns. ``pool``: None (at most DEFAULT_MAX_CONNECTIONS at once), an int (that
    many at once) or a GreenPool-like object with ``spawn()`` (which should block while full).
    While the pool is full the server stops accepting (backpressure). ``ssl_context``: an
    ssl.SSLContext to serve TLS (the handshake runs in the connection's green thread, bounded by
    ``handshake_timeout``). Names follow gevent.server.StreamServer.
    """

    #: Seconds stop() waits for handlers before killing them when no timeout is given (gevent's).
    stop_timeout = 1.0
    # eventlet's serve() leaves the listening socket open when it returns; StreamServer closes it.
    _keep_listener_open = False

    def __init__(self, listener, handle=None, pool=None, ssl_context=None, backlog=DEFAULT_BACKLOG,
                 handshake_timeout=30.0, spawn=None, reuse_port=False):
        if spawn is not None and pool is None:
            pool = spawn  # gevent's keyword
        if handle is not None:
            self.handle = handle
        elif not callable(getattr(self, "handle", None)):
            raise TypeError("fasthub: StreamServer needs a handle(sock, addr) function")
        if isinstance(pool, int) or pool is None:
            self._slots = _Slots(DEFAULT_MAX_CONNECTIONS if pool is None else pool)
            self._pool = None
        elif callable(getattr(pool, "spawn", None)):
            self._slots = None
            self._pool = pool
        else:
            raise TypeError(f"fasthub: pool must be None, an int or a pool with spawn(), not {pool!r}")
        if ssl_context is not None and not isinstance(ssl_context, _ssl.SSLContext):
            raise TypeError("fasthub: ssl_context must be an ssl.SSLContext (see fasthub.wrap_ssl "
                            "to wrap a listener with cert/key files instead)")
        self.ssl_context = ssl_context
        self.backlog = backlog
        self.handshake_timeout = handshake_timeout
        self._reuse_port = reuse_port
        self._conns = {}           # handler identity (getcurrent()) -> socket, while it runs
        self._acceptor = None
        self._raw = None           # our green socket object on the listening fd
        self._user_listener = None
        self._closed = False
        self._stopped = WaitList()     # serve_forever() until close()
        self._drained = WaitList()     # stop() until the handlers are done
        self.family = None
        if isinstance(listener, (_stdsocket.socket,)) or (
                hasattr(listener, "fileno") and hasattr(listener, "accept")):
            self._adopt(listener)
            self._address = None
        else:
            self._address = listener

    # -- properties ---------------------------------------------------------------------------------

    @property
    def address(self):
        """The bound address (``(host, port)`` or the Unix path); known once started."""
        if self._raw is not None:
            try:
                return self._raw.getsockname()
            except OSError:
                pass
        return self._address

    @property
    def server_port(self):
        addr = self.address
        return addr[1] if isinstance(addr, tuple) else None

    @property
    def started(self):
        """True between start() and close()."""
        return self._acceptor is not None and not self._closed

    @property
    def closed(self):
        return self._closed

    def connection_count(self):
        """How many connections are being handled now."""
        return len(self._conns)

    # -- life cycle ---------------------------------------------------------------------------------

    def _adopt(self, sock):
        # Accept on our own socket object sharing the listener's fd, so the user's object (stdlib,
        # green or TLS-wrapped) keeps its type; we detach ours at close instead of closing the fd twice.
        self._user_listener = sock
        if isinstance(sock, _ssl.SSLSocket):
            if self.ssl_context is None:
                self.ssl_context = sock.context
        fd = sock.fileno()
        if fd < 0:
            raise ValueError("fasthub: the listener socket is closed")
        self._raw = _green_socket(sock.family, sock.type, sock.proto, fileno=fd)
        self.family = sock.family

    def init_socket(self):
        """Create and bind the listening socket if not done yet (start() calls it)."""
        if self._raw is None:
            if self._closed:
                raise RuntimeError("fasthub: this server was closed; create a new one")
            sock = make_listener(self._address, self.backlog, reuse_port=self._reuse_port)
            self._user_listener = sock
            self._raw = _green_socket(sock.family, sock.type, sock.proto, fileno=sock.fileno())
            self.family = sock.family

    def start(self):
        """Bind (if needed) and start accepting in a background green thread; returns at once."""
        if self._closed:
            raise RuntimeError("fasthub: this server was stopped; create a new one")
        if self._acceptor is not None:
            return
        self.init_socket()
        self._acceptor = spawn(self._accept_loop)

    def serve_forever(self, stop_timeout=None):
        """Start (if needed) and block the calling green thread until the server is stopped.

        On KeyboardInterrupt/SystemExit it stops the server (waiting up to ``stop_timeout``) and
        re-raises.
        """
        self.start()
        try:
            while not self._closed:
                self._stopped.park(None, None, None, False, self)
        except (KeyboardInterrupt, SystemExit):
            self.stop(stop_timeout)
            raise

    def close(self):
        """Stop accepting and close the listening socket; running handlers go on."""
        if self._closed:
            return
        self._closed = True
        raw, self._raw = self._raw, None
        if raw is not None:
            path = None
            if raw.family == getattr(_stdsocket, "AF_UNIX", None):
                try:
                    path = raw.getsockname()
                except OSError:
                    path = None
            raw.detach()   # a green socket's detach() wakes the acceptor with FdClosedError
            if self._user_listener is not None and not self._keep_listener_open:
                try:
                    self._user_listener.close()
                except OSError:
                    pass
            if path and isinstance(path, str) and not path.startswith("\0") and self._address:
                try:
                    os.unlink(path)   # only when we created it
                except OSError:
                    pass
        acceptor = self._acceptor
        if acceptor is not None and not acceptor.dead and acceptor is not getcurrent():
            acceptor.kill(block=False)
        self._stopped.unpark_all()

    def stop(self, timeout=None):
        """Graceful stop: stop accepting, let handlers finish for up to ``timeout`` seconds
        (default ``stop_timeout``), then kill the rest with GreenletExit and close their sockets.
        Blocks the calling green thread until done."""
        if timeout is None:
            timeout = self.stop_timeout
        self.close()
        self._on_stop()
        self._wait_drained(monotonic() + timeout)
        if self._conns:
            for task, sock in list(self._conns.items()):
                if task is getcurrent():
                    continue
                _kill_task(task)
            self._wait_drained(monotonic() + 1.0)
            for task, sock in list(self._conns.items()):
                _close(sock)   # a handler that ignored GreenletExit still loses its socket

    def _wait_drained(self, deadline):
        me = getcurrent()
        while self._conns and not (len(self._conns) == 1 and me in self._conns):
            try:
                self._drained.park(deadline, None, None, False, self)
            except ParkTimeout:
                return

    def _on_stop(self):
        """Hook for protocol servers: called by stop() right after the listener is closed."""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return (f"<{type(self).__name__} address={self.address!r} connections={len(self._conns)}"
                f"{' closed' if self._closed else ''}>")

    # -- accepting ----------------------------------------------------------------------------------

    def _accept_loop(self):
        raw = self._raw
        if raw is None:
            return
        accept = raw._accept
        lfd = raw.fileno()
        family = raw.family
        is_tcp = family in (_stdsocket.AF_INET, _stdsocket.AF_INET6)
        slots = self._slots
        pool = self._pool
        body = self._handler_body()
        backoff = 0.01
        SOCK_STREAM = _stdsocket.SOCK_STREAM
        try:
            while not self._closed:
                if slots is not None and slots.used >= slots.size:
                    slots.wait_free()
                    continue
                try:
                    fd, addr = accept()
                except (BlockingIOError, InterruptedError):
                    _gsocket.wait(lfd, _gsocket.READ, None)
                    continue
                except OSError as e:
                    if self._closed:
                        return
                    if e.errno in _ACCEPT_GONE:
                        self._listener_gone()
                        return
                    if e.errno in _ACCEPT_TRANSIENT:
                        continue
                    if e.errno in _ACCEPT_EXHAUSTED:
                        # Out of fds or memory: leave the pending connections in the backlog a
                        # moment rather than spin; handlers finishing will free some.
                        sleep(backoff)
                        backoff = min(backoff * 2, 1.0)
                        continue
                    raise
                backoff = 0.01
                # A green socket straight from the fd (it makes the fd non-blocking).
                sock = _green_socket(family, SOCK_STREAM, 0, fileno=fd)
                if is_tcp:
                    try:
                        sock.setsockopt(_stdsocket.IPPROTO_TCP, _stdsocket.TCP_NODELAY, 1)
                    except OSError:
                        pass
                if not addr:
                    addr = ""   # Unix sockets have no peer address
                if slots is not None:
                    slots.spawn(body, sock, addr)
                else:
                    pool.spawn(body, sock, addr)
        except FdClosedError:
            self._listener_gone()
        except GreenletExit:
            return
        except OSError:
            if self._closed:
                return
            raise

    def _listener_gone(self):
        # The application shut down or closed the listening socket under the server (eventlet's
        # way to stop wsgi.server()): stop as stop() does, without waiting here: no more accepts,
        # idle keep-alive connections closed now, busy ones closed after their response.
        if self._closed:
            return
        raw, self._raw = self._raw, None
        if raw is not None:
            # The fd is the application's (shut down) or already closed, its number maybe reused by
            # a new socket: forget it without the green detach(), which would wake that socket's
            # waiters, and without closing it.
            _stdsocket.socket.detach(raw)
        self.close()
        self._on_stop()

    # -- serving one connection ---------------------------------------------------------------------

    def _handler_body(self):
        # What each connection's handler green thread runs, called with (sock, addr). A protocol
        # server may give its own (compiled) body, which must end as _serve_connection does.
        return self._serve_connection

    def _serve_connection(self, sock, addr):
        # The body of every handler green thread: TLS handshake, then _serve. The socket is closed at
        # the end unless the protocol parked the connection; returns True then (it keeps its slot).
        me = getcurrent()
        self._conns[me] = sock
        parked = False
        try:
            if self.ssl_context is not None:
                sock = self._tls_handshake(sock)
                if sock is None:
                    return False
                self._conns[me] = sock
            parked = self._serve(sock, addr)
        except BaseException as e:
            self._handler_raised(e)
        finally:
            self._handler_done(me, sock, parked)
        return parked

    def _handler_raised(self, exc):
        # What an exception out of a handler means for the server (a parked connection's later turns,
        # run by the protocol, come here too). Called in an except clause: re-raises what must go on.
        if isinstance(exc, StopServe):
            self.close()
        elif isinstance(exc, (GreenletExit, FdClosedError, ConnectionError, TimeoutError, _ssl.SSLError)):
            pass  # killed, or the peer went away, was too slow or broke TLS: routine for a server
        elif isinstance(exc, Exception):
            get_hub().handle_error(self, type(exc), exc, exc.__traceback__)
        else:
            raise exc   # KeyboardInterrupt, SystemExit

    def _handler_done(self, me, sock, parked):
        # A handler green thread ends: forget it, close its connection unless parked (socket and pool
        # slot), tell stop().
        sock = self._conns.pop(me, sock)
        if not parked:
            _close(sock)
            if self._slots is not None:
                self._slots.release()
        if self._drained:
            self._drained.unpark_all()

    def _serve(self, sock, addr):
        """Serve one connection in its handler green thread. Return True to park it (a protocol
        server's business: the socket stays open and keeps its pool slot), False to close it."""
        self.handle(sock, addr)
        return False

    def _tls_handshake(self, sock):
        # The green SSLSocket's handshake (the one TLS path, fasthub.core._gsocket.ssl_call) bounded by
        # handshake_timeout; the result can be handed to the application as is (WebSocket take-over
        # through get_socket()).
        try:
            tls = _green_ssl.SSLContext.wrap_socket(self.ssl_context, sock, server_side=True,
                                                    do_handshake_on_connect=False)
        except (OSError, ValueError):
            return None
        tls.settimeout(self.handshake_timeout)
        try:
            tls.do_handshake()
        except (_ssl.SSLError, OSError, ValueError):
            _close(tls)    # not TLS, bad certificate, peer gone, too slow: drop it
            return None
        tls.settimeout(None)
        return tls


def _kill_task(task):
    kill = getattr(task, "kill", None)
    if kill is None:
        return
    try:
        kill(GreenletExit, block=False)
    except TypeError:
        kill(GreenletExit)
