"""``eventlet.greenio``: GreenSocket (fasthub's green socket class), GreenPipe, shutdown_safe,
SSL and the errno sets eventlet code imports from here."""

import errno
import io
import os as os_

from fasthub.green import socket as _gsocket
from fasthub.green import ssl as _gssl

__all__ = ["GreenSocket", "GreenPipe", "shutdown_safe", "SOCKET_BLOCKING", "SOCKET_CLOSED",
           "CONNECT_ERR", "CONNECT_SUCCESS", "set_nonblocking"]



class GreenSocket(_gsocket.socket):
    """fasthub's green socket; ``GreenSocket(sock)`` also takes over an existing socket object
    (its fd and timeout), as eventlet's does."""


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

    def accept(self):
        """Wait for a connection; return ``(GreenSocket, address)``."""
        conn, addr = super().accept()
        timeout = conn.gettimeout()
        green = GreenSocket(conn.family, conn.type, conn.proto, fileno=conn.detach())
        green.settimeout(timeout)
        return green, addr

    # eventlet treats a connection reset by the peer like an orderly close: reads return EOF.
    def recv(self, bufsize, flags=0):
        try:
            return super().recv(bufsize, flags)
        except ConnectionResetError:
            return b""

    def recv_into(self, buffer, nbytes=0, flags=0):
        try:
            return super().recv_into(buffer, nbytes, flags)
        except ConnectionResetError:
            return 0

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
        os_.set_blocking(fd.fileno() if hasattr(fd, "fileno") else fd, False)


def shutdown_safe(sock):
    """Shut a socket down both ways, ignoring 'not connected' (a peer that already left)."""
    try:
        return sock.shutdown(_gsocket.SHUT_RDWR)
    except TypeError:
        return sock.shutdown()
    except OSError as e:
        if e.errno not in (errno.ENOTCONN, errno.EBADF):
            raise


def _flags(mode):
    if "+" in mode:
        flags = os_.O_RDWR
    elif "r" in mode:
        flags = os_.O_RDONLY
    else:
        flags = os_.O_WRONLY
    if "w" in mode:
        flags |= os_.O_CREAT | os_.O_TRUNC
    elif "a" in mode:
        flags |= os_.O_CREAT | os_.O_APPEND
    elif "x" in mode:
        flags |= os_.O_CREAT | os_.O_EXCL
    return flags


class GreenFileIO(io.RawIOBase):
    """A raw file over an fd (a pipe, a FIFO, a file) whose reads and writes park only the calling
    green thread when the fd is not ready (fasthub's green ``os.read``/``os.write``)."""

    def __init__(self, name, mode="r", closefd=True, opener=None):
        if isinstance(name, int):
            fd = name
        else:
            fd = opener(name, _flags(mode)) if opener else os_.open(name, _flags(mode), 0o666)
        self._fd = fd
        self._closefd = closefd
        self.name = name
        self.mode = mode
        self._readable = "r" in mode or "+" in mode
        self._writable = any(c in mode for c in "wax+")
        os_.set_blocking(fd, False)

    def readable(self):
        return self._readable

    def writable(self):
        return self._writable

    def seekable(self):
        try:
            os_.lseek(self._fd, 0, os_.SEEK_CUR)
        except OSError:
            return False
        return True

    def fileno(self):
        return self._fd

    def readinto(self, buf):
        from fasthub.green import os as gos
        data = gos.read(self._fd, len(buf))
        buf[:len(data)] = data
        return len(data)

    def write(self, data):
        from fasthub.green import os as gos
        return gos.write(self._fd, data)

    def seek(self, offset, whence=os_.SEEK_SET):
        return os_.lseek(self._fd, offset, whence)

    def tell(self):
        return os_.lseek(self._fd, 0, os_.SEEK_CUR)

    def truncate(self, size=None):
        if size is None:
            size = self.tell()
        os_.ftruncate(self._fd, size)
        os_.lseek(self._fd, size, os_.SEEK_SET)   # eventlet leaves the position at the new end
        return size

    def close(self):
        if not self.closed and self._closefd:
            os_.close(self._fd)
        super().close()


def GreenPipe(name, mode="r", buffering=-1, encoding=None, errors=None, newline=None,
              closefd=True, opener=None):
    """``open()`` for pipes and fds: a buffered (or text) file over a GreenFileIO. ``name`` may be
    a path, an fd, or an object with fileno() (its fd is shared, not closed)."""
    if hasattr(name, "fileno") and not isinstance(name, int):
        name = name.fileno()
        closefd = False
    raw = GreenFileIO(name, mode.replace("t", ""), closefd, opener)
    binary = "b" in mode
    if buffering == 0 and binary:
        return raw
    size = io.DEFAULT_BUFFER_SIZE if buffering in (-1, 0, 1) else buffering
    if raw.readable() and raw.writable():
        buffered = io.BufferedRandom(raw, size) if raw.seekable() else io.BufferedRWPair(raw, raw, size)
    elif raw.writable():
        buffered = io.BufferedWriter(raw, size)
    else:
        buffered = io.BufferedReader(raw, size)
    if binary:
        return buffered
    text = io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline=newline,
                            line_buffering=buffering == 1)
    text.mode = mode
    return text
