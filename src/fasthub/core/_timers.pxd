# The timer heap's table of contents; bodies live in _timers.pyx.

cdef class Timer:
    cdef readonly double deadline
    cdef unsigned long long seq
    cdef public object callback
    cdef public object args
    cdef bint _pending
    cdef void *_heap    # borrowed: the heap holding it while pending (see TimerHeap.__dealloc__)

    cpdef cancel(self)


cdef class TimerHeap:
    cdef list _heap
    cdef Py_ssize_t _dead
    cdef unsigned long long _seq

    cpdef Timer schedule(self, double deadline, object callback, object args=*)
    cdef Timer pop_due(self, double now)
    cpdef double next_deadline(self)
    cpdef Timer pop_next_due(self, double now)
    cpdef compact(self)
    cdef void _note_cancel(self)
    cdef void _sift_down(self, Py_ssize_t pos)
    cdef void _sift_up(self, Py_ssize_t pos)
    cdef void _prune_top(self)
