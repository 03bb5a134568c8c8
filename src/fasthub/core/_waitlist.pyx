# cython: language_level=3, boundscheck=False, wraparound=False, binding=False
"""WaitList: the one parking primitive under every wait in fasthub.

Event, AsyncResult, the locks, Condition, the queues, the connection pool, GreenThread.join and the
servers' stop and drain all park their green threads here. Trio's ParkingLot was the model: a FIFO
line of parked tasks, ``park()`` to join it and ``unpark_one()`` / ``unpark_all()`` to wake. What a
primitive means by a wake-up (a permit, "an item may be there", "the flag is set") stays in the
primitive; what every wait has in common is done once, here.

The line. A doubly linked list threaded through the Waiters themselves (each Waiter is the node of
the one wait it serves), so joining is O(1), waking the longest waiter is O(1), and a waiter that
leaves early (timeout, kill) unlinks itself in O(1) where a deque.remove() was O(n). Parking
allocates one object, the Waiter, from its freelist.

States. A queued waiter is taken off the line only by a waker, and being taken off IS the wake-up:
unpark_one() marks it WOKEN and stores the value on it before the switch is even scheduled. So when
the parked green thread resumes, its state says what happened, whatever resumed it:
  - still QUEUED: only its deadline timer can have resumed it: it unlinks itself, park() raises
    ParkTimeout;
  - WOKEN or WOKEN_ALL: it was woken, and park() returns the value, even if its timer fired in the
    same moment (a wake-up is never lost to a timeout);
  - an exception thrown in while parked (a kill, a fasthub.Timeout): it unlinks itself if still
    queued; if it was WOKEN it is leaving with a wake-up meant for someone: it passes it on, to the
    next waiter (unpark_one(value)) or to the primitive's ``pass_on`` callback (a Lock hands the lock
    to the next waiter or unlocks it; a pool returns the connection). Wake-ups from unpark_all() are
    not passed on: everyone then waiting was woken.

OS threads. Locks, Events and queues are shared between OS threads, each with its own hub. Every
change to the line happens inside one call into this module that runs no Python code, so it is
atomic under the GIL; a waiter of another OS thread is woken through its own hub
(Waiter.switch -> call_soon_threadsafe), and one whose hub is gone (its thread ended) is skipped.
A primitive closes the race between its own check and joining the line with ``ready``: park() calls
it once the waiter is queued, and leaves at once with its result if it is true.

Interpreter shutdown. greenlet refuses to run (getcurrent() raises RuntimeError) while the
interpreter finalizes, yet finalizers still take locks and wait on events. park() then gives up at
once as if its deadline had passed (ParkTimeout), so every primitive takes its "timed out" path
instead of crashing or hanging the finalizer.
"""

cimport cython

from fasthub.core.includes.greenlet cimport import_greenlet, PyGreenlet_GetCurrent
from fasthub.core._hub cimport Hub, Waiter, get_hub
from fasthub.core._timers cimport Timer

import_greenlet()

cdef enum:
    IDLE = 0        # not in a line
    QUEUED = 1
    WOKEN = 2       # taken off by unpark_one(): the wake-up is this waiter's to use or pass on
    WOKEN_ALL = 3   # taken off by unpark_all(): nothing to pass on


class ParkTimeout(TimeoutError):
    """WaitList.park() gave up: its deadline passed before a wake-up (or the interpreter is shutting
    down, when no green thread can wait any more)."""


cdef object _shutdown_timeout():
    return ParkTimeout("fasthub: cannot park a green thread while the interpreter shuts down")


cdef bint _finalizing():
    # greenlet >= 3.5.1 refuses getcurrent() while the interpreter finalizes.
    try:
        PyGreenlet_GetCurrent()
    except RuntimeError:
        return True
    return False


@cython.final
@cython.freelist(256)
cdef class WaitList:
    """A FIFO line of parked green threads: park() joins it, unpark_one()/unpark_all() wake.

    Usable from green threads of several OS threads at once; len() is the number parked.
    """

    def __len__(self):
        """Number of green threads parked in the line."""
        return self._len

    def __repr__(self):
        return f"<fasthub WaitList at {id(self):#x} parked={self._len}>"

    # -- the line -----------------------------------------------------------------------------------

    cdef Waiter _enqueue(self, Hub hub, bint front):
        # Queue a new waiter of ``hub`` at the back (or the front: a waiter that was woken but beaten
        # to what it was woken for keeps its turn).
        cdef Waiter w = Waiter.__new__(Waiter)
        w.hub = hub
        w.wl_state = QUEUED
        if self._head is None:
            self._head = w
            self._tail = w
        elif front:
            w.wl_next = self._head
            self._head.wl_prev = w
            self._head = w
        else:
            w.wl_prev = self._tail
            self._tail.wl_next = w
            self._tail = w
        self._len += 1
        return w

    cdef void _unlink(self, Waiter w):
        cdef Waiter p = w.wl_prev
        cdef Waiter n = w.wl_next
        if p is None:
            self._head = n
        else:
            p.wl_next = n
        if n is None:
            self._tail = p
        else:
            n.wl_prev = p
        w.wl_prev = None
        w.wl_next = None
        self._len -= 1

    # -- parking ------------------------------------------------------------------------------------

    cdef object _wait(self, Waiter w, object deadline, object pass_on):
        # Park the queued ``w`` until woken (return the value), the deadline passes (ParkTimeout) or
        # an exception is thrown in (leave the line, passing on a wake-up, and re-raise it).
        cdef Timer t = None
        if deadline is not None:
            t = w.hub.timers.schedule(deadline, w, None)
        try:
            w.get()
        except BaseException as e:
            if t is not None:
                t.cancel()
            self._leave(w, pass_on)
            if isinstance(e, RuntimeError) and _finalizing():
                raise _shutdown_timeout() from None
            raise
        if t is not None:
            t.cancel()
        if w.wl_state == QUEUED:  # only the deadline timer resumes a waiter still in the line
            self._leave(w, None)
            raise ParkTimeout("fasthub: the deadline passed before a wake-up")
        w.wl_state = IDLE
        return w.value

    cdef int _leave(self, Waiter w, object pass_on) except -1:
        # ``w`` goes without using a wake-up: out of the line, or its wake-up to whom it belongs.
        cdef int state = w.wl_state
        w.wl_state = IDLE
        if state == QUEUED:
            self._unlink(w)
        elif state == WOKEN:
            if pass_on is not None:
                pass_on(w.value)
            else:
                self._unpark_one(w.value)
        return 0

    def park(self, deadline=None, ready=None, pass_on=None, bint front=False, owner=None):
        """Park the calling green thread at the back of the line until a wake-up; return its value.

        ``deadline``: a time on fasthub.monotonic()'s clock; past it, park() raises ParkTimeout.
        ``ready``: called once the green thread is queued (so a waker in another OS thread cannot
        be missed); if it returns a true value, park() leaves the line and returns that value at
        once. ``pass_on(value)``: called with a wake-up from unpark_one() this green thread received
        but leaves without using (it was killed, or ``ready`` was true); by default the wake-up goes
        to the next waiter. ``front``: queue at the front (a woken waiter that found nothing keeps
        its turn). ``owner``: the object the green thread waits on (the Lock, Queue ... this line
        belongs to), recorded on its Waiter for deadlock reports and fasthub.stats().

        Exceptions thrown into the parked green thread (kill, fasthub.Timeout) propagate once it
        has left the line. While the interpreter shuts down it raises ParkTimeout at once.
        BlockingInHubError if called from the hub itself.
        """
        return self._park(deadline, ready, pass_on, front, owner)

    cdef object _park(self, object deadline, object ready, object pass_on, bint front, object owner):
        # park() for compiled callers. A compiled caller's own check before it (GreenThread.join's
        # "finished?") needs no ``ready``: no other OS thread runs between that check and the
        # queueing, both being C code under the GIL.
        cdef Hub hub
        cdef Waiter w
        try:
            hub = get_hub()
        except RuntimeError:
            if _finalizing():
                raise _shutdown_timeout() from None
            raise
        w = self._enqueue(hub, front)
        w.on = owner   # what it waits on, for the hub's reports (one store)
        if ready is not None:
            try:
                r = ready()
            except BaseException:
                self._leave(w, pass_on)
                raise
            if r:
                self._leave(w, pass_on)
                return r
        return self._wait(w, deadline, pass_on)

    # -- waking -------------------------------------------------------------------------------------

    cdef bint _unpark_one(self, object value) except -1:
        cdef Waiter w
        while True:
            w = self._head
            if w is None:
                return False
            self._unlink(w)
            # Taken off the line = woken: state and value are set before the switch is scheduled,
            # so the waiter finds them whatever resumes it (see the module docstring).
            w.wl_state = WOKEN
            w.value = value
            try:
                w.switch(value)
            except RuntimeError:
                w.wl_state = IDLE  # its hub is destroyed (its OS thread ended): wake the next one
                continue
            return True

    cdef Py_ssize_t _unpark_all(self, object value) except -1:
        cdef Waiter w = self._head
        cdef Waiter nxt
        cdef Py_ssize_t n = 0
        self._head = None
        self._tail = None
        self._len = 0
        nxt = w
        while nxt is not None:  # all off the line first: no Python code runs in this loop
            nxt.wl_state = WOKEN_ALL
            nxt.value = value
            nxt = nxt.wl_next
        while w is not None:
            nxt = w.wl_next
            w.wl_next = None
            w.wl_prev = None
            try:
                w.switch(value)
                n += 1
            except RuntimeError:
                pass  # its hub is destroyed: nobody left to wake
            w = nxt
        return n

    def unpark_one(self, value=None):
        """Wake the longest-parked green thread: its park() returns ``value``. Returns True if one
        was woken, False if the line was empty. Never blocks; callable from any OS thread."""
        return self._unpark_one(value)

    def unpark_all(self, value=None):
        """Wake every green thread parked now (their park() returns ``value``); return how many.
        Never blocks; callable from any OS thread."""
        return self._unpark_all(value)
