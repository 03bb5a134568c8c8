# The flag's table of contents. Body and design: _flag.pyx.

from fasthub.core._waitlist cimport WaitList


cdef class Flag:
    cdef object __weakref__
    cdef public bint _flag
    cdef readonly WaitList _waiters
