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

The servers (StreamServer, WSGI, WebSocket) use the same path with the timeout given per call instead
of the socket's: ``recv_within`` / ``sendall_within`` (and their C forms ``recv_for`` / ``sendall_for``)
bound each wait for the fd by ``timeout`` seconds and handle plain and TLS green sockets alike, so a
connection handed to an application keeps its own timeout (None: blocking) whatever the server uses.
Received bytes land in one buffer per OS thread and are copied out at their exact size: no connection
owns a receive buffer. ``ssl_call`` is the one TLS retry loop (want-read / want-write -> wait, retry)
under the green SSLSocket's handshake, read, write and unwrap, and under the servers' TLS I/O.
"""

from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE, PyBUF_WRITABLE
from cpython.bytearray cimport PyByteArray_AS_STRING
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.exc cimport PyErr_CheckSignals, PyErr_SetFromErrno
from cpython.object cimport PyObject
from libc.errno cimport errno, EAGAIN, EINTR
from libc.math cimport INFINITY

from fasthub.core._hub cimport Hub, get_hub
from fasthub.core.includes.poller cimport FH_READ, FH_WRITE, fh_monotonic

import _socket
from _thread import _local as _os_thread_local

try:
    import _ssl
except ImportError:  # a Python built without OpenSSL: there are no TLS sockets to serve
    _ssl = None

cdef extern from "pythread.h":
    unsigned long PyThread_get_thread_ident() nogil

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

cdef extern from *:
    """
    /* _socket.socket.fileno's C function, called directly: the fd is read on every operation (never
       cached, so a socket closed meanwhile fails cleanly) and the generic call costs more than the
       system call's own user-space part. Set up once from the method descriptor, if it is one. */
    typedef PyObject *(*fh_noargs_fn)(PyObject *, PyObject *);
    static fh_noargs_fn fh_fileno_fn = NULL;
    static PyTypeObject *fh_socket_type = NULL;
    static void fh_fileno_init(PyObject *type, PyObject *descr) {
        if (Py_IS_TYPE(descr, &PyMethodDescr_Type)
                && (((PyMethodDescrObject *)descr)->d_method->ml_flags & METH_NOARGS)) {
            fh_fileno_fn = (fh_noargs_fn)(void *)((PyMethodDescrObject *)descr)->d_method->ml_meth;
            fh_socket_type = (PyTypeObject *)type;
        }
    }
    static PyObject *fh_fileno(PyObject *sock, PyObject *fallback) {
        if (fh_fileno_fn != NULL && PyObject_TypeCheck(sock, fh_socket_type))
            return fh_fileno_fn(sock, NULL);
        return PyObject_CallOneArg(fallback, sock);
    }
    """
    void fh_fileno_init(object type, object descr)
    object fh_fileno(object sock, object fallback)

fh_fileno_init(_socket.socket, _socket.socket.__dict__["fileno"])


cdef int _fd_of(object sock) except? -2:
    return fh_fileno(sock, _c_fileno)


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
    bint limited    # False: no time limit
    double at       # monotonic deadline when limited
    bint explicit   # True: ``timeout`` below is the limit; False: the socket's own timeout is
    double timeout  # seconds (INFINITY: no limit), when explicit


cdef inline void _explicit(_Deadline *dl, double timeout):
    dl.started = False
    dl.explicit = True
    dl.timeout = timeout


cdef inline void _own(_Deadline *dl):
    dl.started = False
    dl.explicit = False


cdef int _start(_Deadline *dl, object sock) except -1:
    # At the first wait of an operation: fix its deadline from the explicit timeout or the socket's.
    if dl.explicit:
        dl.limited = dl.timeout != INFINITY
        if dl.limited:
            dl.at = fh_monotonic() + dl.timeout
    else:
        timeout = sock._timeout
        dl.limited = timeout is not None
        if dl.limited:
            dl.at = fh_monotonic() + <double>timeout
    dl.started = True
    return 0


cdef inline bint _nonblocking(_Deadline *dl, object sock, int flags) except -1:
    # A socket at timeout 0.0 (or MSG_DONTWAIT) raises instead of waiting; explicit timeouts wait.
    return not dl.explicit and (sock._timeout == 0.0 or flags & MSG_DONTWAIT)


cdef inline ssize_t _transfer(object sock, int fd, char *buf, size_t n, int flags, int direction,
                              _Deadline *dl) except -1:
    # One recv (direction FH_READ) or send (FH_WRITE) that moved data, parking in the hub on EAGAIN.
    # The first wait fixes the deadline in *dl, so a caller looping over chunks with one *dl (the
    # socket's sendall) is bounded by the timeout as a whole, as the stdlib's sendall is.
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
            if _nonblocking(dl, sock, flags):
                _raise_errno(err)
            _start(dl, sock)
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
    _own(&dl)
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
    _own(&dl)
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
    _own(&dl)
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        fd = _fd_of(self)
        while offset < view.len:
            offset += _transfer(self, fd, <char *>view.buf + offset, <size_t>(view.len - offset),
                                flags, FH_WRITE, &dl)
    finally:
        PyBuffer_Release(&view)


# --- TLS: the one retry loop --------------------------------------------------------------------

cdef object _WantRead = _ssl.SSLWantReadError if _ssl is not None else ()
cdef object _WantWrite = _ssl.SSLWantWriteError if _ssl is not None else ()
cdef object _TLSEnd = (_ssl.SSLZeroReturnError, _ssl.SSLEOFError) if _ssl is not None else ()


cdef object _tls_retry(object sock, object fn, tuple args, _Deadline *dl):
    # Call a TLS object's method; on want-read / want-write wait for the fd and call it again.
    cdef int direction
    while True:
        try:
            return fn(*args)
        except _WantRead:
            if _nonblocking(dl, sock, 0):
                raise
            direction = FH_READ
        except _WantWrite:
            if _nonblocking(dl, sock, 0):
                raise
            direction = FH_WRITE
        if not dl.started:
            _start(dl, sock)
        _wait(_fd_of(sock), direction, dl.at if dl.limited else None)


def ssl_call(sock, fn, *args):
    """Call ``fn(*args)`` (a method of ``sock``'s TLS object: do_handshake, read, write, shutdown),
    parking the calling green thread whenever OpenSSL wants the fd readable or writable.

    The socket's timeout bounds the whole call (TimeoutError); at timeout 0.0 the SSLWantReadError /
    SSLWantWriteError is raised as the stdlib does. The green SSLSocket's methods use this.
    """
    cdef _Deadline dl
    _own(&dl)
    return _tls_retry(sock, fn, args, &dl)


# --- the servers' I/O: a timeout per wait, plain or TLS --------------------------------------------

# Bytes are received into one buffer per OS thread and copied out at their size: the copy is cheap
# next to the system call, and no connection (idle ones least of all) owns a receive buffer. Nothing
# switches green threads between the receive and the copy, so one buffer per OS thread is enough.
cdef enum:
    RECV_SIZE = 65536
cdef object _buffers = _os_thread_local()
cdef unsigned long _buffer_thread = 0
cdef object _buffer = None


cdef object _thread_buffer():
    global _buffer_thread, _buffer
    cdef unsigned long ident = PyThread_get_thread_ident()
    if ident != _buffer_thread or _buffer is None:
        try:
            buf = _buffers.buf
        except AttributeError:
            buf = _buffers.buf = bytearray(RECV_SIZE)
        _buffer = buf
        _buffer_thread = ident
    return _buffer


cdef object _recv_now(object sock, int *want):
    # One receive attempt into the thread's buffer, never waiting: the bytes received (b'' at end of
    # stream), or None with the direction to wait for in *want.
    cdef ssize_t r
    cdef int err
    cdef object buf = _thread_buffer()
    cdef char *p = PyByteArray_AS_STRING(buf)
    sslobj = getattr(sock, "_sslobj", None)
    if sslobj is not None:
        try:
            r = sslobj.read(RECV_SIZE, buf)
        except _WantRead:
            want[0] = FH_READ
            return None
        except _WantWrite:
            want[0] = FH_WRITE
            return None
        except _TLSEnd:
            r = 0
        return PyBytes_FromStringAndSize(p, r)
    while True:
        r = c_recv(_fd_of(sock), p, RECV_SIZE, 0)
        if r >= 0:
            return PyBytes_FromStringAndSize(p, r)
        err = errno
        if err == EINTR:
            PyErr_CheckSignals()
        elif fh_would_block(err):
            want[0] = FH_READ
            return None
        else:
            _raise_errno(err)


# Called through a pointer so the compiler keeps it out of _recv's frame (see there).
ctypedef object (*_attempt_fn)(object, int *)
cdef _attempt_fn _recv_attempt = _recv_now


cdef object _recv(object sock, double timeout):
    # Receive what has arrived, waiting for it. The attempt is a separate frame: a green thread waits
    # here for a WebSocket's next message, with this frame saved on its stack all the while.
    cdef int want = FH_READ
    cdef _Deadline dl
    _explicit(&dl, timeout)
    while True:
        data = _recv_attempt(sock, &want)
        if data is not None:
            return data
        if not dl.started:
            _start(&dl, sock)
        _wait(_fd_of(sock), want, dl.at if dl.limited else None)


cdef object recv_for(object sock, double timeout):
    return _recv(sock, timeout)


cdef int sendall_for(object sock, object data, double timeout) except -1:
    cdef Py_buffer view
    cdef Py_ssize_t offset = 0
    cdef int fd
    cdef _Deadline dl
    sslobj = getattr(sock, "_sslobj", None)
    if sslobj is not None:
        mv = memoryview(data)
        while offset < len(mv):
            _explicit(&dl, timeout)
            offset += _tls_retry(sock, sslobj.write, (mv[offset:] if offset else data,), &dl)
        return 0
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        fd = _fd_of(sock)
        while offset < view.len:
            # A fresh deadline per chunk: the timeout bounds each wait, so a slow reader that keeps
            # taking data is served however long the whole body takes.
            _explicit(&dl, timeout)
            offset += _transfer(sock, fd, <char *>view.buf + offset, <size_t>(view.len - offset), 0,
                                FH_WRITE, &dl)
    finally:
        PyBuffer_Release(&view)
    return 0


cdef inline double _seconds(object timeout) except? -1.0:
    return INFINITY if timeout is None else <double>timeout


def recv_within(sock, timeout=None):
    """Receive what has arrived on green socket ``sock`` (plain or TLS), up to 64 KiB, as bytes;
    b'' at end of stream (a TLS close_notify or a ragged EOF too).

    Parks the calling green thread until data arrives; TimeoutError after ``timeout`` seconds (None:
    no limit), whatever the socket's own timeout. FdClosedError if the socket is closed meanwhile,
    OSError for connection errors.
    """
    return _recv(sock, _seconds(timeout))


def sendall_within(sock, data, timeout=None):
    """Send all of ``data`` on green socket ``sock`` (plain or TLS).

    Parks the calling green thread while the kernel buffer is full; each of those waits may last
    ``timeout`` seconds (None: no limit) before TimeoutError, so a peer that stops reading is given
    up on while a slow one that keeps reading is served. OSError (BrokenPipeError...) if the peer is
    gone, FdClosedError if the socket is closed meanwhile.
    """
    sendall_for(sock, data, _seconds(timeout))
