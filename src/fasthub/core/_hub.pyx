# cython: language_level=3, boundscheck=False, wraparound=False
"""The hub: one per OS thread, the only scheduler of its green threads.

A greenlet that must wait creates a Waiter, registers it where the wake-up will come from (an fd slot,
a timer, an Event's list) and switches to the hub. The hub loop, in C, does four things in turn:
run the callbacks that were ready when the iteration began, take callbacks handed over by other threads,
fire due timers, and poll the backend (epoll, kqueue or poll) for fd readiness, switching straight into
the greenlet that waits on each ready fd. A Waiter resumes its greenlet at most once, so a stale wake-up
(a timer that fires after the wait ended another way) cannot resume a greenlet that has moved on.

Interest caching: after a waiter leaves an fd, its interest stays registered with the kernel, because the
next wait on the same fd is the common case (recv, EAGAIN, wait, recv ...) and then costs no system call.
An event for an fd nobody waits on drops the interest then. notify_close() must be called before an fd
that a waiter may use is closed: it wakes the waiters with an error and forgets the kernel registration,
which the kernel itself drops silently on close.
"""

cimport cython
from cpython.exc cimport PyErr_CheckSignals
from cpython.object cimport PyObject
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.errno cimport EINTR

from fasthub.core.includes.greenlet cimport (
    greenlet, import_greenlet, PyGreenlet_GetCurrent, PyGreenlet_Switch, PyGreenlet_Throw,
)
from fasthub.core.includes.poller cimport (
    FH_READ, FH_WRITE, FH_BACKEND_DEFAULT, FH_BACKEND_POLL,
    fh_backend_name, fh_poller_open, fh_poller_close, fh_poller_set, fh_poller_rearm, fh_poller_wait,
    fh_wakeup_open, fh_wakeup_send, fh_wakeup_drain, fh_wakeup_close, fh_monotonic, fh_timeout_ms,
)
from fasthub.core._timers cimport Timer, TimerHeap
from fasthub.core.originals import get_original
from fasthub.core.sigwake import (
    for_this_thread as _signal_wakeup_for_this_thread, handlers_wait as _handlers_wait,
)

import os
import sys
import traceback
from _thread import _local as _os_thread_local, _count as _os_thread_count

_main_thread = get_original("threading", "main_thread")

import_greenlet()

cdef extern from "Python.h":
    void PyObject_GC_Track(PyObject *op)
    void PyObject_GC_UnTrack(PyObject *op)

cdef extern from "pythread.h":
    unsigned long PyThread_get_thread_ident() nogil

cdef enum:
    MAX_EVENTS = 1024


class LoopExit(Exception):
    """The waiting greenlet can never be woken: no timer, fd, callback or other thread is pending.

    gevent users know this name; fasthub says what was pending instead of leaving it opaque: the
    message names each parked green thread, where it waits (file:line), on what (a Lock with its
    holder and where that took it, an Event, a Queue, the end of another green thread ...), and the
    wait-for cycle when there is one. The same as data: ``parked`` (one dict per parked green thread,
    see fasthub.core.introspect.parked) and ``cycles`` (lists of those dicts).
    """

    parked = ()
    cycles = ()


class ConcurrentUseError(RuntimeError):
    """Two greenlets tried to wait on the same fd in the same direction at once.

    It is almost always a bug (two readers would race for the same bytes). Give each fd one reader
    and one writer, or guard the fd with a fasthub Lock.
    """


class BlockingInHubError(RuntimeError):
    """A blocking fasthub call was made from the hub itself (a callback, a link or a timer function).

    The hub cannot wait on itself. spawn() a green thread to do blocking work from a callback.
    """


class FdClosedError(OSError):
    """The fd a greenlet was waiting on was closed by another greenlet (errno EBADF)."""


cdef object _EBADF = __import__("errno").EBADF
cdef tuple _KIND_NAMES = ("other", "sleep", "read", "write")   # by WAIT_* value

# Every live hub, for tools that watch all of them (fasthub.monitor).
_all_hubs = __import__("weakref").WeakSet()


def all_hubs():
    """The hubs alive in this process, one per OS thread that used fasthub."""
    return [h for h in _all_hubs if not h.closed]


# --- Waiter ------------------------------------------------------------------------------------------

@cython.final
@cython.freelist(512)
@cython.trashcan(True)  # a WaitList chains its waiters: freeing a long chain must not recurse deeply
cdef class Waiter:
    """A one-shot wake-up for one greenlet: get() parks it in the hub until switch() or throw().

    switch()/throw() may be called before get() (get() then returns at once), from another greenlet,
    from the hub, or from another OS thread (the wake-up is handed to the hub's thread). Only the
    first switch() or throw() counts.
    """

    def __init__(self, Hub hub=None):
        self.hub = hub if hub is not None else get_hub()

    @property
    def ready(self):
        """True once switch() or throw() was called."""
        return self.done

    cpdef switch(self, object value=None):
        """Wake the waiting greenlet with ``value`` (returned by get())."""
        if self.done:
            return
        if PyThread_get_thread_ident() != self.hub.thread_ident:
            self.hub.call_soon_threadsafe(self.switch, value)
            return
        self.value = value
        self.done = True
        if self.greenlet is not None:
            self.hub._schedule(self, None)

    cpdef throw(self, object exc):
        """Wake the waiting greenlet by raising ``exc`` (an exception instance or class) in get()."""
        if self.done:
            return
        if PyThread_get_thread_ident() != self.hub.thread_ident:
            self.hub.call_soon_threadsafe(self.throw, exc)
            return
        self.exc = exc
        self.done = True
        if self.greenlet is not None:
            self.hub._schedule(self, None)

    cdef int _fire(self, object exc) except -1:
        # Called in the hub: wake now (by switching), unless the wait already ended another way.
        cdef object g
        if not self.done:
            self.done = True
            self.exc = exc
        g = self.greenlet
        if g is not None:
            self.hub.switch_count += 1
            self.hub.running = g
            PyGreenlet_Switch(<greenlet>g, NULL, NULL)
        return 0

    cpdef get(self):
        """Park the calling greenlet in the hub until woken; return the value or raise the exception."""
        cdef Hub hub = self.hub
        cdef greenlet cur
        cdef object exc
        cdef CancelHook hook = None
        if not self.done:
            cur = PyGreenlet_GetCurrent()
            if cur is hub:
                raise BlockingInHubError(
                    "fasthub: cannot block inside the hub (a callback, timer or link function); "
                    "spawn() a green thread for blocking work")
            if self.greenlet is not None:
                raise ConcurrentUseError("fasthub: this Waiter already has a greenlet waiting on it")
            if hub.scoped:
                # Some green thread of this hub is inside a cancel scope (one dict test otherwise):
                # a cancelled or expired scope raises Cancelled here instead of parking.
                hook = hub.scoped.get(cur)
                if hook is not None:
                    hook.before_park()
                    hook.parked = self
            self.greenlet = cur
            hub.parked += 1
            # Join the hub's line of parked waiters (O(1) both ways; what makes LoopExit and
            # fasthub.stats() able to name every parked green thread without a registry per spawn).
            self.park_next = hub._parked_head
            if hub._parked_head is not None:
                hub._parked_head.park_prev = self
            hub._parked_head = self
            # Parked, the waiter is reachable from the hub's line and refers only to what is alive
            # while it waits (its greenlet, the hub, its neighbours in the line): the cycle collector
            # would find nothing in it, yet 100,000 sleepers made every full collection visit
            # 100,000 waiters (and made full collections come sooner). Tracked again on waking.
            PyObject_GC_UnTrack(<PyObject *>self)
            try:
                PyGreenlet_Switch(<greenlet>hub, NULL, NULL)
            finally:
                PyObject_GC_Track(<PyObject *>self)
                self.greenlet = None
                hub.parked -= 1
                if hook is not None:
                    hook.parked = None
                if self.park_prev is None:
                    hub._parked_head = self.park_next
                else:
                    self.park_prev.park_next = self.park_next
                if self.park_next is not None:
                    self.park_next.park_prev = self.park_prev
                self.park_prev = None
                self.park_next = None
            if not self.done:
                raise RuntimeError(
                    "fasthub: a greenlet parked in the hub was switched to directly; only the hub may "
                    "resume a waiting green thread")
        exc = self.exc
        if exc is not None:
            self.exc = None
            raise exc
        return self.value


cdef class CancelHook:
    """Base of a green thread's cancel-scope state (fasthub.core._cancel); not used directly."""

    cdef int before_park(self) except -1:
        return 0


# --- fd listeners ------------------------------------------------------------------------------------

@cython.final
cdef class Listener:
    """A callback called by the hub while ``fd`` is ready; made by Hub.add_reader/add_writer."""

    cpdef cancel(self):
        """Stop calling the callback. Harmless if already cancelled."""
        cdef _FdSlot slot
        cdef Hub hub = self.hub
        if hub is None:
            return
        self.hub = None
        if self.fd < len(hub._fds):
            slot = hub._fds[self.fd]
            if slot is not None:
                if self.direction == FH_READ and slot.reader is self:
                    slot.reader = None
                    hub._fd_refs -= 1
                elif self.direction == FH_WRITE and slot.writer is self:
                    slot.writer = None
                    hub._fd_refs -= 1

    def __repr__(self):
        kind = "reader" if self.direction == FH_READ else "writer"
        return f"<fasthub Listener {kind} fd={self.fd} {self.callback!r}>"


@cython.final
cdef class _FdSlot:
    pass


# --- the hub -----------------------------------------------------------------------------------------

cdef inline int _fileno(object fd) except -1:
    if type(fd) is int:
        return <int>fd
    if hasattr(fd, "fileno"):
        return <int>fd.fileno()
    return <int>fd


@cython.final
cdef class Hub(greenlet):
    """The event loop of one OS thread, running in its own greenlet. Get it with get_hub()."""

    def __cinit__(self, *args, **kwargs):
        self.poller.bfd = -1
        self.wake_fds[0] = -1
        self.wake_fds[1] = -1
        self.sig_fd = -1
        self.events = NULL

    def __init__(self, backend=None):
        cdef int kind = FH_BACKEND_DEFAULT
        cdef int rc
        greenlet.__init__(self)
        if backend is None:
            backend = os.environ.get("FASTHUB_BACKEND") or None
        if backend is not None and backend not in ("poll", "epoll", "kqueue", "default"):
            raise ValueError(f"fasthub: unknown backend {backend!r}; use 'poll', 'epoll' or 'kqueue'")
        if backend == "poll":
            kind = FH_BACKEND_POLL
        rc = fh_poller_open(&self.poller, kind)
        if rc < 0:
            raise OSError(-rc, f"fasthub: cannot open the {backend or 'default'} backend: "
                               f"{os.strerror(-rc)}")
        if backend in ("epoll", "kqueue") and fh_backend_name(self.poller.kind).decode() != backend:
            fh_poller_close(&self.poller)
            raise ValueError(f"fasthub: backend {backend!r} is not available on this system")
        self.events = <fh_event_t *>PyMem_Malloc(sizeof(fh_event_t) * MAX_EVENTS)
        if self.events == NULL:
            fh_poller_close(&self.poller)
            raise MemoryError()
        self.maxevents = MAX_EVENTS
        rc = fh_wakeup_open(self.wake_fds)
        if rc < 0:
            self._close_fds()
            raise OSError(-rc, "fasthub: cannot create the wake-up fd")
        rc = fh_poller_set(&self.poller, self.wake_fds[0], 0, FH_READ)
        if rc < 0:
            self._close_fds()
            raise OSError(-rc, "fasthub: cannot watch the wake-up fd")
        # Signals wake the main thread's hub through a pipe: see fasthub.core.sigwake.
        self._sigwake = _signal_wakeup_for_this_thread()
        if self._sigwake is not None:
            self.sig_fd = self._sigwake.fd
            rc = fh_poller_set(&self.poller, self.sig_fd, 0, FH_READ)
            if rc < 0:
                self._close_fds()
                raise OSError(-rc, "fasthub: cannot watch the signal wake-up fd")
        self._fds = []
        self.scoped = {}
        self.timers = TimerHeap()
        self._ready = []
        self._spare = []
        self._threadsafe = []
        self.thread_ident = PyThread_get_thread_ident()
        self.idle_workers = []
        self.max_idle_workers = 1024
        self.error_handler = None
        _all_hubs.add(self)

    def __dealloc__(self):
        self._close_fds()

    cdef void _close_fds(self):
        if self.events != NULL:
            PyMem_Free(self.events)
            self.events = NULL
        fh_poller_close(&self.poller)
        fh_wakeup_close(self.wake_fds)
        if self._sigwake is not None:
            self._sigwake.close()
            self._sigwake = None
            self.sig_fd = -1

    @property
    def ready_count(self):
        """Callbacks and green threads waiting for their turn in the ready queue."""
        return len(self._ready) // 2 + len(self._threadsafe)

    @property
    def backend(self):
        """The readiness backend in use: 'epoll', 'kqueue' or 'poll'."""
        return fh_backend_name(self.poller.kind).decode()

    def destroy(self):
        """Close the hub's own fds (backend and wake-up) and forget all waiters. Idempotent.

        Greenlets still parked in this hub are not resumed. A hub is destroyed automatically when its
        thread ends.
        """
        if self.closed:
            return
        self.closed = True
        self._stopping = True
        self._close_fds()
        self._fds = []
        self._ready = []
        self._threadsafe = []
        self.idle_workers = []
        self.timers = TimerHeap()

    # -- scheduling ---------------------------------------------------------------------------------

    cdef inline void _schedule(self, object fn, object args):
        self._ready.append(fn)
        self._ready.append(args)

    def call_soon(self, callback, *args):
        """Run ``callback(*args)`` in the hub at the next loop iteration, after those already queued."""
        self._schedule(callback, args if args else None)

    def call_later(self, double seconds, callback, *args):
        """Run ``callback(*args)`` in the hub after ``seconds``; returns a Timer with cancel()."""
        if seconds < 0:
            seconds = 0
        return self.timers.schedule(fh_monotonic() + seconds, callback, args if args else None)

    def call_at(self, double when, callback, *args):
        """Run ``callback(*args)`` at ``when`` on the monotonic() clock; returns a Timer."""
        return self.timers.schedule(when, callback, args if args else None)

    def call_soon_threadsafe(self, callback, *args):
        """From any OS thread: run ``callback(*args)`` in this hub's thread soon, waking its loop."""
        if self.closed:
            raise RuntimeError("fasthub: this hub is destroyed")
        self._threadsafe.append((callback, args))
        fh_wakeup_send(self.wake_fds[1])

    def now(self):
        """Seconds on the monotonic clock the hub's timers use."""
        return fh_monotonic()

    # -- fds ----------------------------------------------------------------------------------------

    cdef _FdSlot _slot(self, int fd):
        cdef _FdSlot slot
        cdef Py_ssize_t n = len(self._fds)
        if fd < 0:
            raise ValueError(f"fasthub: invalid file descriptor {fd}")
        if fd >= n:
            self._fds.extend([None] * (fd + 1 - n + (n >> 1)))
        slot = self._fds[fd]
        if slot is None:
            slot = _FdSlot.__new__(_FdSlot)
            self._fds[fd] = slot
        return slot

    cdef int _set_interest(self, int fd, _FdSlot slot, int mask) except -1:
        cdef int rc
        if mask == slot.mask:
            return 0
        rc = fh_poller_set(&self.poller, fd, slot.mask, mask)
        if rc < 0:
            slot.mask = 0
            raise OSError(-rc, f"fasthub: cannot watch fd {fd}: {os.strerror(-rc)}")
        slot.mask = mask
        return 0

    cdef object _wait_fd(self, int fd, int direction, object timeout, object timeout_exc,
                         bint managed=True):
        # managed: the caller calls notify_close() before the fd is closed (the green socket does), so
        # the cached kernel interest can be trusted and a repeated wait costs no system call. Raw fds
        # (public wait_read/wait_write) may be closed behind our back, so their interest is re-armed.
        cdef _FdSlot slot = self._slot(fd)
        cdef int rc
        cdef Waiter w
        cdef Timer t = None
        cdef object other = slot.reader if direction == FH_READ else slot.writer
        if other is not None:
            what = "read" if direction == FH_READ else "write"
            raise ConcurrentUseError(
                f"fasthub: second simultaneous {what} on fd {fd}: another green thread is already "
                f"waiting to {what} it. Give each socket one reader and one writer, or guard it with "
                f"a fasthub.Lock")
        w = Waiter.__new__(Waiter)
        w.hub = self
        w.kind = WAIT_READ if direction == FH_READ else WAIT_WRITE
        w.fd = fd
        if managed or not (slot.mask & direction):
            self._set_interest(fd, slot, slot.mask | direction)
        else:
            rc = fh_poller_rearm(&self.poller, fd, slot.mask)
            if rc < 0:
                slot.mask = 0
                raise OSError(-rc, f"fasthub: cannot watch fd {fd}: {os.strerror(-rc)}")
        if direction == FH_READ:
            slot.reader = w
        else:
            slot.writer = w
        self._fd_refs += 1
        if timeout is not None:
            if timeout_exc is None:
                timeout_exc = TimeoutError("timed out")
            t = self.timers.schedule(fh_monotonic() + <double>timeout, w, (timeout_exc,))
        try:
            return w.get()
        finally:
            if direction == FH_READ:
                if slot.reader is w:
                    slot.reader = None
            elif slot.writer is w:
                slot.writer = None
            self._fd_refs -= 1
            if t is not None:
                t.cancel()

    def wait_read(self, fd, timeout=None, timeout_exc=None):
        """Park the calling greenlet until ``fd`` (an int or an object with fileno()) may be read.

        Raises ``timeout_exc`` (default ``TimeoutError('timed out')``) after ``timeout`` seconds,
        FdClosedError if another greenlet closes the fd meanwhile, and ConcurrentUseError if another
        greenlet already waits to read it. Readiness is a hint: retry the operation, it may still
        raise EAGAIN.
        """
        return self._wait_fd(_fileno(fd), FH_READ, timeout, timeout_exc, False)

    def wait_write(self, fd, timeout=None, timeout_exc=None):
        """Like wait_read(), until ``fd`` may be written."""
        return self._wait_fd(_fileno(fd), FH_WRITE, timeout, timeout_exc, False)

    def _add_listener(self, fd, int direction, callback, tuple args):
        return self._listen(_fileno(fd), direction, callback, args)

    cdef Listener _listen(self, int ifd, int direction, object callback, tuple args):
        cdef _FdSlot slot = self._slot(ifd)
        cdef Listener lst
        if (slot.reader if direction == FH_READ else slot.writer) is not None:
            raise ConcurrentUseError(
                f"fasthub: fd {ifd} already has a {'reader' if direction == FH_READ else 'writer'}")
        self._set_interest(ifd, slot, slot.mask | direction)
        lst = Listener.__new__(Listener)
        lst.fd = ifd
        lst.direction = direction
        lst.callback = callback
        lst.args = args
        lst.hub = self
        if direction == FH_READ:
            slot.reader = lst
        else:
            slot.writer = lst
        self._fd_refs += 1
        return lst

    def add_reader(self, fd, callback, *args):
        """Call ``callback(*args)`` in the hub whenever ``fd`` is readable, until the returned
        Listener is cancelled (or remove_reader(fd)). One reader per fd."""
        return self._add_listener(fd, FH_READ, callback, args)

    def add_writer(self, fd, callback, *args):
        """Call ``callback(*args)`` in the hub whenever ``fd`` is writable; see add_reader()."""
        return self._add_listener(fd, FH_WRITE, callback, args)

    def remove_reader(self, fd):
        """Cancel the reader Listener of ``fd``; return True if there was one."""
        return self._remove_listener(_fileno(fd), FH_READ)

    def remove_writer(self, fd):
        """Cancel the writer Listener of ``fd``; return True if there was one."""
        return self._remove_listener(_fileno(fd), FH_WRITE)

    def _remove_listener(self, int fd, int direction):
        if fd < 0 or fd >= len(self._fds) or self._fds[fd] is None:
            return False
        slot = <_FdSlot>self._fds[fd]
        obj = slot.reader if direction == FH_READ else slot.writer
        if type(obj) is Listener:
            (<Listener>obj).cancel()
            return True
        return False

    def notify_close(self, fd):
        """Call before closing ``fd``: waiters get FdClosedError, listeners are dropped, and the
        backend forgets the fd so a recycled fd number starts clean."""
        cdef int ifd = _fileno(fd)
        cdef _FdSlot slot
        if ifd < 0 or ifd >= len(self._fds):
            return
        slot = self._fds[ifd]
        if slot is None:
            return
        for obj in (slot.reader, slot.writer):
            if type(obj) is Waiter:
                (<Waiter>obj).throw(FdClosedError(_EBADF, f"fd {ifd} was closed while a green "
                                                         f"thread was waiting on it"))
            elif type(obj) is Listener:
                (<Listener>obj).cancel()
        slot.reader = None
        slot.writer = None
        if slot.mask and not self.closed:
            fh_poller_set(&self.poller, ifd, slot.mask, 0)
        slot.mask = 0

    # -- the loop -----------------------------------------------------------------------------------

    cdef int _run_entry(self, object fn, object args) except -1:
        try:
            if type(fn) is Waiter:
                (<Waiter>fn)._fire(args[0] if args is not None else None)
            elif args is None:
                fn()
            else:
                fn(*args)
        except BaseException:
            self._report(fn)
        return 0

    cdef int _run_ready(self) except -1:
        # Run what was ready when we started; what those callbacks schedule waits for the next
        # iteration, so sleep(0) lets every other ready greenlet run once and no one starves I/O.
        cdef list batch = self._ready
        cdef Py_ssize_t i, n = len(batch)
        self._ready = self._spare
        try:
            i = 0
            while i < n:
                self._run_entry(batch[i], batch[i + 1])
                i += 2
        finally:
            del batch[:]
            self._spare = batch
        return 0

    cdef int _fire_timers(self, double now) except -1:
        cdef Timer t
        cdef object cb, args
        while True:
            t = self.timers.pop_due(now)
            if t is None:
                return 0
            cb = t.callback
            args = t.args
            t.callback = None
            t.args = None
            self._run_entry(cb, args)

    cdef int _drain_threadsafe(self) except -1:
        cdef list items = self._threadsafe
        self._threadsafe = []
        for cb, args in items:
            self._schedule(cb, args if args else None)
        return 0

    cdef int _dispatch(self, int n) except -1:
        cdef int i, fd, ev, want, served
        cdef _FdSlot slot
        cdef object obj
        cdef Py_ssize_t nfds = len(self._fds)
        for i in range(n):
            fd = self.events[i].fd
            ev = self.events[i].events
            if fd == self.wake_fds[0]:
                fh_wakeup_drain(fd)
                continue
            if fd == self.sig_fd:
                self._sigwake.drain()
                self._run_signal_handlers()
                continue
            if fd >= len(self._fds):
                fh_poller_set(&self.poller, fd, FH_READ | FH_WRITE, 0)
                continue
            slot = <_FdSlot>self._fds[fd]
            if slot is None:
                fh_poller_set(&self.poller, fd, FH_READ | FH_WRITE, 0)
                continue
            served = 0
            if ev & FH_READ:
                obj = slot.reader
                if type(obj) is Waiter:
                    served = FH_READ
                    slot.reader = None
                    self._run_entry(obj, None)
                elif obj is not None:
                    served = FH_READ
                    self._run_entry((<Listener>obj).callback, (<Listener>obj).args or None)
            if ev & FH_WRITE:
                obj = slot.writer
                if type(obj) is Waiter:
                    served |= FH_WRITE
                    slot.writer = None
                    self._run_entry(obj, None)
                elif obj is not None:
                    served |= FH_WRITE
                    self._run_entry((<Listener>obj).callback, (<Listener>obj).args or None)
            # Lazily drop interest nobody needs any more (see the module docstring): in a direction
            # whose event found nobody to serve. A direction just served keeps its interest even if
            # its waiter or listener is gone now: the next wait on the fd is the common case (a
            # listener handing the fd to a green thread, as the WSGI server's parked connections do,
            # would otherwise cost an epoll_ctl to drop the interest and one to add it back).
            want = ((FH_READ if slot.reader is not None else 0) | (FH_WRITE if slot.writer is not None else 0)
                    | served)
            if (slot.mask & ev) & ~want:
                want = slot.mask & want
                if fh_poller_set(&self.poller, fd, slot.mask, want) < 0:
                    want = 0
                slot.mask = want
        return 0

    cdef double _next_timeout(self):
        # Seconds the poll may block: 0 when work is ready, -1 for "until an fd or a wake-up".
        cdef double deadline
        if self._ready or self._threadsafe:
            return 0.0
        deadline = self.timers.next_deadline()
        if deadline < 0:
            return -1.0
        deadline -= fh_monotonic()
        return deadline if deadline > 0 else 0.0

    cdef int _poll(self, int timeout_ms) except -1:
        cdef int n
        if timeout_ms == 0:
            n = fh_poller_wait(&self.poller, self.events, self.maxevents, 0)
        else:
            # While in_poll is set the hub is idle by choice; a blocking detector must not count it.
            self.in_poll = True
            with nogil:
                n = fh_poller_wait(&self.poller, self.events, self.maxevents, timeout_ms)
            self.in_poll = False
            self.switch_count += 1
        if n < 0:
            if n == -EINTR:
                self._run_signal_handlers()
                return 0
            raise OSError(-n, f"fasthub: the {self.backend} backend failed: {os.strerror(-n)}")
        if n > 0:
            self._dispatch(n)
        return 0

    cdef int _run_signal_handlers(self) except -1:
        # A signal arrived: run the Python handlers now, in the hub. What they raise
        # (KeyboardInterrupt, SystemExit) goes to the main greenlet.
        try:
            PyErr_CheckSignals()
        except BaseException as e:
            # As without fasthub, the handler's exception interrupts what the main thread
            # was doing: the wait of the main greenlet.
            self._schedule(_throw_to_parent, (self, e))
        return 0

    cdef int _report(self, object context) except -1:
        exc_type, exc, tb = sys.exc_info()
        if isinstance(exc, (SystemExit, KeyboardInterrupt)):
            # Not an error of one callback: the program is asked to stop. Deliver it to the main
            # greenlet so it unwinds the program as it would without fasthub.
            self._schedule(_throw_to_parent, (self, exc))
            return 0
        try:
            self.handle_error(context, exc_type, exc, tb)
        except BaseException:
            traceback.print_exc()
        return 0

    def handle_error(self, context, exc_type, exc, tb):
        """Report an exception that escaped a callback or a green thread; the loop goes on.

        Calls ``hub.error_handler(context, type, value, tb)`` when set (for logging, or to fail a
        test), else prints the traceback to stderr.
        """
        handler = self.error_handler
        if handler is not None:
            handler(context, exc_type, exc, tb)
            return
        sys.stderr.write(f"fasthub: exception in {context!r} (the hub carries on)\n")
        traceback.print_exception(exc_type, exc, tb)

    def run(self):
        cdef double timeout
        cdef int ms
        while not self._stopping:
            self.switch_count += 1
            self.iterations += 1
            if self._threadsafe:
                self._drain_threadsafe()
            if self._ready:
                self._run_ready()
            if self.timers._heap:
                # (no clock read while no timer is scheduled: a green hand-off never needs one)
                self._fire_timers(fh_monotonic())
            timeout = self._next_timeout()
            if timeout == 0.0 and self._fd_refs == 0:
                # Work is ready and no fd waits: a zero-timeout poll would be a wasted system call
                # (measured: a third of a ping-pong's cost). Signals and other threads' callbacks are
                # still seen: the former by the interpreter, the latter at the top of the loop.
                continue
            if timeout < 0 and self._fd_refs == 0 and not self._threadsafe and self.external_refs <= 0:
                # (A signal with a program handler can still wake someone: wait for it in poll.)
                if not _other_threads_alive() and not (self.sig_fd >= 0 and _handlers_wait()):
                    self._deadlock()
                    continue
            self._poll(fh_timeout_ms(timeout))

    def parked_waiters(self):
        """What each green thread parked in this hub waits on, as a list of tuples
        ``(greenlet, kind, fd, on, woken)``: kind is 'sleep', 'read', 'write' or 'other'; fd is the fd
        of a read/write wait (else -1); ``on`` the object waited on (a Lock, a Queue, a GreenThread
        whose end it awaits ...) or None; ``woken`` is True for one already woken and about to
        resume. Built without running Python code, so it is a consistent snapshot even when called
        from another OS thread (for fasthub.stats() and deadlock reports)."""
        cdef list out = []
        cdef Waiter w = self._parked_head
        while w is not None:
            out.append((w.greenlet, _KIND_NAMES[w.kind],
                        w.fd if w.kind == WAIT_READ or w.kind == WAIT_WRITE else -1, w.on, w.done))
            w = w.park_next
        return out

    def counters(self):
        """The hub's figures, as a dict, for fasthub.stats() and the test suite's leak check.

        Kept as the hub runs (a few integer stores, no cost worth measuring): iterations, switches,
        parked (greenlets parked in Waiter.get()), fd_waiters (fd waits and listeners registered),
        workers (worker greenlets alive), external_refs (work in other threads that will call back).
        Read from live structures now, O(their size): ready (callbacks and wake-ups queued, the
        thread-safe queue included), ready_callables (what the ready queue will call that is not a
        wake-up: e.g. green threads about to start), timers (live timers) and timer_callbacks
        (their callbacks; for the timer of a sleep or timeout, the greenlet it wakes), fd_slots
        (fds with a reader or writer registered) and fds (a list of (fd, 'read' or 'write', the
        greenlet waiting or the Listener's callback)), workers_idle and workers_busy (a busy worker
        runs a green thread that has not finished), threads_alive (green threads started and not
        finished, plus those waiting to start in the ready queue or on a timer), in_poll and
        running (the greenlet it last resumed). All are exact in every build, debug or not; read
        from another OS thread they are a snapshot that may be a moment stale.
        """
        cdef list ready = self._ready
        cdef Py_ssize_t i, pending = 0, idle = len(self.idle_workers)
        cdef list callables = []
        cdef list timer_callbacks = []
        cdef list fds = []
        cdef Timer t
        cdef _FdSlot slot
        cdef object obj
        for i in range(0, len(ready), 2):
            if type(ready[i]) is not Waiter:
                callables.append(ready[i])
                # GreenThread lives in _greenthread, which imports this module: known by name.
                if type(ready[i]).__name__ == "GreenThread":
                    pending += 1
        for obj in list(self.timers._heap):
            t = <Timer>obj
            if t._pending:
                timer_callbacks.append(_user_of(t.callback))
                if type(t.callback).__name__ == "GreenThread":
                    pending += 1
        for i, obj in enumerate(list(self._fds)):
            if obj is None:
                continue
            slot = <_FdSlot>obj
            if slot.reader is not None:
                fds.append((i, "read", _user_of(slot.reader)))
            if slot.writer is not None:
                fds.append((i, "write", _user_of(slot.writer)))
        return {
            "iterations": self.iterations, "switches": self.switch_count,
            "ready": self.ready_count, "timers": len(self.timers), "fd_waiters": self._fd_refs,
            "parked": self.parked, "in_poll": self.in_poll, "running": self.running,
            "ready_callables": callables, "timer_callbacks": timer_callbacks,
            "fd_slots": len({fd for fd, _, _ in fds}), "fds": fds,
            "workers": self.workers, "workers_idle": idle, "workers_busy": self.workers - idle,
            "threads_alive": self.workers - idle + pending, "external_refs": self.external_refs,
        }

    def _deadlock(self):
        parent = self.parent
        try:
            # Name who waits where, on what, and the wait-for cycle (read only now, from the line
            # of parked waiters: nothing on the wait paths pays for it).
            from fasthub.core import introspect
            entries = introspect.parked(self)
            cycles = introspect.wait_for_cycles(entries)
            detail = introspect.deadlock_report(self, entries, cycles)
        except Exception as e:  # the report must not hide the deadlock itself
            entries, cycles, detail = [], [], f"(the parked green threads could not be listed: {e!r})"
        err = LoopExit(
            f"fasthub: this operation would block forever: nothing can wake it (no timer, no fd, no "
            f"callback, no other thread and no signal handler is pending in the hub); {self.parked} "
            f"green thread(s) are parked in total, waiting on something only a green thread could "
            f"set.\n{detail}")
        err.parked = entries
        err.cycles = cycles
        PyGreenlet_Throw(<greenlet>parent, LoopExit, err, None)

    def __repr__(self):
        return (f"<fasthub Hub backend={self.backend} thread={self.thread_ident} "
                f"ready={len(self._ready) // 2} timers={len(self.timers)} fd_waiters={self._fd_refs}>")


cdef object _user_of(object obj):
    # For counters(): a Listener is named by its callback, a Waiter (an fd wait, or the timer of a
    # sleep or timeout) by the greenlet parked in it.
    if type(obj) is Listener:
        return (<Listener>obj).callback
    if type(obj) is Waiter:
        return (<Waiter>obj).greenlet
    return obj


def _throw_to_parent(Hub hub, exc):
    PyGreenlet_Throw(<greenlet>hub.parent, type(exc), exc, exc.__traceback__)


# fasthub's own threads (tpool workers, the monitor) register here: idle, they can wake nobody (a
# running tpool job is counted in hub.external_refs instead), so they must not hide a deadlock.
cdef set _internal_threads = set()


def register_internal_thread(ident):
    """Mark OS thread ``ident`` as fasthub's own (see _other_threads_alive)."""
    _internal_threads.add(ident)


def unregister_internal_thread(ident):
    """Forget an internal thread that is ending."""
    _internal_threads.discard(ident)


def internal_threads():
    """Idents of fasthub's own live OS threads (tpool workers, the monitor), as a frozenset."""
    return frozenset(_internal_threads)


cdef bint _other_threads_alive():
    # Another OS thread may still hand us work through call_soon_threadsafe (a thread setting an
    # Event, releasing a lock): then waiting for the wake-up fd is right, not a deadlock. Outside the
    # main thread that is always so: the main thread is alive and may hold what we wait for (a
    # tpool worker logging through a handler lock a green thread of the main thread holds). In the
    # main thread, _thread._count() counts live threads started by Python (sys._current_frames()
    # would miss a thread with no Python frame while its hub runs); fasthub's own idle threads are
    # subtracted.
    if PyThread_get_thread_ident() != _main_thread().ident:
        return True
    return _os_thread_count() > len(_internal_threads)


# --- per-thread hubs ---------------------------------------------------------------------------------

@cython.final
cdef class _HubHolder:
    # Lives in the thread-local; when the thread ends it is freed and closes the hub's fds at once,
    # instead of leaving them to the cycle collector.
    cdef Hub hub

    def __dealloc__(self):
        if self.hub is not None:
            self.hub.destroy()


cdef object _thread_hubs = _os_thread_local()


# The hub get_hub() found last and its thread: every wait looks the hub up, and a thread-local
# lookup costs more than the rest of a Waiter's set-up. Valid while that thread asks and the hub is
# open (a thread's hub is destroyed when the thread ends, so a recycled thread ident cannot match);
# set_hub() and _drop_hub() forget it. Read and written only by C code holding the GIL: consistent
# across OS threads.
cdef Hub _last_hub = None
cdef unsigned long _last_ident = 0


cpdef Hub get_hub():
    """The hub of the calling OS thread, created on first use."""
    global _last_hub, _last_ident
    cdef _HubHolder holder
    cdef Hub hub = _last_hub
    cdef unsigned long ident = PyThread_get_thread_ident()
    if hub is not None and _last_ident == ident and not hub.closed:
        return hub
    try:
        holder = _thread_hubs.holder
        hub = holder.hub
        _last_hub = hub
        _last_ident = ident
        return hub
    except AttributeError:
        pass
    cdef greenlet root = PyGreenlet_GetCurrent()
    while root.parent is not None:
        root = root.parent
    hub = Hub()
    hub.parent = root
    holder = _HubHolder.__new__(_HubHolder)
    holder.hub = hub
    _thread_hubs.holder = holder
    return hub


def set_hub(Hub hub):
    """Install ``hub`` as the calling thread's hub (for tests and for choosing a backend)."""
    global _last_hub
    _last_hub = None
    cdef _HubHolder holder = _HubHolder.__new__(_HubHolder)
    cdef greenlet root = PyGreenlet_GetCurrent()
    while root.parent is not None:
        root = root.parent
    hub.parent = root
    holder.hub = hub
    _thread_hubs.holder = holder


def _drop_hub():
    """Destroy the calling thread's hub, if it has one (used after fork and by tests)."""
    global _last_hub
    _last_hub = None
    try:
        holder = _thread_hubs.holder
    except AttributeError:
        return
    del _thread_hubs.holder


# The fork hook: a fork()ed child inherits the parent's hub, whose epoll/kqueue fd is shared with the
# parent; the child drops it and gets a new hub on first use. Registered when the hub is loaded, so
# every program that can have a hub has the hook, patched or not.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_hub)


cpdef sleep(double seconds=0):
    """Park the calling green thread for ``seconds``. sleep(0) lets every other ready one run once."""
    cdef Hub hub = get_hub()
    cdef Waiter w = Waiter.__new__(Waiter)
    cdef Timer t = None
    w.hub = hub
    w.kind = WAIT_SLEEP
    if seconds <= 0:
        hub._schedule(w, None)
        w.get()
        return
    t = hub.timers.schedule(fh_monotonic() + seconds, w, None)
    try:
        w.get()
    finally:
        t.cancel()


cpdef double monotonic():
    """Seconds on the monotonic clock used by fasthub's timers."""
    return fh_monotonic()


def wait_read(fd, timeout=None, timeout_exc=None):
    """Park the calling green thread until ``fd`` may be read; see Hub.wait_read()."""
    return get_hub().wait_read(fd, timeout, timeout_exc)


def wait_write(fd, timeout=None, timeout_exc=None):
    """Park the calling green thread until ``fd`` may be written; see Hub.wait_write()."""
    return get_hub().wait_write(fd, timeout, timeout_exc)


def get_hub_if_exists():
    """The calling OS thread's hub, or None if it has none yet (never creates one)."""
    try:
        return (<_HubHolder>_thread_hubs.holder).hub
    except AttributeError:
        return None


def notify_close(fd):
    """Tell the calling thread's hub that ``fd`` is about to be closed; see Hub.notify_close().

    A thread that has no hub has no waiters to wake: no hub is created for it (closing a socket in a
    pool thread must not cost a new epoll fd and eventfd)."""
    hub = get_hub_if_exists()
    if hub is not None:
        hub.notify_close(fd)
