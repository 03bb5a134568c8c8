"""StreamServer: accept TCP, Unix or TLS connections and run ``handle(sock, addr)`` for each one in its
own green thread, from a bounded pool.

How it works. The listening socket is a plain non-blocking stdlib socket; one green thread (the
acceptor) loops on accept() and parks in the hub with wait_read() when nothing is pending. Before
each accept it makes sure the pool has room: while the pool is full it stops accepting, so the kernel's
backlog (and then the clients' SYN retries) absorb the overload instead of this process' memory. Each
accepted connection is made non-blocking and handed to a handler green thread, which wraps it in a
green socket (and does the TLS handshake there, never in the acceptor), calls ``handle`` and closes
the socket when ``handle`` returns.

Stopping. ``stop(timeout)`` closes the listener first (no new connections), then calls the
``_on_stop`` hook (the WSGI server uses it to drop idle keep-alive connections at once), waits up to
``timeout`` seconds for the running handlers to return, and kills the rest with GreenletExit.

The module also holds the small non-blocking I/O helpers the WSGI and WebSocket layers share
(``recv_into``, ``sendall``): try the system call first and park in the hub only on EAGAIN, which is
the cheapest way to do I/O with a readiness-based loop.
"""

import _socket
import errno
import os
import socket as _stdsocket
import ssl as _ssl
import stat
import sys

from greenlet import GreenletExit

from fasthub.core._greenthread import getcurrent, spawn
from fasthub.core._hub import FdClosedError, get_hub, monotonic, notify_close, sleep, wait_read, wait_write
from fasthub.core._waitlist import ParkTimeout, WaitList

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

_WANT_READ = (BlockingIOError, InterruptedError, _ssl.SSLWantReadError)
_WANT_WRITE = _ssl.SSLWantWriteError
_c_recv_into = _socket.socket.recv_into
_c_send = _socket.socket.send


def _ssl_recv_into(sock, buf):
    # Straight on the C TLS object: on a non-blocking fd it raises SSLWantReadError instead of
    # waiting (a green SSLSocket's read(), or ssl.SSLSocket once monkey-patched, would wait by the
    # socket's own timeout and ignore ours).
    obj = sock._sslobj
    if obj is None:
        raise OSError(errno.EBADF, "fasthub: the TLS socket is closed")
    return obj.read(len(buf), buf)


def _ssl_send(sock, data):
    obj = sock._sslobj
    if obj is None:
        raise OSError(errno.EBADF, "fasthub: the TLS socket is closed")
    return obj.write(data)
_RETRY_SEND = (BlockingIOError, InterruptedError, _ssl.SSLWantWriteError, _ssl.SSLWantReadError)


class StopServe(Exception):
    """Raise from a connection handler to stop the server that runs it (eventlet's StopServe)."""


# --- non-blocking I/O helpers shared by wsgi.py and websocket.py ----------------------------------

def recv_into(sock, buf, timeout=None, timeout_exc=None):
    """Receive into ``buf`` from a non-blocking (or green) socket; return the byte count (0 at EOF).

    Blocks the calling green thread until data arrives; raises ``timeout_exc`` (default
    TimeoutError) after ``timeout`` seconds, FdClosedError if the socket is closed meanwhile, and
    OSError for connection errors. Works for plain and TLS sockets.
    """
    # Call the C-level methods: a green socket's own recv_into() would wait by its own timeout.
    # (A TLS socket is recognised by its _sslobj, which survives monkey-patching of ssl.SSLSocket.)
    recv = _c_recv_into if getattr(sock, "_sslobj", None) is None else _ssl_recv_into
    while True:
        try:
            return recv(sock, buf)
        except _WANT_READ:
            wait_read(sock.fileno(), timeout, timeout_exc)
        except _WANT_WRITE:
            wait_write(sock.fileno(), timeout, timeout_exc)
        except (_ssl.SSLEOFError, _ssl.SSLZeroReturnError):
            return 0


def sendall(sock, data, timeout=None, timeout_exc=None):
    """Send all of ``data`` on a non-blocking (or green) socket.

    Blocks the calling green thread while the socket buffer is full; ``timeout`` bounds each wait
    (a client that stops reading is given up on after that long). Raises OSError (e.g.
    BrokenPipeError) if the peer went away, ``timeout_exc`` (default TimeoutError) on timeout.
    """
    send = _c_send if getattr(sock, "_sslobj", None) is None else _ssl_send
    try:
        sent = send(sock, data)
    except _RETRY_SEND:
        sent = 0
    if sent == len(data):
        return
    view = memoryview(data).cast("B")
    total = len(view)
    fd = sock.fileno()
    while sent < total:
        try:
            sent += send(sock, view[sent:])
            continue
        except (BlockingIOError, InterruptedError, _WANT_WRITE):
            wait_write(fd, timeout, timeout_exc)
        except _ssl.SSLWantReadError:
            wait_read(fd, timeout, timeout_exc)


def close_socket(sock):
    """Close a socket that green threads may be waiting on: wake them (FdClosedError), then close."""
    try:
        fd = sock.fileno()
    except (OSError, ValueError):
        fd = -1
    if fd >= 0:
        try:
            notify_close(fd)
        except Exception:  # the hub may be gone at interpreter exit; closing still matters
            pass
    try:
        sock.close()
    except OSError:
        pass


def _green_socket_class():
    """fasthub.green.socket.socket, or None if that module is not importable."""
    try:
        from fasthub.green import socket as gsocket_mod
    except ImportError:
        return None
    return getattr(gsocket_mod, "socket", None)


def to_green(raw):
    """Turn a raw stdlib socket (its fd) into a fasthub green socket, without copying the fd.

    The raw object is detached (it no longer owns the fd); the green socket does. A socket that is
    already green, or a TLS socket (its session lives in the object), is returned as is.
    """
    cls = _green_socket_class()
    if cls is None or isinstance(raw, cls) or getattr(raw, "_sslobj", None) is not None:
        return raw
    family, type_, proto = raw.family, raw.type, raw.proto
    fd = raw.detach()
    return cls(family, type_, proto, fileno=fd)


def _green_ssl_module():
    try:
        from fasthub.green import ssl as gssl
    except ImportError:
        return None
    return gssl


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
    """Bounded count of running handlers; the acceptor waits in wait_free() while it is full."""

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
            return spawn(self._run, fn, args)
        except BaseException:
            self.used -= 1
            raise

    def _run(self, fn, args):
        try:
            fn(*args)
        finally:
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
    # Protocol servers (wsgi.py) that drive the non-blocking socket themselves set this.
    _raw_connections = False

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
        self._raw = None           # our non-blocking socket object on the listening fd
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
        self._raw = _stdsocket.socket(sock.family, sock.type, sock.proto, fileno=fd)
        self._raw.setblocking(False)
        self.family = sock.family

    def init_socket(self):
        """Create and bind the listening socket if not done yet (start() calls it)."""
        if self._raw is None:
            if self._closed:
                raise RuntimeError("fasthub: this server was closed; create a new one")
            sock = make_listener(self._address, self.backlog, reuse_port=self._reuse_port)
            self._user_listener = sock
            self._raw = _stdsocket.socket(sock.family, sock.type, sock.proto, fileno=sock.fileno())
            self._raw.setblocking(False)
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
            try:
                notify_close(raw.fileno())   # wakes the acceptor with FdClosedError
            except (OSError, ValueError):
                pass
            path = None
            if raw.family == getattr(_stdsocket, "AF_UNIX", None):
                try:
                    path = raw.getsockname()
                except OSError:
                    path = None
            raw.detach()
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
                close_socket(sock)   # a handler that ignored GreenletExit still loses its socket

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
        backoff = 0.01
        new_socket = _stdsocket.socket
        green_cls = None
        if not self._raw_connections or self.ssl_context is not None:
            # Build the handler's green socket straight from the fd (it makes the fd non-blocking);
            # TLS connections are always green sockets, wrapped in a green SSLSocket later.
            green_cls = _green_socket_class()
        SOCK_STREAM = _stdsocket.SOCK_STREAM
        try:
            while not self._closed:
                if slots is not None and slots.used >= slots.size:
                    slots.wait_free()
                    continue
                try:
                    fd, addr = accept()
                except (BlockingIOError, InterruptedError):
                    wait_read(lfd)
                    continue
                except OSError as e:
                    if self._closed:
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
                if green_cls is not None:
                    sock = green_cls(family, SOCK_STREAM, 0, fileno=fd)
                else:
                    sock = new_socket(family, SOCK_STREAM, 0, fileno=fd)
                    sock.setblocking(False)
                if is_tcp:
                    try:
                        sock.setsockopt(_stdsocket.IPPROTO_TCP, _stdsocket.TCP_NODELAY, 1)
                    except OSError:
                        pass
                if not addr:
                    addr = ""   # Unix sockets have no peer address
                if slots is not None:
                    slots.spawn(self._serve_connection, sock, addr)
                else:
                    pool.spawn(self._serve_connection, sock, addr)
        except (FdClosedError, GreenletExit):
            return
        except OSError:
            if self._closed:
                return
            raise

    # -- serving one connection ---------------------------------------------------------------------

    def _serve_connection(self, sock, addr):
        me = getcurrent()
        self._conns[me] = sock
        try:
            if self.ssl_context is not None:
                sock = self._tls_handshake(sock)
                if sock is None:
                    return
                self._conns[me] = sock
            self._handle_raw(sock, addr, me)
        except GreenletExit:
            pass
        except StopServe:
            self.close()
        except (FdClosedError, ConnectionError, TimeoutError):
            pass  # the peer went away or was too slow: routine for a server
        except Exception:
            get_hub().handle_error(self, *sys.exc_info())
        finally:
            sock = self._conns.pop(me, sock)
            close_socket(sock)
            if self._drained:
                self._drained.unpark_all()

    def _handle_raw(self, sock, addr, me):
        # Subclasses that speak a protocol on the raw non-blocking socket override this (wsgi.py).
        green = to_green(sock)
        self._conns[me] = green
        self.handle(green, addr)

    def _tls_handshake(self, sock):
        gssl = _green_ssl_module()
        if gssl is not None and isinstance(sock, _green_socket_class()):
            # A green SSLSocket: blocking calls on it park only this green thread, and it can be
            # handed to the application as is (WebSocket take-over through get_socket()).
            try:
                tls = gssl.SSLContext.wrap_socket(self.ssl_context, sock, server_side=True,
                                                  do_handshake_on_connect=False)
            except (OSError, ValueError):
                return None
            tls.settimeout(self.handshake_timeout)
            try:
                tls.do_handshake()
            except (_ssl.SSLError, OSError, ValueError):
                close_socket(tls)    # not TLS, bad certificate, peer gone, too slow: drop it
                return None
            tls.settimeout(None)
            return tls
        try:
            tls = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        except (OSError, ValueError):
            return None
        fd = tls.fileno()
        hub = get_hub()
        deadline = hub.now() + self.handshake_timeout
        while True:
            try:
                tls.do_handshake()
                return tls
            except _ssl.SSLWantReadError:
                wait_read(fd, max(0.0, deadline - hub.now()))
            except _ssl.SSLWantWriteError:
                wait_write(fd, max(0.0, deadline - hub.now()))
            except (_ssl.SSLError, OSError):
                close_socket(tls)   # not TLS, bad certificate, peer gone: drop it quietly
                return None


def _kill_task(task):
    kill = getattr(task, "kill", None)
    if kill is None:
        return
    try:
        kill(GreenletExit, block=False)
    except TypeError:
        kill(GreenletExit)
