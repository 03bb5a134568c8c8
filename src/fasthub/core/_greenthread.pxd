# Green threads: the handle users hold (GreenThread) and the worker greenlets that run them.

from fasthub.core.includes.greenlet cimport greenlet
from fasthub.core._hub cimport Hub
from fasthub.core._timers cimport Timer
from fasthub.core._waitlist cimport WaitList


cdef class Worker(greenlet):
    cdef readonly object task
    cdef Hub hub


cdef class GreenThread:
    cdef object _fn
    cdef tuple _args
    cdef dict _kwargs
    cdef readonly Hub hub
    cdef Worker _worker
    cdef int _state
    cdef object _value
    cdef object _exception
    cdef list _links
    cdef WaitList _joiners      # made by the first join()
    cdef Timer _start_timer
    cdef public object name

    cdef int _execute(self) except -1
    cdef int _finish(self, object value, object exception, bint in_worker) except -1
    cdef int _start_in_worker(self) except -1



cpdef object getcurrent()
