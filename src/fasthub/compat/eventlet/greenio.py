"""``eventlet.greenio``: GreenSocket (fasthub's green socket class), GreenPipe, shutdown_safe,
SSL and the errno sets eventlet code imports from here."""

import errno
import os as _os

from fasthub.green import socket as _gsocket
from fasthub.green import ssl as _gssl

__all__ = ["GreenSocket", "GreenPipe", "shutdown_safe", "SOCKET_BLOCKING", "SOCKET_CLOSED",
           "CONNECT_ERR", "CONNECT_SUCCESS", "set_nonblocking"]



class GreenSocket(_gsocket.socket):
    """fasthub's green socket; ``GreenSocket(sock)`` also takes over an existing socket object
    (its fd and timeout), as eventlet's does."""

    __slots__ = ()

    def __init__(self, family=_gsocket.AF_INET, *args, **kwargs):
        if hasattr(family, "fileno") and not isinstance(family, int):
            sock = family
            timeout = sock.gettimeout()
            super().__init__(sock.family, sock.type, sock.proto, fileno=sock.detach())
            self.settimeout(timeout)
            return
        super().__init__(family, *args, **kwargs)

    @property
    def fd(self):
        """eventlet's underlying socket: the green socket itself."""
        return self

GreenSSLSocket = _gssl.SSLSocket

SOCKET_BLOCKING = {errno.EAGAIN, errno.EWOULDBLOCK}
SOCKET_CLOSED = {errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.EPIPE}
CONNECT_ERR = {errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK}
CONNECT_SUCCESS = {0, errno.EISCONN}


def set_nonblocking(fd):
    """Put a socket or an fd in non-blocking mode."""
    if hasattr(fd, "setblocking"):
        fd.setblocking(False)
    else:
        _os.set_blocking(fd.fileno() if hasattr(fd, "fileno") else fd, False)


def shutdown_safe(sock):
    """Shut a socket down both ways, ignoring 'not connected' (a peer that already left)."""
    try:
        return sock.shutdown(_gsocket.SHUT_RDWR)
    except TypeError:
        return sock.shutdown()
    except OSError as e:
        if e.errno not in (errno.ENOTCONN, errno.EBADF):
            raise


def GreenPipe(name, mode="r", buffering=-1, encoding=None, errors=None, newline=None,
              closefd=True, opener=None):
    """A file object for a pipe or fd whose reads and writes park only the calling green thread
    (fasthub's green ``os.read``/``os.write`` under a buffered file)."""
    import io
    from fasthub.green import os as gos

    if isinstance(name, int):
        fd = name
    elif hasattr(name, "fileno"):
        fd = name.fileno()
        closefd = False
    else:
        fd = _os.open(name, _os.O_RDWR if "+" in mode else (_os.O_WRONLY if "w" in mode else
                                                          _os.O_RDONLY))
    _os.set_blocking(fd, False)

    class _Raw(io.RawIOBase):
        def readable(self):
            return "r" in mode or "+" in mode

        def writable(self):
            return "w" in mode or "a" in mode or "+" in mode

        def readinto(self, buf):
            data = gos.read(fd, len(buf))
            buf[:len(data)] = data
            return len(data)

        def write(self, data):
            return gos.write(fd, data)

        def fileno(self):
            return fd

        def close(self):
            if not self.closed and closefd:
                _os.close(fd)
            super().close()

    raw = _Raw()
    binary = "b" in mode
    if buffering == 0 and binary:
        return raw
    size = io.DEFAULT_BUFFER_SIZE if buffering in (-1, 1, 0) else buffering
    if raw.readable() and raw.writable():
        buffered = io.BufferedRWPair(raw, raw, size)
    elif raw.writable():
        buffered = io.BufferedWriter(raw, size)
    else:
        buffered = io.BufferedReader(raw, size)
    if binary:
        return buffered
    return io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline=newline,
                            line_buffering=buffering == 1 or raw.writable())
