# cython: language_level=3, boundscheck=False, wraparound=False
"""Deadlines for the hub: a binary min-heap of Timer objects with O(1) cancel.

Why a binary heap with lazy removal. The common timer in a network server is a timeout that never fires:
every socket operation with a timeout schedules one and cancels it when the data arrives first. So
cancel must be cheap, and it is: ``Timer.cancel()`` only marks the timer dead and counts it (O(1)); the
heap is not touched. Dead timers are dropped when they reach the top, where the loop looks anyway, and
when more than half of the heap is dead (and it holds more than a few entries) the whole heap is rebuilt
without them in O(n), so memory stays bounded by twice the live timers. Adding and firing are O(log n).

Garbage collection. Neither class takes part in the cycle collector: a program with 100,000 green
threads asleep has 100,000 pending timers, and every full collection would visit each of them (and
every new Timer would bring the next young collection closer) for nothing. A timer cannot be part of a
reference cycle that outlives it, because it drops its callback and arguments when it fires, when it
is cancelled and when its heap is freed; and it points back to its heap with a borrowed pointer, which
the heap clears when it is freed. So while a timer can hold a cycle alive it is pending, and then the
heap, not a cycle, is what keeps it (a hub drops its heap when it is destroyed).

Ordering. Entries compare by (deadline, sequence number); the sequence number grows with every
schedule(), so timers with equal deadlines fire in the order they were scheduled. That is the guarantee
eventlet's tuple heap cannot give (it breaks ties by id()).

The heap knows nothing of clocks: callers pass deadlines and "now" in seconds, so it is testable with
a fake clock and no hub. The hub feeds it CLOCK_MONOTONIC.
"""

cimport cython

# Rebuild only when dead entries are the majority and the heap is big enough to make it worth it.
cdef enum:
    COMPACT_MIN_SIZE = 64


cdef inline bint _before(Timer a, Timer b):
    if a.deadline != b.deadline:
        return a.deadline < b.deadline
    return a.seq < b.seq


@cython.final
@cython.freelist(256)
@cython.no_gc
cdef class Timer:
    """A scheduled call. ``cancel()`` it to stop it from firing; cancelling twice is harmless."""

    def __cinit__(self):
        self._pending = False

    @property
    def pending(self):
        """True until the timer fires or is cancelled."""
        return self._pending

    cpdef cancel(self):
        """Stop the timer from firing. O(1): the entry is dropped from the heap later."""
        if self._pending:
            self._pending = False
            self.callback = None
            self.args = None
            if self._heap != NULL:
                (<TimerHeap>self._heap)._note_cancel()
                self._heap = NULL

    def __repr__(self):
        state = "pending" if self._pending else "done"
        return f"<fasthub Timer at {self.deadline:.6f} {state} {self.callback!r}>"


@cython.final
@cython.no_gc
cdef class TimerHeap:
    """Timers ordered by (deadline, scheduling order), with O(1) cancel and lazy removal."""

    def __cinit__(self):
        self._heap = []
        self._dead = 0
        self._seq = 0

    def __dealloc__(self):
        # Its timers point back here without a reference; one that outlives the heap (held by its
        # owner) must not reach freed memory on cancel(). It can never fire now: it is done, and lets
        # go of its callback and arguments (which may refer to the hub that dropped this heap).
        cdef Timer t
        for t in self._heap:
            t._heap = NULL
            if t._pending:
                t._pending = False
                t.callback = None
                t.args = None

    def __len__(self):
        """Number of timers that are still pending."""
        return len(self._heap) - self._dead

    @property
    def dead(self):
        """Number of cancelled timers still held in the heap (for tests and stats)."""
        return self._dead

    @property
    def size(self):
        """Number of entries in the heap, dead ones included."""
        return len(self._heap)

    cpdef Timer schedule(self, double deadline, object callback, object args=None):
        """Schedule ``callback`` at ``deadline`` (seconds on the caller's clock); return the Timer.

        The hub calls ``callback(*args)`` when ``args`` is a tuple and ``callback()`` when it is None.
        """
        cdef Timer t = Timer.__new__(Timer)
        t.deadline = deadline
        t.seq = self._seq
        self._seq += 1
        t.callback = callback
        t.args = args
        t._pending = True
        t._heap = <void *>self
        self._heap.append(t)
        self._sift_up(len(self._heap) - 1)
        return t

    cdef void _note_cancel(self):
        self._dead += 1
        cdef Py_ssize_t n = len(self._heap)
        if n >= COMPACT_MIN_SIZE and self._dead * 2 > n:
            self.compact()

    cpdef compact(self):
        """Drop every cancelled timer and re-heapify: O(n)."""
        cdef list live = []
        cdef Timer t
        cdef Py_ssize_t i
        for t in self._heap:
            if t._pending:
                live.append(t)
        self._heap = live
        self._dead = 0
        i = len(live) // 2 - 1
        while i >= 0:
            self._sift_down(i)
            i -= 1

    cdef void _prune_top(self):
        cdef Timer top, last
        while self._heap:
            top = <Timer>self._heap[0]
            if top._pending:
                return
            last = <Timer>self._heap.pop()
            self._dead -= 1
            if self._heap:
                self._heap[0] = last
                self._sift_down(0)

    cpdef double next_deadline(self):
        """The earliest pending deadline, or -1.0 when no timer is pending."""
        self._prune_top()
        if not self._heap:
            return -1.0
        return (<Timer>self._heap[0]).deadline

    cdef Timer pop_due(self, double now):
        """Remove and return the earliest pending timer whose deadline is <= now, else None."""
        cdef Timer top, last
        self._prune_top()
        if not self._heap:
            return None
        top = <Timer>self._heap[0]
        if top.deadline > now:
            return None
        last = <Timer>self._heap.pop()
        if self._heap:
            self._heap[0] = last
            self._sift_down(0)
        top._pending = False
        top._heap = NULL
        return top

    cpdef Timer pop_next_due(self, double now):
        """Python-visible pop_due, for tests: the next due Timer (no longer pending), or None."""
        return self.pop_due(now)

    cdef void _sift_up(self, Py_ssize_t pos):
        cdef list heap = self._heap
        cdef Timer item = <Timer>heap[pos]
        cdef Timer parent
        cdef Py_ssize_t ppos
        while pos > 0:
            ppos = (pos - 1) >> 1
            parent = <Timer>heap[ppos]
            if not _before(item, parent):
                break
            heap[pos] = parent
            pos = ppos
        heap[pos] = item

    cdef void _sift_down(self, Py_ssize_t pos):
        cdef list heap = self._heap
        cdef Py_ssize_t n = len(heap)
        cdef Timer item = <Timer>heap[pos]
        cdef Py_ssize_t child
        while True:
            child = 2 * pos + 1
            if child >= n:
                break
            if child + 1 < n and _before(<Timer>heap[child + 1], <Timer>heap[child]):
                child += 1
            if not _before(<Timer>heap[child], item):
                break
            heap[pos] = heap[child]
            pos = child
        heap[pos] = item
