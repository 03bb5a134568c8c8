# The hub's table of contents: every typed field and cdef method of Hub and Waiter. Bodies: _hub.pyx.

from fasthub.core.includes.greenlet cimport greenlet
from fasthub.core.includes.poller cimport fh_poller_t, fh_event_t
from fasthub.core._timers cimport Timer, TimerHeap


cdef class Waiter:
    cdef object greenlet      # the raw greenlet parked in get(), None otherwise
    cdef object value
    cdef object exc           # exception to raise from get(), or None
    cdef bint done
    cdef Hub hub
    # While the waiter is queued in a WaitList (fasthub.core._waitlist) it is the list's node, so the
    # list unlinks it in O(1) and allocates nothing else per wait.
    cdef Waiter wl_prev
    cdef Waiter wl_next
    cdef int wl_state         # a WaitList state: not queued, queued, woken by unpark_one or _all
    # What the green thread parked here waits on, for deadlock reports and fasthub.stats(): set by
    # the wait paths (a few stores), read only when someone asks.
    cdef int kind             # WAIT_OTHER, WAIT_SLEEP, WAIT_READ or WAIT_WRITE
    cdef int fd               # the fd of a WAIT_READ/WAIT_WRITE
    cdef object on            # the object waited on (a Lock, a Queue, a GreenThread ...) or None
    # The hub's line of parked waiters (Hub.parked_waiters()), linked while get() is parked.
    cdef Waiter park_prev
    cdef Waiter park_next

    cpdef switch(self, object value=*)
    cpdef throw(self, object exc)
    cpdef get(self)
    cdef int _fire(self, object exc) except -1


cdef class CancelHook:
    # The cancel-scope state of one green thread (implemented by fasthub.core._cancel). Waiter.get()
    # asks it before parking, and tells it where it parks so that a cancel can wake it there.
    cdef Waiter parked
    cdef int before_park(self) except -1


cdef enum:
    WAIT_OTHER = 0
    WAIT_SLEEP = 1
    WAIT_READ = 2
    WAIT_WRITE = 3


cdef class Listener:
    cdef readonly int fd
    cdef readonly int direction
    cdef object callback
    cdef tuple args
    cdef Hub hub

    cpdef cancel(self)


cdef class _FdSlot:
    cdef object reader        # Waiter, Listener or None
    cdef object writer
    cdef int mask             # interest the kernel has for this fd, as far as we know


cdef class Hub(greenlet):
    cdef fh_poller_t poller
    cdef fh_event_t *events
    cdef int maxevents
    cdef int wake_fds[2]
    cdef int sig_fd                   # read end of the signal wake-up pipe (main thread), else -1
    cdef object _sigwake              # its fasthub.core.sigwake.SignalWakeup, or None
    cdef list _fds
    cdef readonly TimerHeap timers
    cdef list _ready
    cdef list _spare
    cdef list _threadsafe
    cdef readonly unsigned long long switch_count
    cdef readonly unsigned long long iterations   # loop iterations, for fasthub.stats()
    cdef Waiter _parked_head          # the line of Waiters parked in get() (newest first)
    cdef readonly dict scoped         # greenlet -> CancelHook, for green threads inside cancel scopes
    cdef readonly bint in_poll         # blocked in the backend's wait: idle, not stuck
    cdef public object running         # the greenlet the hub last resumed (for fasthub.monitor)
    cdef readonly unsigned long thread_ident
    cdef readonly bint closed
    cdef bint _stopping
    cdef Py_ssize_t _fd_refs         # fd waiters and listeners registered
    cdef readonly Py_ssize_t parked  # greenlets parked in Waiter.get()
    cdef public Py_ssize_t external_refs  # pending work in other threads that will call back
    cdef public object error_handler
    cdef public list idle_workers    # parked worker greenlets, reused by spawn (see _greenthread.pyx)
    cdef public Py_ssize_t max_idle_workers
    cdef public object worker_trim_timer  # pending trim of idle workers above max_idle_workers
    cdef readonly Py_ssize_t workers  # worker greenlets alive, idle or busy (see _greenthread.pyx)

    cdef inline void _schedule(self, object fn, object args)
    cdef _FdSlot _slot(self, int fd)
    cdef int _set_interest(self, int fd, _FdSlot slot, int mask) except -1
    cdef object _wait_fd(self, int fd, int direction, object timeout, object timeout_exc, bint managed=*)
    cdef Listener _listen(self, int fd, int direction, object callback, tuple args)
    cdef int _run_entry(self, object fn, object args) except -1
    cdef int _run_ready(self) except -1
    cdef int _fire_timers(self, double now) except -1
    cdef int _dispatch(self, int n) except -1
    cdef int _drain_threadsafe(self) except -1
    cdef int _poll(self, int timeout_ms) except -1
    cdef int _run_signal_handlers(self) except -1
    cdef int _report(self, object context) except -1
    cdef double _next_timeout(self)
    cdef void _close_fds(self)


cpdef Hub get_hub()
cpdef sleep(double seconds=*)
cpdef double monotonic()
