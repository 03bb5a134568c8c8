# cython: language_level=3, boundscheck=False, wraparound=False
"""spawn(), GreenThread and the worker greenlets that run green threads.

Why workers. Creating a greenlet and running it to completion costs about 2 us on CPython 3.10 but
11-13 us on 3.11+, because each new greenlet's first run maps and unmaps a frame data stack (see
shared PERF-NOTES). So a GreenThread is not a greenlet: it is a handle, and the hub runs it on a worker
greenlet that, when the function returns, parks in the hub's idle list and is handed the next spawned
function. A spawn then allocates one small object and no greenlet. Identity stays per green thread:
getcurrent() returns the GreenThread being run, kill() throws only into the worker still running that
GreenThread, and every wait in fasthub goes through a one-shot Waiter, so no stale wake-up can reach
the next green thread a worker runs. Each green thread starts with an empty contextvars context.
"""

cimport cython
from fasthub.core.includes.greenlet cimport (
    greenlet, import_greenlet, PyGreenlet_GetCurrent, PyGreenlet_Switch, PyGreenlet_Throw,
)
from fasthub.core._hub cimport Hub, get_hub, monotonic
from fasthub.core._timers cimport Timer
from fasthub.core._waitlist cimport WaitList

import sys
from greenlet import GreenletExit
from fasthub.core._hub import _throw_to_parent
from fasthub.core._waitlist import ParkTimeout

import_greenlet()

cdef enum:
    PENDING = 0
    RUNNING = 1
    DONE = 2


@cython.final
cdef class Worker(greenlet):
    """A greenlet that runs one GreenThread after another (internal); its run is _worker_run."""


def _worker_run():
    # The body of every Worker. A module function passed as the greenlet's run, not a method: a
    # method would cost each worker a bound-method object, alive (and visited by every full garbage
    # collection) for as long as the worker is.
    cdef Worker self = <Worker>PyGreenlet_GetCurrent()
    cdef Hub hub = self.hub
    cdef GreenThread task
    cdef object exc
    while True:
        task = <GreenThread>self.task
        task._execute()
        exc = task._exception
        # Drop both references before parking: an idle worker must not keep the green thread it
        # ran (and so its result) alive until it is handed the next one.
        task = None
        self.task = None
        if self.gr_context is not None:
            # The next green thread must not see this one's context variables.
            self.gr_context = None
        hub.idle_workers.append(self)
        if len(hub.idle_workers) > hub.max_idle_workers and hub.worker_trim_timer is None:
            hub.worker_trim_timer = hub.call_later(TRIM_INTERVAL, _trim_idle_workers, hub)
        if isinstance(exc, (SystemExit, KeyboardInterrupt)) and not hub.parent.dead:
            # The program is asked to stop: raise it in the main greenlet now, where it waits.
            # Queued as a hub callback, it could arrive after the main greenlet has resumed and
            # returned. This worker is already idle: the next spawn resumes it right here.
            hub.switch_count += 1
            hub.running = hub.parent
            PyGreenlet_Throw(<greenlet>hub.parent, type(exc), exc, exc.__traceback__)
        else:
            exc = None
            PyGreenlet_Switch(<greenlet>hub, NULL, NULL)
        exc = None
        if self.task is None:
            hub.workers -= 1
            return  # retired by _trim_idle_workers


# Idle workers beyond hub.max_idle_workers are kept for a while after a burst, since bursts recur and
# a new worker costs an mmap/munmap pair on 3.11+, then retired gradually: half the excess every
# TRIM_INTERVAL seconds, at most TRIM_BATCH at a time so a trim never stalls the hub for long.
TRIM_INTERVAL = 0.5
TRIM_BATCH = 2048


def _trim_idle_workers(Hub hub):
    cdef Worker w
    cdef list idle = hub.idle_workers
    cdef Py_ssize_t excess = len(idle) - hub.max_idle_workers
    hub.worker_trim_timer = None
    if excess <= 0:
        return
    n = min(TRIM_BATCH, max(1, excess // 2))
    victims = idle[:n]  # the longest idle
    del idle[:n]
    for w in victims:
        w.task = None
        PyGreenlet_Switch(<greenlet>w, NULL, NULL)  # its run() returns: the greenlet ends
    if len(idle) > hub.max_idle_workers:
        hub.worker_trim_timer = hub.call_later(TRIM_INTERVAL, _trim_idle_workers, hub)


cdef inline object _exception_instance(object exception):
    if isinstance(exception, type):
        return exception()
    return exception


def _throw_into(GreenThread gt, exc):
    # Runs in the hub: throw into the worker only if it still runs this green thread.
    cdef Worker w = gt._worker
    if gt._state == RUNNING and w is not None and w.task is gt:
        PyGreenlet_Throw(<greenlet>w, type(exc), exc, None)


@cython.final
@cython.freelist(64)
cdef class GreenThread:
    """A function running in its own green thread; made by spawn(), spawn_after() and pools.

    wait() returns the result or raises the exception (eventlet); get()/join()/value/exception/
    ready()/successful() match gevent's Greenlet; link() calls a function when it ends.
    """

    def __init__(self, func, *args, **kwargs):
        self._fn = func
        self._args = args
        self._kwargs = kwargs
        self.hub = get_hub()

    # -- running ------------------------------------------------------------------------------------

    def __call__(self):
        # The hub calls this from its ready queue or a timer: start on an idle worker.
        self._start_in_worker()

    cdef int _start_in_worker(self) except -1:
        cdef Hub hub = self.hub
        cdef Worker w
        if self._state != PENDING:
            return 0
        self._start_timer = None
        if hub.idle_workers:
            w = <Worker>hub.idle_workers.pop()
        else:
            w = Worker.__new__(Worker)
            greenlet.__init__(w, _worker_run, hub)
            w.hub = hub
            hub.workers += 1   # for counters(): busy workers are the green threads running
        w.task = self
        self._worker = w
        self._state = RUNNING
        hub.switch_count += 1
        hub.running = w
        PyGreenlet_Switch(<greenlet>w, NULL, NULL)
        return 0

    cdef int _execute(self) except -1:
        cdef object fn = self._fn
        cdef object result
        try:
            if self._kwargs:
                result = fn(*self._args, **self._kwargs)
            else:
                result = fn(*self._args)
        except BaseException as e:
            self._args = None
            self._kwargs = None
            self._finish(None, e, True)
        else:
            self._args = None
            self._kwargs = None
            self._finish(result, None, True)
        return 0

    cdef int _finish(self, object value, object exception, bint in_worker) except -1:
        # in_worker: called by the worker that ran it (which delivers SystemExit/KeyboardInterrupt
        # to the main greenlet itself, see Worker.run); else by kill() before it started.
        cdef WaitList joiners
        self._state = DONE
        if self.name is None and self._fn is not None:
            self.name = getattr(self._fn, "__qualname__", None)
        self._fn = None
        self._value = value
        self._exception = exception
        self._worker = None
        if exception is not None and not isinstance(exception, GreenletExit):
            if isinstance(exception, (SystemExit, KeyboardInterrupt)):
                if not in_worker:
                    self.hub._schedule(_throw_to_parent, (self.hub, exception))
            else:
                self.hub.handle_error(self, type(exception), exception, exception.__traceback__)
        if self._joiners is not None:
            joiners = self._joiners
            self._joiners = None
            joiners._unpark_all(None)
        if self._links is not None:
            links = self._links
            self._links = None
            for fn, args, kwargs in links:
                try:
                    fn(self, *args, **kwargs)
                except BaseException:
                    self.hub.handle_error(fn, *sys.exc_info())
        return 0

    # -- state --------------------------------------------------------------------------------------

    @property
    def dead(self):
        """True once the green thread has finished (returned, raised or been killed)."""
        return self._state == DONE

    @property
    def label(self):
        """Its ``name`` if one was given, else its function's qualified name (for tools)."""
        if self.name is not None:
            return self.name
        return getattr(self._fn, "__qualname__", None) or repr(self._fn)

    def _fasthub_holders(self):
        # For deadlock reports (fasthub.core.introspect): who joins a green thread waits for it,
        # as if it held itself until it ends.
        return [] if self._state == DONE else [(self, None)]

    def _fasthub_describe(self):
        return f"the end of green thread {self.label!r}"

    @property
    def started(self):
        """True once the function began running (or finished)."""
        return self._state != PENDING

    def ready(self):
        """True once the green thread has finished."""
        return self._state == DONE

    def successful(self):
        """True if it finished without an exception (a kill with GreenletExit counts as success)."""
        return self._state == DONE and (self._exception is None or isinstance(self._exception, GreenletExit))

    @property
    def value(self):
        """The return value, or None while running or if it raised."""
        return self._value

    @property
    def exception(self):
        """The exception that ended it, or None."""
        return self._exception

    def __bool__(self):
        # Like gevent: true while started and not dead.
        return self._state == RUNNING

    # -- waiting ------------------------------------------------------------------------------------

    def join(self, timeout=None):
        """Wait until it finishes or ``timeout`` seconds pass; never raises its exception.
        Returns True if it finished."""
        if self._state == DONE:
            return True
        if self._joiners is None:
            self._joiners = WaitList()
        try:
            self._joiners._park(None if timeout is None else monotonic() + timeout, None, None, False,
                               self)
        except ParkTimeout:
            pass
        return self._state == DONE

    def wait(self):
        """Block until it finishes; return its result or raise its exception (GreenletExit if killed)."""
        self.join()
        if self._exception is not None:
            raise self._exception
        return self._value

    def get(self, block=True, timeout=None):
        """gevent's get(): the result, or raise its exception; a kill returns the GreenletExit.
        Raises TimeoutError if it is not done within ``timeout`` (or at once with block=False)."""
        if self._state != DONE:
            if not block:
                raise TimeoutError("fasthub: the green thread has not finished")
            if not self.join(timeout):
                raise TimeoutError(f"fasthub: the green thread did not finish within {timeout} s")
        if self._exception is not None:
            if isinstance(self._exception, GreenletExit):
                return self._exception
            raise self._exception
        return self._value

    # -- links --------------------------------------------------------------------------------------

    def link(self, func, *args, **kwargs):
        """Call ``func(greenthread, *args, **kwargs)`` when it finishes, in the finishing green thread
        (at once, in the caller, if it already finished)."""
        if self._state == DONE:
            func(self, *args, **kwargs)
            return
        if self._links is None:
            self._links = []
        self._links.append((func, args, kwargs))

    def unlink(self, func, *args, **kwargs):
        """Remove a link added with the same function (and arguments, if given); True if found."""
        if not self._links:
            return False
        for i, (f, a, k) in enumerate(self._links):
            if f == func and (not args and not kwargs or (a == args and k == kwargs)):
                del self._links[i]
                return True
        return False

    # -- killing ------------------------------------------------------------------------------------

    def kill(self, exception=GreenletExit, block=True, timeout=None):
        """Raise ``exception`` (class or instance, default GreenletExit) in the green thread.

        Not yet started: it never runs and finishes with that exception. Running: the exception is
        raised where it waits; with block=True (default) kill() returns once it has finished (or after
        ``timeout``). Killing yourself raises at once. Dead: nothing happens.
        """
        cdef greenlet cur
        exc = _exception_instance(exception)
        if self._state == DONE:
            return
        if self._state == PENDING:
            if self._start_timer is not None:
                self._start_timer.cancel()
                self._start_timer = None
            self._fn = None
            self._args = None
            self._kwargs = None
            self._finish(None, exc, False)
            return
        cur = PyGreenlet_GetCurrent()
        if cur is self._worker:
            raise exc
        if cur is self.hub:
            _throw_into(self, exc)
            return
        self.hub._schedule(_throw_into, (self, exc))
        if block:
            self.join(timeout)

    def throw(self, *args):
        """Raise an exception in this green thread where it waits (eventlet's/greenlet's throw()).

        ``args`` is greenlet's form: nothing (GreenletExit), an exception class or instance, or
        (class, value[, traceback]). Unlike kill() it never waits for the green thread to finish:
        called from the hub (a timer or callback) the exception is raised at once; from another
        green thread, at the hub's next iteration. Not yet started: it finishes with the exception
        without running. Dead: nothing happens.
        """
        if not args:
            exc = GreenletExit()
        elif len(args) == 1 or args[1] is None:
            exc = _exception_instance(args[0])
        elif isinstance(args[1], BaseException):
            exc = args[1]
        else:
            exc = args[0](args[1])
        if len(args) > 2 and args[2] is not None:
            exc = exc.with_traceback(args[2])
        self.kill(exc, block=False)

    def cancel(self, *throw_args):
        """eventlet's cancel(): kill it only if it has not started yet; True if it was cancelled."""
        if self._state != PENDING:
            return False
        self.kill(*throw_args)
        return True

    def __repr__(self):
        state = ("pending", "running", "dead")[self._state]
        fn = self.name or getattr(self._fn, "__qualname__", None) or ""
        return f"<fasthub GreenThread {fn} {state} at {id(self):#x}>"


def spawn(func, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` in a new green thread, starting at the hub's next iteration.
    Returns its GreenThread (wait(), kill(), link() ...)."""
    cdef GreenThread gt = GreenThread.__new__(GreenThread)
    gt._fn = func
    gt._args = args
    gt._kwargs = kwargs
    gt.hub = get_hub()
    gt.hub._schedule(gt, None)
    return gt


def spawn_n(func, *args, **kwargs):
    """Like spawn(), for fire-and-forget work (eventlet's name); returns the GreenThread too."""
    return spawn(func, *args, **kwargs)


def spawn_after(seconds, func, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` in a new green thread after ``seconds``. cancel() or kill() the
    returned GreenThread to stop it before it starts."""
    cdef GreenThread gt = GreenThread.__new__(GreenThread)
    gt._fn = func
    gt._args = args
    gt._kwargs = kwargs
    gt.hub = get_hub()
    gt._start_timer = gt.hub.call_later(seconds, gt)
    return gt


spawn_later = spawn_after


cpdef object getcurrent():
    """The running green thread: its GreenThread, or the raw greenlet (e.g. the main one)."""
    cdef greenlet cur = PyGreenlet_GetCurrent()
    if type(cur) is Worker:
        return (<Worker>cur).task
    return cur


def kill(gt, exception=GreenletExit, block=True, timeout=None):
    """Kill a GreenThread (see GreenThread.kill) or a raw greenlet (raise in it via the hub)."""
    if isinstance(gt, GreenThread):
        return gt.kill(exception, block=block, timeout=timeout)
    exc = _exception_instance(exception)
    if not gt.dead:
        get_hub().call_soon(gt.throw, type(exc), exc)
        if block and PyGreenlet_GetCurrent() is not get_hub():
            from fasthub.core._hub import sleep
            sleep(0)


def joinall(greenthreads, timeout=None, raise_error=False, count=None):
    """Wait for the green threads to finish; return the list of those that did, in the given order.

    ``timeout``: stop waiting after that many seconds. ``raise_error``: raise the exception of the
    first one found to have failed. ``count``: stop once that many have finished.
    """
    cdef Hub hub = get_hub()
    cdef GreenThread gt
    greenthreads = list(greenthreads)
    deadline = None if timeout is None else hub.now() + timeout
    finished = 0
    for gt in greenthreads:
        if gt._state == DONE and not raise_error:
            # Most of a big batch has finished by the time its turn comes: no join() call for those.
            finished += 1
            if count is not None and finished >= count:
                break
            continue
        remaining = None
        if deadline is not None:
            remaining = max(0.0, deadline - hub.now())
        if not gt.join(remaining):
            break
        if raise_error and not gt.successful():
            raise gt._exception
        finished += 1
        if count is not None and finished >= count:
            break
    return [gt for gt in greenthreads if gt._state == DONE]
