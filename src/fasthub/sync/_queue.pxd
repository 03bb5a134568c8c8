# The queues' table of contents: typed fields and cdef methods. Bodies and the design: _queue.pyx.

from fasthub.core._waitlist cimport WaitList


cdef class LightQueue:
    cdef dict __dict__            # subclasses and users may set attributes, as on the stdlib's queues
    cdef object __weakref__
    cdef public object queue      # the container the _init/_put/_get/_qsize hooks work on
    cdef Py_ssize_t _maxsize      # 0: unbounded
    cdef readonly bint _joinable  # counts unfinished tasks (Queue and its subclasses)
    cdef Py_ssize_t _unfinished   # items put and not yet task_done(): C arithmetic, atomic under the GIL
    cdef WaitList _getters
    cdef WaitList _putters
    cdef WaitList _joiners
    cdef object _mutex            # an OS lock for compound steps; never held across a switch
    # The hooks the hot paths call: the container's own C methods with the stock hooks, else the
    # subclass's hooks wrapped in a mutex (see _bind_hooks).
    cdef object _sizex
    cdef object _putx
    cdef object _getx
    cdef bint _sized              # the stock _qsize: the size is len(self.queue), read without a call

    cdef object _take(self)
    cdef int _store(self, object item) except -1
    cdef bint _try_put(self, object item) except -1
    cdef object _wait_turn(self, WaitList line, object deadline, object ready, bint getting,
                           object item, object exc_class, bint front)


cdef class Queue(LightQueue):
    pass
