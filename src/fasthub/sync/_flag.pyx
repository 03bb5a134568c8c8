# cython: language_level=3, boundscheck=False, wraparound=False, binding=False
"""Flag: a flag green threads wait for, compiled; what Event and AsyncResult (fasthub.sync.event) share.

Compiled because an Event hand-off (set, wait, clear on each side) is a handful of calls, and in
Python their frames cost more than the switches themselves.

Thread-safety without a mutex: the only shared state is the flag and the wait list. A waiter joins
the list and then re-reads the flag (park's ``ready``); set() writes the flag and then wakes the list.
Whatever the interleaving between two OS threads, one of the two sees the other, so no wake-up is lost.
"""

cimport cython

from fasthub.core._hub cimport monotonic
from fasthub.core._waitlist cimport WaitList
from fasthub.core._waitlist import ParkTimeout


@cython.auto_pickle(False)
cdef class Flag:
    """A flag green threads can wait for: set, clear, wait with a timeout."""

    def __cinit__(self, *args, **kwargs):
        self._waiters = WaitList()

    def _is_set(self):
        """True if the flag is set."""
        return self._flag

    def _set_flag(self):
        """Set the flag and wake every green thread waiting for it. Never blocks."""
        self._flag = True
        if self._waiters._len:
            self._waiters._unpark_all(True)

    def _clear_flag(self):
        """Reset the flag; later waits block until the next set."""
        self._flag = False

    def _wait_flag(self, timeout=None):
        """Block until the flag is set or ``timeout`` seconds pass.

        Returns True if the flag was set (or set() woke us), False on timeout. Exceptions thrown into
        the waiting green thread (kill, Timeout) propagate after it is unregistered.
        """
        cdef object deadline
        if self._flag:
            return True
        if timeout is None:
            deadline = None
        elif timeout > 0:
            deadline = monotonic() + timeout
        else:
            return False
        try:
            self._waiters._park(deadline, self._is_set, None, False, self)
        except ParkTimeout:
            return self._flag  # timed out (or the interpreter is shutting down)
        return True
