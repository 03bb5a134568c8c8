# The wait list's table of contents; bodies live in _waitlist.pyx.

from fasthub.core._hub cimport Hub, Waiter


cdef class WaitList:
    cdef Waiter _head         # longest waiting
    cdef Waiter _tail
    cdef Py_ssize_t _len

    cdef object _park(self, object deadline, object ready, object pass_on, bint front, object owner)
    cdef Waiter _enqueue(self, Hub hub, bint front)
    cdef void _unlink(self, Waiter w)
    cdef object _wait(self, Waiter w, object deadline, object pass_on)
    cdef int _leave(self, Waiter w, object pass_on) except -1
    cdef bint _unpark_one(self, object value) except -1
    cdef Py_ssize_t _unpark_all(self, object value) except -1
