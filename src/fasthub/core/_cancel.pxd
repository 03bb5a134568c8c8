# Cancel scopes' table of contents; bodies live in _cancel.pyx.

from fasthub.core._hub cimport CancelHook, Hub
from fasthub.core._timers cimport Timer


cdef class ScopeState(CancelHook):
    cdef CancelScope scope        # the innermost scope of the green thread
    cdef object greenlet          # the raw greenlet it runs on
    cdef Hub hub
    cdef CancelScope root         # a task group child's first scope (its group's), else None

    cdef CancelScope _target(self)


cdef class CancelScope:
    cdef double _deadline         # on fasthub.monotonic()'s clock; +inf: none
    cdef bint _shield
    cdef bint _cancel_called
    cdef bint _cancelled_caught
    cdef bint _entered
    cdef bint _exited
    cdef bint _fail               # fail_after(): raise TimeoutError when the deadline cancelled it
    cdef CancelScope _parent
    cdef ScopeState _state        # the green thread that entered it
    cdef list _kids               # scopes entered inside it, by its green thread or its children
    cdef list _children           # states of green threads started inside it (task group children)
    cdef Timer _timer
    cdef Hub _hub
    cdef public object owner      # what made it (a TaskGroup ...), for tools; None for a plain scope

    cdef int _arm(self) except -1
    cdef int _do_cancel(self) except -1
    cdef int _deliver(self) except -1
