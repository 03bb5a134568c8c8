# The green socket's hot path, in C: its table of contents. Bodies: _gsocket.pyx.
# recv/recv_into/send/sendall (module-level def functions) are bound as methods of
# fasthub.green.socket.socket; these helpers do one system call each and never wait.

from cpython.object cimport PyObject


cdef int _fd_of(object sock) except? -2
cdef object _deadline(object sock)
cdef int _wait(int fd, int direction, object deadline) except -1
cdef object _recv_once(int fd, Py_ssize_t bufsize, int flags)
cdef Py_ssize_t _raise_errno(int err) except -1

# The servers' I/O (plain or TLS green sockets): ``timeout`` bounds each wait for the fd (INFINITY: no
# limit), whatever the socket's own timeout is.
cdef object recv_for(object sock, double timeout)
cdef int sendall_for(object sock, object data, double timeout) except -1
