"""Cooperative drop-in for the ``ssl`` module: TLS over green sockets.

``SSLContext.wrap_socket()`` given a fasthub green socket returns a green ``SSLSocket``: a subclass
of both the stdlib ``ssl.SSLSocket`` (so isinstance checks, ``getpeercert()``, ``makefile()``...
are the stdlib's) and the green socket. Its fd stays non-blocking, so OpenSSL answers "want read" /
"want write" instead of blocking; the handshake, read, write and unwrap (TLS shutdown) go through
``fasthub.core._gsocket.ssl_call``, which waits in the hub for the fd on those answers and tries again
(the servers' TLS handshake is this one, their TLS I/O the same loop), with the socket's timeout bounding each
operation as the stdlib does. A non-blocking socket (timeout 0.0) raises SSLWantReadError /
SSLWantWriteError as the stdlib does.

Everything else follows each CPython's own ssl module: construction is the stdlib's
``SSLSocket._create`` (inherited), ``wrap_bio()``/``SSLObject`` are untouched, and the context
helpers (``create_default_context`` ...) return green contexts configured by the stdlib code.

A plain (stdlib) socket passed to ``wrap_socket()`` gets a plain stdlib SSLSocket, which blocks the
whole OS thread: wrap green sockets, or monkey-patch.
"""

import ssl as _std

import _ssl

from fasthub.core._gsocket import ssl_call as _ssl_call
from fasthub.green import socket as _gsocket
from fasthub.green._stdlib_like import like as _like

for _name in dir(_std):
    if not (_name.startswith("__") and _name.endswith("__")):
        globals()[_name] = getattr(_std, _name)
del _name

socket = _gsocket.socket
create_connection = _gsocket.create_connection
SSLWantReadError = _std.SSLWantReadError
SSLWantWriteError = _std.SSLWantWriteError
SSLError = _std.SSLError
SSL_ERROR_EOF = _std.SSL_ERROR_EOF
_GLOBAL_DEFAULT_TIMEOUT = _gsocket._GLOBAL_DEFAULT_TIMEOUT

# Originals taken at import: once monkey-patched, the stdlib module's own names are the green
# versions defined here, and calling them from here would recurse.
_StdSSLSocket = _std.SSLSocket
_StdSSLContext = _std.SSLContext
_real_create_default_context = _std.create_default_context
_real_create_unverified_context = _std._create_unverified_context

# _ssl_call(sock, fn, *args): the TLS retry loop (want-read / want-write -> park in the hub, retry), in
# C and shared with the servers' TLS I/O; the socket's timeout bounds each whole call.


class _GreenSSLSocketBase(_StdSSLSocket, _gsocket.socket):
    # Holds the overrides. The public SSLSocket below derives from it so that the stdlib's
    # _create(), which calls super(<ssl module's SSLSocket>, self).__init__(), reaches the green
    # socket's __init__ whether or not a monkey patch rebound ssl.SSLSocket to the green class.

    def __init__(self, *args, **kwargs):
        _gsocket.socket.__init__(self, *args, **kwargs)

    def do_handshake(self, block=False):
        """Perform the TLS handshake, parking the calling green thread while the peer answers.
        ``block=True`` waits even on a non-blocking socket. Raises SSLError, TimeoutError."""
        self._check_connected()
        timeout = self._timeout
        try:
            if timeout == 0.0 and block:
                self._timeout = None
            _ssl_call(self, self._sslobj.do_handshake)
        finally:
            self._timeout = timeout

    def read(self, len=1024, buffer=None):
        """Read up to ``len`` decrypted bytes (into ``buffer`` if given); b''/0 at EOF. Parks the
        calling green thread until data arrives."""
        self._checkClosed()
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError("Read on closed or unwrapped SSL socket.")
        try:
            if buffer is not None:
                return _ssl_call(self, sslobj.read, len, buffer)
            return _ssl_call(self, sslobj.read, len)
        except SSLError as exc:
            if exc.args[0] == SSL_ERROR_EOF and self.suppress_ragged_eofs:
                return 0 if buffer is not None else b""
            raise

    def write(self, data):
        """Encrypt and send ``data``; returns the number of bytes written. Parks the calling green
        thread while the kernel buffer is full."""
        self._checkClosed()
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError("Write on closed or unwrapped SSL socket.")
        return _ssl_call(self, sslobj.write, data)

    def send(self, data, flags=0):
        """Send ``data`` over TLS (or in clear before wrapping); see write()."""
        self._checkClosed()
        if self._sslobj is None:
            return _gsocket.socket.send(self, data, flags)
        if flags != 0:
            raise ValueError(f"non-zero flags not allowed in calls to send() on {self.__class__}")
        return _ssl_call(self, self._sslobj.write, data)

    def unwrap(self):
        """Shut TLS down (close_notify both ways) and return the underlying green socket."""
        sslobj = self._sslobj
        if not sslobj:
            raise ValueError("No SSL wrapper around " + str(self))
        sock = _ssl_call(self, sslobj.shutdown)
        self._sslobj = None
        return sock

    def accept(self):
        """Accept a connection and wrap it server-side in this socket's context (green);
        returns ``(green SSLSocket, address)``."""
        newsock, addr = _gsocket.socket.accept(self)
        newsock = _wrap(self.context, newsock, server_side=True,
                        do_handshake_on_connect=self.do_handshake_on_connect,
                        suppress_ragged_eofs=self.suppress_ragged_eofs)
        return newsock, addr


class SSLSocket(_GreenSSLSocketBase):
    """A TLS socket whose blocking operations park only the calling green thread.

    Made by ``SSLContext.wrap_socket()`` from a green socket (no public constructor, as the
    stdlib's). Subclass of ``ssl.SSLSocket`` and of ``fasthub.green.socket.socket``.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError(
            f"{self.__class__.__name__} does not have a public constructor. Instances are "
            f"returned by SSLContext.wrap_socket().")


def _wrap(context, sock, server_side=False, do_handshake_on_connect=True, suppress_ragged_eofs=True,
          server_hostname=None, session=None):
    if isinstance(sock, _gsocket.socket):
        cls = context.sslsocket_class if issubclass(context.sslsocket_class, SSLSocket) else SSLSocket
    else:
        cls = _StdSSLSocket
    return cls._create(
        sock=sock, server_side=server_side, do_handshake_on_connect=do_handshake_on_connect,
        suppress_ragged_eofs=suppress_ragged_eofs, server_hostname=server_hostname,
        context=context, session=session)


class SSLContext(_StdSSLContext):
    """``ssl.SSLContext`` whose wrap_socket() returns a green SSLSocket for a green socket.

    wrap_bio() and SSLObject are the stdlib's. The property setters write the C attributes directly,
    so they stay correct if a monkey patch rebinds ``ssl.SSLContext`` to this class (the stdlib's
    setters look that name up and would then recurse forever).
    """

    sslsocket_class = SSLSocket

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    suppress_ragged_eofs=True, server_hostname=None, session=None):
        """Wrap ``sock`` in TLS; a green socket gives a green SSLSocket. With
        ``do_handshake_on_connect`` the handshake runs now, parking the calling green thread."""
        return _wrap(self, sock, server_side=server_side,
                     do_handshake_on_connect=do_handshake_on_connect,
                     suppress_ragged_eofs=suppress_ragged_eofs, server_hostname=server_hostname,
                     session=session)

    # -- recursion-safe properties (same values as the stdlib's) -----------------------------------

    @property
    def options(self):
        return _std.Options(_ssl._SSLContext.options.__get__(self))

    @options.setter
    def options(self, value):
        _ssl._SSLContext.options.__set__(self, value)

    @property
    def verify_flags(self):
        return _std.VerifyFlags(_ssl._SSLContext.verify_flags.__get__(self))

    @verify_flags.setter
    def verify_flags(self, value):
        _ssl._SSLContext.verify_flags.__set__(self, value)

    @property
    def verify_mode(self):
        value = _ssl._SSLContext.verify_mode.__get__(self)
        try:
            return _std.VerifyMode(value)
        except ValueError:
            return value

    @verify_mode.setter
    def verify_mode(self, value):
        _ssl._SSLContext.verify_mode.__set__(self, value)

    @property
    def _msg_callback(self):
        inner = _ssl._SSLContext._msg_callback.__get__(self)
        return None if inner is None else getattr(inner, "user_function", inner)

    @_msg_callback.setter
    def _msg_callback(self, callback):
        if callback is None:
            _ssl._SSLContext._msg_callback.__set__(self, None)
            return
        if not callable(callback):
            raise TypeError(f"{callback} is not callable.")
        _ssl._SSLContext._msg_callback.__set__(self, _MsgCallback(callback))

    if hasattr(_ssl._SSLContext, "minimum_version"):
        @property
        def minimum_version(self):
            return _std.TLSVersion(_ssl._SSLContext.minimum_version.__get__(self))

        @minimum_version.setter
        def minimum_version(self, value):
            if value == _std.TLSVersion.SSLv3:
                # As the stdlib: asking for SSLv3 as the minimum also lifts OP_NO_SSLv3.
                self.options &= ~_std.Options.OP_NO_SSLv3
            _ssl._SSLContext.minimum_version.__set__(self, value)

        @property
        def maximum_version(self):
            return _std.TLSVersion(_ssl._SSLContext.maximum_version.__get__(self))

        @maximum_version.setter
        def maximum_version(self, value):
            _ssl._SSLContext.maximum_version.__set__(self, value)


def _as_enum(enum_cls, value):
    try:
        return enum_cls(value)
    except ValueError:
        return value


class _MsgCallback:
    """The TLS message-trace hook: hands the user's callback enum values, as the stdlib does."""

    def __init__(self, callback):
        self.user_function = callback

    def __call__(self, conn, direction, version, content_type, msg_type, data):
        version = _as_enum(_std.TLSVersion, version)
        content_type = _as_enum(_std._TLSContentType, content_type)
        if content_type == _std._TLSContentType.HEADER:
            msg_enum = _std._TLSContentType
        elif content_type == _std._TLSContentType.ALERT:
            msg_enum = _std._TLSAlertType
        else:
            msg_enum = _std._TLSMessageType
        return self.user_function(conn, direction, version, content_type,
                                  _as_enum(msg_enum, msg_type), data)


def _greened(context):
    # The stdlib helpers below build a stdlib SSLContext with each version's own defaults; give the
    # result the green class (same C layout, only wrap_socket and the setters differ).
    if not isinstance(context, SSLContext):
        context.__class__ = SSLContext
    return context


@_like(_real_create_default_context)
def create_default_context(purpose=_std.Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    """ssl.create_default_context(), returning a green SSLContext."""
    return _greened(_real_create_default_context(purpose, cafile=cafile, capath=capath, cadata=cadata))


@_like(_real_create_unverified_context, signature=True)
def _create_unverified_context(*args, **kwargs):
    """ssl._create_unverified_context(), returning a green SSLContext."""
    return _greened(_real_create_unverified_context(*args, **kwargs))


_create_default_https_context = create_default_context
_create_stdlib_context = _create_unverified_context


@_like(_std.get_server_certificate)
def get_server_certificate(addr, ssl_version=_std.PROTOCOL_TLS_CLIENT, ca_certs=None,
                           timeout=_GLOBAL_DEFAULT_TIMEOUT):
    """The PEM certificate of the server at ``addr``, fetched over green sockets; verified against
    ``ca_certs`` when given. Parks only the calling green thread."""
    host, _port = addr
    cert_reqs = _std.CERT_REQUIRED if ca_certs is not None else _std.CERT_NONE
    context = _create_stdlib_context(ssl_version, cert_reqs=cert_reqs, cafile=ca_certs)
    with create_connection(addr, timeout=timeout) as sock:
        with context.wrap_socket(sock, server_hostname=host) as sslsock:
            der = sslsock.getpeercert(True)
    return _std.DER_cert_to_PEM_cert(der)


def wrap_socket_context(ssl_version, cert_reqs, ca_certs=None, certfile=None, keyfile=None,
                        ciphers=None):
    """The green SSLContext the old ssl.wrap_socket() built from its arguments (no host name check);
    for wrap_socket() below and eventlet's wrap_ssl()."""
    context = SSLContext(ssl_version)
    context.check_hostname = False
    context.verify_mode = cert_reqs
    if ca_certs:
        context.load_verify_locations(ca_certs)
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    if ciphers:
        context.set_ciphers(ciphers)
    return context


if hasattr(_std, "wrap_socket"):  # Python < 3.12
    @_like(_std.wrap_socket)
    def wrap_socket(sock, keyfile=None, certfile=None, server_side=False, cert_reqs=_std.CERT_NONE,
                    ssl_version=_std.PROTOCOL_TLS, ca_certs=None, do_handshake_on_connect=True,
                    suppress_ragged_eofs=True, ciphers=None):
        """The deprecated ssl.wrap_socket() (Python < 3.12), green. Use SSLContext.wrap_socket()."""
        import warnings

        warnings.warn("ssl.wrap_socket() is deprecated, use SSLContext.wrap_socket()",
                      category=DeprecationWarning, stacklevel=2)
        if server_side and not certfile:
            raise ValueError("certfile must be specified for server-side operations")
        if keyfile and not certfile:
            raise ValueError("certfile must be specified")
        context = wrap_socket_context(ssl_version, cert_reqs, ca_certs, certfile, keyfile, ciphers)
        return context.wrap_socket(sock=sock, server_side=server_side,
                                   do_handshake_on_connect=do_handshake_on_connect,
                                   suppress_ragged_eofs=suppress_ragged_eofs)


# Names that differ from the stdlib module's (what fasthub.patcher swaps in).
__green__ = ["SSLContext", "SSLSocket", "create_default_context", "_create_unverified_context",
             "_create_default_https_context", "_create_stdlib_context", "get_server_certificate",
             "socket", "create_connection"] + (["wrap_socket"] if hasattr(_std, "wrap_socket") else [])
