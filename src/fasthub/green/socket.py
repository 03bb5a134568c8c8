"""Cooperative drop-in for the ``socket`` module.

Every name of the stdlib module is here; what could block is replaced. ``socket`` is a subclass of the
stdlib ``socket.socket`` (so ``isinstance`` checks, ``makefile()`` and ``ssl`` keep working) whose fd is
always non-blocking at the OS level. The timeout the user sets is kept by this class, not by the C
socket, and implemented here with the stdlib's meaning:

- ``None`` (blocking): an operation that would block parks the calling green thread until the fd is
  ready; the rest of the program runs meanwhile.
- ``0.0`` (non-blocking): it raises ``BlockingIOError`` at once, as the stdlib does.
- ``t > 0``: as blocking, but ``TimeoutError('timed out')`` (``socket.timeout``) after ``t`` seconds
  for the whole operation (a whole ``sendall()``, a whole ``connect()``).

Every operation first tries the system call and waits only when the kernel says EAGAIN (the fast path
is one syscall; ``fasthub.core._gsocket`` does recv/recv_into/send/sendall in C). ``close()`` tells
the hub first (``notify_close``), so a green thread blocked on the socket wakes with ``FdClosedError``
instead of hanging, and the hub forgets the fd before its number can be reused.

Host names in addresses are resolved by ``fasthub.green.dns`` (in OS threads by default), never by the
C library inside the hub's thread.
"""

import errno as _errno
import os as _os
import socket as _std
import sys as _sys

import _socket

from fasthub.core._hub import monotonic as _monotonic
from fasthub.core._hub import notify_close as _notify_close
from fasthub.core._hub import sleep as _sleep
from fasthub.core import _gsocket
from fasthub.green import dns as _dns
from fasthub.green._stdlib_like import like as _like

# Re-export the whole stdlib module (public names and the private ones libraries reach for, like
# _GLOBAL_DEFAULT_TIMEOUT), then replace what blocks below.
for _name in dir(_std):
    if not (_name.startswith("__") and _name.endswith("__")):
        globals()[_name] = getattr(_std, _name)
del _name

__all__ = list(_std.__all__)

# Originals taken at import: once monkey-patched, the stdlib module's own names are the green
# versions defined here, and calling them from here would recurse.
_ssock = _socket.socket
_stdsocket = _std.socket
_real_socketpair = _std.socketpair
_real_create_server = _std.create_server
_getdefaulttimeout = _std.getdefaulttimeout
_GLOBAL_DEFAULT_TIMEOUT = _std._GLOBAL_DEFAULT_TIMEOUT
_GiveupOnSendfile = _std._GiveupOnSendfile
timeout = _std.timeout
error = OSError
gaierror = _std.gaierror
herror = _std.herror
AF_INET = _std.AF_INET
AF_INET6 = _std.AF_INET6
SOCK_STREAM = _std.SOCK_STREAM
SOL_SOCKET = _std.SOL_SOCKET
SO_ERROR = _std.SO_ERROR
AddressFamily = _std.AddressFamily
SocketKind = _std.SocketKind
gethostname = _std.gethostname

_c_family = _ssock.family.__get__
_c_type = _ssock.type.__get__
_c_proto = _ssock.proto.__get__
_INPROGRESS = (_errno.EINPROGRESS, _errno.EALREADY, _errno.EINTR)
_ADDRESS_FAMILIES = (AF_INET, AF_INET6)
_READ = _gsocket.READ
_WRITE = _gsocket.WRITE
_MSG_DONTWAIT = getattr(_std, "MSG_DONTWAIT", 0)


def _wait(sock, fd, direction, deadline):
    """Park until ``fd`` may be read/written; TimeoutError once ``deadline`` (monotonic) passes.

    A C wait that trusts the hub's cached interest for the fd: green sockets always tell the hub
    before their fd is closed.
    """
    _gsocket.wait(fd, direction, deadline)


def _io(sock, method, direction, *args, flags=0):
    # The generic slow path: try the C method (the C socket is non-blocking, so it never waits);
    # on EAGAIN wait as the user's timeout says and try again. ``flags`` with MSG_DONTWAIT asks for
    # the EAGAIN error instead of a wait, as on a stdlib socket.
    try:
        return method(sock, *args)
    except BlockingIOError:
        timeout_ = sock._timeout
        if timeout_ == 0.0 or flags & _MSG_DONTWAIT:
            raise
    deadline = None if timeout_ is None else _monotonic() + timeout_
    fd = _ssock.fileno(sock)
    while True:
        _wait(sock, fd, direction, deadline)
        try:
            return method(sock, *args)
        except BlockingIOError:
            pass


def _check_timeout(value):
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"Timeout value must be int, float or None, not {type(value).__name__}") from None
    if value != value:
        raise ValueError("Invalid value NaN (not a number)")
    if value < 0.0:
        raise ValueError("Timeout value out of range")
    return value


class socket(_stdsocket):
    """A green socket: the stdlib ``socket.socket`` API, blocking only the calling green thread.

    Constructor arguments are the stdlib's. Blocking methods (accept, connect, recv*, send*, sendall,
    sendfile) wait in the hub when the kernel is not ready; timeouts raise ``TimeoutError``; closing
    the socket from another green thread wakes its waiters with ``fasthub.FdClosedError``; two green
    threads reading (or writing) it at once get ``fasthub.ConcurrentUseError``.
    """

    __slots__ = ("_timeout",)

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        _stdsocket.__init__(self, family, type, proto, fileno)
        # The C socket computed the stdlib's initial timeout (the default one, or 0.0 for
        # SOCK_NONBLOCK): keep it as ours, then make the fd non-blocking for good.
        self._timeout = _ssock.gettimeout(self)
        _ssock.setblocking(self, False)

    # -- timeout semantics, kept here rather than in the C socket ------------------------------------

    def settimeout(self, value):
        """Set the timeout of blocking operations: None (block), 0.0 (non-blocking) or seconds.
        Raises OSError if the socket is closed, as the stdlib does."""
        value = _check_timeout(value)
        # Re-assert O_NONBLOCK on the fd (shared with any dup) and fail on a bad fd like the stdlib,
        # whose settimeout() also makes this one system call.
        _ssock.setblocking(self, False)
        self._timeout = value

    def gettimeout(self):
        """The timeout in seconds (float), or None when the socket blocks without limit."""
        return self._timeout

    def setblocking(self, flag):
        """setblocking(True) is settimeout(None); setblocking(False) is settimeout(0.0)."""
        _ssock.setblocking(self, False)
        self._timeout = None if flag else 0.0

    def getblocking(self):
        """True unless the socket is non-blocking (timeout 0.0)."""
        return self._timeout != 0.0

    @property
    def timeout(self):
        """The timeout in seconds, or None (as gettimeout())."""
        return self._timeout

    # -- closing -------------------------------------------------------------------------------------

    def _real_close(self, _ss=_ssock, _notify=_notify_close):
        # Wake the green threads waiting on the fd and make the hub forget it before the number can
        # be reused. (Defaults bind what is needed: this may run at interpreter shutdown.)
        fd = _ss.fileno(self)
        try:
            if fd >= 0:
                _notify(fd)
        finally:
            _ss.close(self)

    def __del__(self, _ss=_ssock, _notify=_notify_close):
        # The C finalizer closes a forgotten socket (with a ResourceWarning) but cannot tell the hub,
        # which would then keep a stale registration for a reused fd number.
        fd = _ss.fileno(self)
        if fd >= 0:
            try:
                _notify(fd)
            except Exception:  # noqa: BLE001 - a finalizer must not raise; the close below matters
                pass
        _ss.__del__(self)

    def detach(self):
        """Forget the fd without closing it and return it; green threads waiting on the socket get
        FdClosedError. The fd stays non-blocking: it is often handed straight to another socket
        object (ssl does so), and O_NONBLOCK is shared by every handle on the open file."""
        fd = _ssock.fileno(self)
        if fd >= 0:
            _notify_close(fd)
        return _stdsocket.detach(self)

    # -- connections ---------------------------------------------------------------------------------

    def accept(self):
        """Wait for a connection; return ``(green socket, address)``."""
        fd, addr = _io(self, _ssock._accept, _READ)
        sock = socket(_c_family(self), _c_type(self), _c_proto(self), fileno=fd)
        if _getdefaulttimeout() is None and self._timeout:
            sock.setblocking(True)
        return sock, addr

    def _connect(self, address):
        # Returns 0 or the errno of a failed connection; raises for misuse (bad address, timeout).
        address = _resolve_addr(self, address)
        timeout_ = self._timeout
        deadline = None if timeout_ is None else _monotonic() + timeout_
        fd = _ssock.fileno(self)
        backoff = 0.0005
        while True:
            err = _ssock.connect_ex(self, address)
            if err == 0 or err == _errno.EISCONN:
                return 0
            if err in _INPROGRESS:
                if timeout_ == 0.0:
                    return err
                _wait(self, fd, _WRITE, deadline)
                return _ssock.getsockopt(self, SOL_SOCKET, SO_ERROR)
            if err == _errno.EAGAIN:
                # A Unix socket whose listener's backlog is full: the kernel offers no readiness
                # event for "backlog has room", so retry after a short, growing pause.
                if timeout_ == 0.0:
                    return err
                if deadline is not None and _monotonic() + backoff > deadline:
                    raise timeout("timed out")
                _sleep(backoff)
                backoff = min(backoff * 2, 0.05)
                continue
            return err

    def connect(self, address):
        """Connect to ``address``; waits (green) for the handshake. Raises OSError on failure,
        TimeoutError after the socket's timeout, BlockingIOError on a non-blocking socket."""
        err = self._connect(address)
        if err:
            raise OSError(err, _os.strerror(err))

    def connect_ex(self, address):
        """Like connect(), but return an errno (0 on success) instead of raising OSError; a timeout
        gives EAGAIN/EWOULDBLOCK, as in the stdlib."""
        try:
            return self._connect(address)
        except TimeoutError:
            return _errno.EWOULDBLOCK
        except (gaierror, herror):
            raise
        except OSError as e:
            if e.errno is None:
                raise
            return e.errno

    # -- data ----------------------------------------------------------------------------------------
    # The four hot methods are C functions (fasthub._gsocket): one syscall when the kernel is ready,
    # no exception object on EAGAIN.

    recv = _gsocket.recv
    recv_into = _gsocket.recv_into
    send = _gsocket.send
    sendall = _gsocket.sendall

    def recvfrom(self, bufsize, flags=0):
        """Receive up to ``bufsize`` bytes; return ``(data, address)``. Waits (green) for data."""
        return _io(self, _ssock.recvfrom, _READ, bufsize, flags, flags=flags)

    def recvfrom_into(self, buffer, nbytes=0, flags=0):
        """Receive into ``buffer``; return ``(nbytes, address)``. Waits (green) for data."""
        return _io(self, _ssock.recvfrom_into, _READ, buffer, nbytes, flags, flags=flags)

    def sendto(self, *args):
        """sendto(data[, flags], address): send a datagram; waits (green) for buffer space."""
        if len(args) == 2:
            return _io(self, _ssock.sendto, _WRITE, args[0], _resolve_addr(self, args[1]))
        if len(args) == 3:
            return _io(self, _ssock.sendto, _WRITE, args[0], args[1], _resolve_addr(self, args[2]),
                       flags=args[1] if isinstance(args[1], int) else 0)
        return _ssock.sendto(self, *args)  # the C method's own "takes 2 or 3 arguments" error

    if hasattr(_ssock, "recvmsg"):
        def recvmsg(self, bufsize, ancbufsize=0, flags=0):
            """Receive data and ancillary data; waits (green) for data. See socket.recvmsg."""
            return _io(self, _ssock.recvmsg, _READ, bufsize, ancbufsize, flags, flags=flags)

        def recvmsg_into(self, buffers, ancbufsize=0, flags=0):
            """Receive into ``buffers``; waits (green) for data. See socket.recvmsg_into."""
            return _io(self, _ssock.recvmsg_into, _READ, buffers, ancbufsize, flags, flags=flags)

    if hasattr(_ssock, "sendmsg"):
        def sendmsg(self, buffers, ancdata=(), flags=0, address=None):
            """Send data and ancillary data (e.g. fds); waits (green) for buffer space."""
            if address is None:
                return _io(self, _ssock.sendmsg, _WRITE, buffers, ancdata, flags, flags=flags)
            return _io(self, _ssock.sendmsg, _WRITE, buffers, ancdata, flags,
                       _resolve_addr(self, address), flags=flags)

    if hasattr(_ssock, "sendmsg_afalg"):
        def sendmsg_afalg(self, msg=(), *, op, iv=None, assoclen=None, flags=0):
            """AF_ALG sendmsg; waits (green) for buffer space."""
            def call(sock):
                return _ssock.sendmsg_afalg(sock, msg, op=op, iv=iv, assoclen=assoclen, flags=flags)
            return _io(self, call, _WRITE, flags=flags)

    # -- sendfile ------------------------------------------------------------------------------------

    def _sendfile_use_sendfile(self, file, offset=0, count=None):
        # os.sendfile() on the non-blocking fd, waiting (green) for buffer space. Raising
        # _GiveupOnSendfile before anything was sent makes sendfile() fall back to send().
        self._check_sendfile_params(file, offset, count)
        if not hasattr(_os, "sendfile"):
            raise _GiveupOnSendfile("os.sendfile() is not available")
        try:
            fileno = file.fileno()
        except (AttributeError, OSError) as err:
            raise _GiveupOnSendfile(err)
        try:
            fsize = _os.fstat(fileno).st_size
        except OSError as err:
            raise _GiveupOnSendfile(err)
        if not fsize:
            return 0
        timeout_ = self._timeout
        if timeout_ == 0:
            raise ValueError("non-blocking sockets are not supported")
        sockno = _ssock.fileno(self)
        blocksize = min(count or fsize, 1 << 30)
        total = 0
        try:
            while True:
                if count:
                    blocksize = min(count - total, blocksize)
                    if blocksize <= 0:
                        break
                try:
                    sent = _os.sendfile(sockno, fileno, offset, blocksize)
                except BlockingIOError:
                    # The stdlib gives each wait the full timeout; so do we.
                    _wait(self, sockno, _WRITE, None if timeout_ is None else _monotonic() + timeout_)
                    continue
                except OSError as err:
                    if total == 0:
                        raise _GiveupOnSendfile(err)
                    raise
                if sent == 0:
                    break  # end of file
                offset += sent
                total += sent
            return total
        finally:
            if total > 0 and hasattr(file, "seek"):
                file.seek(offset)

    def sendfile(self, file, offset=0, count=None):
        """Send a binary file's contents until EOF (or ``count`` bytes); return the bytes sent.

        Uses os.sendfile() when it can, else read() and send(); waits (green) for buffer space. The
        file position is left after the last byte sent. Raises ValueError for a non-blocking socket.
        """
        try:
            return self._sendfile_use_sendfile(file, offset, count)
        except _GiveupOnSendfile:
            return self._sendfile_use_send(file, offset, count)



def _resolve_addr(sock, address):
    # Resolve a host name in an (host, port, ...) address with the green resolver, so the C socket
    # never calls the blocking C resolver itself. Numeric and special hosts pass through untouched.
    if type(address) is not tuple or len(address) < 2:
        return address
    family = _c_family(sock)
    if family not in _ADDRESS_FAMILIES:
        return address
    host, port = address[0], address[1]
    if not isinstance(host, str) or not isinstance(port, int) or host in ("", "<broadcast>"):
        return address
    if _dns.is_numeric_host(host):
        return address
    infos = _dns.getaddrinfo(host, port, family, _c_type(sock), _c_proto(sock))
    if not infos:
        raise gaierror(_std.EAI_NONAME, "Name or service not known")
    sockaddr = infos[0][4]
    if family == AF_INET6:
        return (sockaddr[0], sockaddr[1]) + tuple(address[2:])
    return sockaddr


def _green(std_sock):
    """A green socket owning the fd of stdlib socket ``std_sock`` (which is detached)."""
    family, type_, proto = _c_family(std_sock), _c_type(std_sock), _c_proto(std_sock)
    timeout_ = std_sock.gettimeout()
    g = socket(family, type_, proto, fileno=std_sock.detach())
    g.settimeout(timeout_)
    return g


@_like(_std.fromfd)
def fromfd(fd, family, type, proto=0):
    """A green socket for a duplicate of ``fd`` (the stdlib's fromfd, green)."""
    return socket(family, type, proto, _os.dup(fd))


@_like(_real_socketpair)
def socketpair(family=None, type=SOCK_STREAM, proto=0):
    """A pair of connected green sockets (AF_UNIX by default where available)."""
    if family is None:
        a, b = _real_socketpair(type=type, proto=proto)
    else:
        a, b = _real_socketpair(family, type, proto)
    return _green(a), _green(b)


@_like(_real_create_server)
def create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False):
    """A green listening TCP socket bound to ``address``; the stdlib's create_server (which never
    blocks: it only binds and listens), handed over to a green socket."""
    return _green(_real_create_server(address, family=family, backlog=backlog, reuse_port=reuse_port,
                                     dualstack_ipv6=dualstack_ipv6))


@_like(_std.create_connection)
def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, *,
                      all_errors=False):
    """Connect to ``(host, port)`` and return the green socket; tries each address the resolver
    returns, in order. Waits (green) for resolution and connection; raises the last error, or (with
    ``all_errors=True``, Python 3.11+) an ExceptionGroup of all of them."""
    host, port = address
    exceptions = []
    # If the stdlib module's socket name was rebound (by a monkey patch, or by a test's mock of
    # socket.socket), create what it names; otherwise a green socket.
    cls = _std.socket if _std.socket is not _stdsocket else socket
    for family, type_, proto, _canon, sockaddr in getaddrinfo(host, port, 0, SOCK_STREAM):
        sock = None
        try:
            sock = cls(family, type_, proto)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            exceptions.clear()  # no reference cycle through the tracebacks of earlier attempts
            return sock
        except OSError as exc:
            exceptions.append(exc)
            if sock is not None:
                sock.close()
            if not all_errors:
                del exceptions[:-1]
    if exceptions:
        try:
            if all_errors:
                raise ExceptionGroup("create_connection failed", exceptions)  # noqa: F821 - 3.11+
            raise exceptions[0]
        finally:
            exceptions.clear()
    raise OSError("getaddrinfo returns an empty list")


if _sys.version_info < (3, 11):  # no all_errors yet
    _create_connection = create_connection

    @_like(_std.create_connection)
    def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None):
        """Connect to ``(host, port)`` and return the green socket; tries each address the resolver
        returns, in order. Waits (green) for resolution and connection; raises the last error."""
        return _create_connection(address, timeout, source_address)


def _to_enum(value, enum_cls):
    try:
        return enum_cls(value)
    except ValueError:
        return value


@_like(_std.getaddrinfo)
def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """Resolve ``host``/``port`` to a list of ``(family, type, proto, canonname, sockaddr)``; waits
    (green) while the resolver (fasthub.green.dns) works. Raises socket.gaierror."""
    result = []
    for af, kind, proto_, canon, sockaddr in _dns.getaddrinfo(host, port, family, type, proto, flags):
        result.append((_to_enum(af, AddressFamily), _to_enum(kind, SocketKind), proto_, canon, sockaddr))
    return result


# The C functions, as BuiltinLike objects over the green resolver's (positional-only, like them).
gethostbyname = _like(_std.gethostbyname)(_dns.gethostbyname)
gethostbyname_ex = _like(_std.gethostbyname_ex)(_dns.gethostbyname_ex)
gethostbyaddr = _like(_std.gethostbyaddr)(_dns.gethostbyaddr)
getnameinfo = _like(_std.getnameinfo)(_dns.getnameinfo)


@_like(_std.getfqdn)
def getfqdn(name=""):
    """The fully qualified domain name for ``name`` (default: this host); resolves (green) with
    gethostbyaddr() and prefers the first name that contains a dot. Returns ``name`` on failure."""
    name = name.strip()
    if not name or name in ("0.0.0.0", "::"):
        name = gethostname()
    try:
        hostname, aliases, _addrs = gethostbyaddr(name)
    except OSError:
        return name
    for candidate in [hostname, *aliases]:
        if "." in candidate:
            return candidate
    return hostname


# Names that differ from the stdlib module's (what fasthub.patcher swaps in).
__green__ = [
    "socket", "fromfd", "socketpair", "create_server", "create_connection",
    "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo", "getfqdn",
]
