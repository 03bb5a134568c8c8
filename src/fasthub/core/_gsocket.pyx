# cython: language_level=3, boundscheck=False, wraparound=False
"""The green socket's hot path in C: recv, recv_into, send and sendall.

These are module-level functions that ``fasthub.green.socket.socket`` binds as methods (Cython
functions bind like Python ones). Each tries the system call directly on the socket's fd, which is
always non-blocking, and only when the kernel answers EAGAIN does it park the calling green thread in
the hub (``Hub._wait_fd``, a C call) until the fd is ready, then tries again. So a call that finds data
or buffer space costs one system call and no Python-level exception; CPython's own methods would raise
and catch a BlockingIOError for every EAGAIN.

The user's timeout lives in the socket's ``_timeout`` slot (None: wait without limit; 0.0: raise
BlockingIOError like a non-blocking stdlib socket; t > 0: TimeoutError once the whole operation has
taken t seconds). MSG_DONTWAIT in ``flags`` raises BlockingIOError instead of waiting, as it does on
a stdlib socket. Errors are raised as CPython raises them (OSError subclasses chosen from errno);
EINTR runs the signal handlers and retries (PEP 475).

The GIL is kept during the system calls: on a non-blocking fd they return in microseconds, and taking
the GIL back would cost more than it gives other threads.
"""

from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE, PyBUF_WRITABLE
from cpython.exc cimport PyErr_CheckSignals, PyErr_SetFromErrno
from cpython.object cimport PyObject
from libc.errno cimport errno, EAGAIN, EINTR

from fasthub.core._hub cimport Hub, get_hub
from fasthub.core.includes.poller cimport FH_READ, FH_WRITE, fh_monotonic

import _socket

cdef extern from *:
    """
    #include <errno.h>
    /* EAGAIN and EWOULDBLOCK are one value on Linux but may differ elsewhere. */
    static inline int fh_would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }
    """
    bint fh_would_block(int e)

cdef extern from "sys/socket.h" nogil:
    enum: MSG_DONTWAIT
    ssize_t c_recv "recv"(int fd, void *buf, size_t n, int flags)
    ssize_t c_send "send"(int fd, const void *buf, size_t n, int flags)

cdef extern from "Python.h":
    # Raw-pointer forms, so the bytes object can be shrunk in place like CPython's sock_recv does.
    PyObject *PyBytes_FromStringAndSize_raw "PyBytes_FromStringAndSize"(const char *s, Py_ssize_t n)
    char *PyBytes_AS_STRING_raw "PyBytes_AS_STRING"(PyObject *o)
    int _PyBytes_Resize(PyObject **o, Py_ssize_t n)
    void Py_DECREF_raw "Py_DECREF"(PyObject *o)

cdef object _c_fileno = _socket.socket.fileno


cdef int _fd_of(object sock) except? -2:
    return _c_fileno(sock)


cdef object _deadline(object sock):
    # None: wait without limit; 0.0 would have been handled by the caller; else a monotonic deadline.
    timeout = sock._timeout
    if timeout is None:
        return None
    return fh_monotonic() + <double>timeout


cdef int _wait(int fd, int direction, object deadline) except -1:
    cdef Hub hub = get_hub()
    cdef double remaining
    if deadline is None:
        hub._wait_fd(fd, direction, None, None)
        return 0
    remaining = <double>deadline - fh_monotonic()
    if remaining <= 0:
        raise TimeoutError("timed out")
    hub._wait_fd(fd, direction, remaining, None)
    return 0


cdef struct _Deadline:
    bint started    # a wait already happened: the fields below are set
    bint limited    # False: the socket has no timeout
    double at       # monotonic deadline when limited


cdef ssize_t _transfer(object sock, int fd, char *buf, size_t n, int flags, int direction,
                       _Deadline *dl) except -1:
    # One recv (direction FH_READ) or send (FH_WRITE) that moved data, parking in the hub on EAGAIN.
    # The first wait fixes the deadline in *dl, so a caller looping over chunks (sendall) is bounded
    # by the socket timeout as a whole, as the stdlib's sendall is.
    cdef ssize_t r
    cdef int err
    while True:
        if direction == FH_READ:
            r = c_recv(fd, buf, n, flags)
        else:
            r = c_send(fd, buf, n, flags)
        if r >= 0:
            return r
        err = errno
        if err == EINTR:
            PyErr_CheckSignals()
            continue
        if not fh_would_block(err):
            _raise_errno(err)
        if not dl.started:
            timeout = sock._timeout
            if timeout == 0.0 or flags & MSG_DONTWAIT:
                _raise_errno(err)
            dl.limited = timeout is not None
            if dl.limited:
                dl.at = fh_monotonic() + <double>timeout
            dl.started = True
        _wait(fd, direction, dl.at if dl.limited else None)


READ = FH_READ
WRITE = FH_WRITE


def wait(int fd, int direction, object deadline):
    """Park the calling green thread until ``fd`` may be read (READ) or written (WRITE); raise
    TimeoutError once ``deadline`` (monotonic seconds, or None for no limit) has passed.

    For fds of green sockets only: they call notify_close() before closing, so the hub may trust its
    cached kernel interest and a repeated wait costs no system call (fasthub.wait_read re-arms).
    """
    _wait(fd, direction, deadline)


cdef Py_ssize_t _raise_errno(int err) except -1:
    errno = err
    PyErr_SetFromErrno(OSError)
    return -1


cdef object _recv_once(int fd, Py_ssize_t bufsize, int flags):
    # The received bytes, or None on EAGAIN. Raises OSError for other errors.
    cdef PyObject *buf
    cdef ssize_t n
    cdef int err
    cdef object result
    buf = PyBytes_FromStringAndSize_raw(NULL, bufsize)
    if buf == NULL:
        raise MemoryError()
    while True:
        n = c_recv(fd, PyBytes_AS_STRING_raw(buf), <size_t>bufsize, flags)
        if n >= 0:
            break
        err = errno
        if err == EINTR:
            try:
                PyErr_CheckSignals()
            except BaseException:
                Py_DECREF_raw(buf)
                raise
            continue
        Py_DECREF_raw(buf)
        if fh_would_block(err):
            return None
        _raise_errno(err)
    if n != bufsize:
        # Shrinks in place (realloc), as CPython does; on failure buf is freed and NULL.
        if _PyBytes_Resize(&buf, n) < 0:
            raise MemoryError()
    result = <object>buf
    Py_DECREF_raw(buf)
    return result


def recv(self, Py_ssize_t bufsize, int flags=0):
    """recv(bufsize[, flags]) -> data

    Receive up to ``bufsize`` bytes (b'' at end of stream). Parks the calling green thread until data
    arrives; TimeoutError after the socket's timeout; BlockingIOError if the socket is non-blocking.
    """
    cdef int fd
    cdef object data, deadline
    if bufsize < 0:
        raise ValueError("negative buffersize in recv")
    fd = _fd_of(self)
    data = _recv_once(fd, bufsize, flags)
    if data is not None:
        return data
    if self._timeout == 0.0 or flags & MSG_DONTWAIT:
        _raise_errno(EAGAIN)
    deadline = _deadline(self)
    while True:
        _wait(fd, FH_READ, deadline)
        data = _recv_once(fd, bufsize, flags)
        if data is not None:
            return data


def recv_into(self, buffer, Py_ssize_t nbytes=0, int flags=0):
    """recv_into(buffer[, nbytes[, flags]]) -> nbytes_received

    Receive up to ``nbytes`` (default: len(buffer)) bytes into ``buffer``; waits like recv().
    """
    cdef Py_buffer view
    cdef _Deadline dl
    dl.started = False
    if nbytes < 0:
        raise ValueError("negative buffersize in recv_into")
    try:
        PyObject_GetBuffer(buffer, &view, PyBUF_WRITABLE)
    except (BufferError, TypeError):
        raise TypeError(f"recv_into() argument 1 must be read-write bytes-like object, "
                        f"not {type(buffer).__name__}") from None
    try:
        if nbytes == 0:
            nbytes = view.len
        elif view.len < nbytes:
            raise ValueError("buffer too small for requested bytes")
        return _transfer(self, _fd_of(self), <char *>view.buf, <size_t>nbytes, flags, FH_READ, &dl)
    finally:
        PyBuffer_Release(&view)


def send(self, data, int flags=0):
    """send(data[, flags]) -> count

    Send some of ``data`` and return how many bytes were sent. Parks the calling green thread until
    the kernel has buffer space; TimeoutError/BlockingIOError as recv().
    """
    cdef Py_buffer view
    cdef _Deadline dl
    dl.started = False
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        return _transfer(self, _fd_of(self), <char *>view.buf, <size_t>view.len, flags, FH_WRITE, &dl)
    finally:
        PyBuffer_Release(&view)


def sendall(self, data, int flags=0):
    """sendall(data[, flags])

    Send all of ``data``, parking the calling green thread whenever the kernel buffer is full. The
    socket's timeout bounds the whole call (TimeoutError); on a non-blocking socket BlockingIOError is
    raised when the buffer fills (some data may have been sent, as with the stdlib).
    """
    cdef Py_buffer view
    cdef int fd
    cdef Py_ssize_t offset = 0
    cdef _Deadline dl
    dl.started = False
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        fd = _fd_of(self)
        while offset < view.len:
            offset += _transfer(self, fd, <char *>view.buf + offset, <size_t>(view.len - offset),
                                flags, FH_WRITE, &dl)
    finally:
        PyBuffer_Release(&view)
