"""Event (threading.Event for green threads) and AsyncResult (a one-shot result).

Both keep their waiters in a deque of one-shot Waiters. Thread-safety without a mutex: the only shared
state is a flag and the deque, and every change to the deque is one call to a C method (append,
popleft, remove), which runs atomically under the GIL. A waiter appends itself and then re-reads the
flag; set() writes the flag and then empties the deque. Whatever the interleaving between two OS
threads, one of the two sees the other, so no wake-up is lost. Waiter.switch() from another OS thread
hands the wake-up to the waiter's own hub.

eventlet users: ``eventlet.event.Event`` is a one-shot result, which is ``AsyncResult`` here:
``send(v)`` -> ``set(v)`` (``send`` also works), ``send_exception(e)`` -> ``set_exception(e)`` (also
works), ``wait()`` (returns the value or raises) -> ``get()``, ``ready()``, ``reset()`` as before.
``has_exception()`` / ``has_result()`` / ``poll()`` exist too. fasthub's ``Event`` is the threading-like
flag (gevent's ``Event``).
"""

from collections import deque

import greenlet as _greenlet_mod

from fasthub.core._hub import Waiter, get_hub, monotonic
from fasthub.sync.timeout import WaitTimeout

__all__ = ["Event", "AsyncResult"]


def _greenlet_unavailable():
    """True while the interpreter finalizes: greenlet >= 3.5.1 then refuses getcurrent(), so no
    green thread can park. Waits then give up (report "not set", raise Empty ...) instead of
    crashing the finalizer (logging's weakref callbacks, __del__) that called them."""
    try:
        _greenlet_mod.getcurrent()
    except RuntimeError:
        return True
    return False


def _wake_all(waiters, value):
    # Wake every waiter registered now. popleft() may race with another OS thread doing the same:
    # then the deque empties under us and IndexError ends the loop.
    try:
        while waiters:
            w = waiters.popleft()
            try:
                w.switch(value)
            except RuntimeError:
                pass  # its hub was destroyed (its OS thread ended): nobody left to wake
    except IndexError:
        pass


def _discard(waiters, w):
    try:
        waiters.remove(w)
    except ValueError:
        pass  # already taken by a waker


def _park(waiters, hub, timeout, flag_holder):
    """Wait on a new Waiter registered in ``waiters``; True if woken, False on timeout.

    ``flag_holder()`` is re-read after registering to close the race with a waker in another OS
    thread (see the module docstring).
    """
    w = Waiter(hub)
    waiters.append(w)
    if flag_holder():
        _discard(waiters, w)
        return True
    if timeout is None:
        try:
            w.get()
        except BaseException as e:
            _discard(waiters, w)
            if isinstance(e, RuntimeError) and _greenlet_unavailable():
                return flag_holder()
            raise
        return True
    t = hub.timers.schedule(monotonic() + timeout, w, None)
    try:
        woken = w.get()
    except BaseException as e:
        t.cancel()
        _discard(waiters, w)
        if isinstance(e, RuntimeError) and _greenlet_unavailable():
            return flag_holder()
        raise
    if woken is None:  # the timer fired first
        _discard(waiters, w)
        return False
    t.cancel()
    return True


class Event:
    """A flag green threads can wait for, with threading.Event's API.

    ``wait()`` blocks the calling green thread until ``set()`` is called (from any green thread or OS
    thread); ``clear()`` resets the flag.
    """

    __slots__ = ("_flag", "_waiters", "__weakref__")

    def __init__(self):
        self._flag = False
        self._waiters = deque()

    def is_set(self):
        """True if the flag is set."""
        return self._flag

    isSet = is_set
    ready = is_set  # gevent's name

    def set(self):
        """Set the flag and wake every green thread waiting for it. Never blocks."""
        self._flag = True
        waiters = self._waiters
        if waiters:
            # _wake_all() inlined: set() is half of every hand-off between two green threads.
            try:
                while waiters:
                    w = waiters.popleft()
                    try:
                        w.switch(True)
                    except RuntimeError:
                        pass  # its hub was destroyed (its OS thread ended)
            except IndexError:
                pass  # another OS thread emptied the deque under us

    def clear(self):
        """Reset the flag; later wait() calls block until the next set()."""
        self._flag = False

    def wait(self, timeout=None):
        """Block until the flag is set or ``timeout`` seconds pass.

        Returns True if the flag was set (or set() woke us), False on timeout. Exceptions thrown into
        the waiting green thread (kill, Timeout) propagate after it is unregistered.
        """
        if self._flag:
            return True
        if timeout is not None and timeout <= 0:
            return False
        try:
            hub = get_hub()
        except RuntimeError:
            return self._flag  # interpreter shutdown: cannot wait (see _greenlet_unavailable)
        if timeout is None:
            # Inlined fast path of _park(): the common ping-pong case.
            w = Waiter(hub)
            waiters = self._waiters
            waiters.append(w)
            if self._flag:
                _discard(waiters, w)
                return True
            try:
                w.get()
            except BaseException as e:
                _discard(waiters, w)
                if isinstance(e, RuntimeError) and _greenlet_unavailable():
                    return self._flag  # interpreter shutdown
                raise
            return True
        if _park(self._waiters, hub, timeout, self.is_set):
            return True
        return self._flag

    def __repr__(self):
        return (f"<fasthub.Event at {id(self):#x} {'set' if self._flag else 'unset'} "
                f"waiters={len(self._waiters)}>")


class AsyncResult:
    """A one-shot result (value or exception) that green threads can wait for.

    ``set(value)`` or ``set_exception(exc)`` once (a second time raises RuntimeError unless
    ``reset()`` was called); ``get()`` blocks until then and returns the value or raises the
    exception. Setting works from any green thread or OS thread. gevent's AsyncResult API, plus
    eventlet's Event names (send, send_exception, reset, has_exception, has_result, poll).
    """

    __slots__ = ("_ready", "_value", "_exception", "_tb", "_waiters", "__weakref__")

    def __init__(self):
        self._ready = False
        self._value = None
        self._exception = None
        self._tb = None
        self._waiters = deque()

    # -- setting ------------------------------------------------------------------------------------

    def set(self, value=None):
        """Store ``value`` and wake every waiter. Raises RuntimeError if a result was already set."""
        if self._ready:
            raise RuntimeError("fasthub: this AsyncResult already has a result; call reset() "
                               "before setting it again")
        self._value = value
        self._ready = True
        if self._waiters:
            _wake_all(self._waiters, True)

    def set_exception(self, exception, tb=None):
        """Store ``exception`` (class or instance) to be raised by get(), and wake every waiter.
        Raises RuntimeError if a result was already set."""
        if self._ready:
            raise RuntimeError("fasthub: this AsyncResult already has a result; call reset() "
                               "before setting it again")
        if isinstance(exception, type):
            exception = exception()
        if not isinstance(exception, BaseException):
            raise TypeError(f"fasthub: set_exception() needs an exception, not {exception!r}")
        self._exception = exception
        self._tb = tb if tb is not None else exception.__traceback__
        self._ready = True
        if self._waiters:
            _wake_all(self._waiters, True)

    def send(self, result=None, exc=None):
        """eventlet's name: ``send(value)`` is set(value); ``send(exc=e)`` is set_exception(e)."""
        if exc is not None:
            self.send_exception(exc)
        else:
            self.set(result)

    def send_exception(self, *args):
        """eventlet's name for set_exception(); accepts an instance, a class, or
        ``(type, value, traceback)`` as eventlet does."""
        if len(args) == 1:
            return self.set_exception(args[0])
        typ = args[0]
        val = args[1] if len(args) > 1 else None
        tb = args[2] if len(args) > 2 else None
        if val is None:
            val = typ()
        elif not isinstance(val, BaseException):
            val = typ(val)
        return self.set_exception(val, tb)

    def reset(self):
        """Forget the result so the AsyncResult can be set again (eventlet's reset())."""
        self._ready = False
        self._value = None
        self._exception = None
        self._tb = None

    # -- state --------------------------------------------------------------------------------------

    def ready(self):
        """True once a value or an exception was set."""
        return self._ready

    def successful(self):
        """True if a value (not an exception) was set."""
        return self._ready and self._exception is None

    @property
    def value(self):
        """The value set, or None (not ready yet, or an exception was set)."""
        return self._value if self._exception is None else None

    @property
    def exception(self):
        """The exception set, or None."""
        return self._exception

    @property
    def exc_info(self):
        """``(type, value, traceback)`` of the exception set, or ``()`` (gevent's attribute)."""
        if self._exception is None:
            return ()
        return (type(self._exception), self._exception, self._tb)

    def has_exception(self):
        """eventlet: True if an exception was set."""
        return self._ready and self._exception is not None

    def has_result(self):
        """eventlet: True if a value was set."""
        return self._ready and self._exception is None

    # -- waiting ------------------------------------------------------------------------------------

    def _wait(self, timeout):
        if self._ready:
            return True
        if timeout is not None and timeout <= 0:
            return False
        try:
            hub = get_hub()
        except RuntimeError:
            return self._ready  # interpreter shutdown
        return _park(self._waiters, hub, timeout, self.ready)

    def get(self, block=True, timeout=None):
        """Return the value, or raise the exception, once set.

        Blocks the calling green thread until then, for at most ``timeout`` seconds; with
        ``block=False`` it does not wait. Raises WaitTimeout (a TimeoutError and a fasthub.Timeout)
        if no result came in time.
        """
        if not self._ready:
            if not block:
                raise WaitTimeout("fasthub: the AsyncResult has no result yet")
            if not self._wait(timeout):
                raise WaitTimeout(f"fasthub: no result within {timeout} seconds")
        if self._exception is not None:
            raise self._exception.with_traceback(self._tb)
        return self._value

    def get_nowait(self):
        """get(block=False)."""
        return self.get(block=False)

    def wait(self, timeout=None):
        """Block until a result is set or ``timeout`` passes; return the value (None if not ready or
        if an exception was set). Never raises the stored exception (gevent's wait(); eventlet's
        Event.wait() is get() here)."""
        self._wait(timeout)
        return self.value

    def poll(self, notready=None):
        """eventlet: the value (raising the exception) if ready, else ``notready``."""
        if self._ready:
            return self.get(block=False)
        return notready

    def __repr__(self):
        if not self._ready:
            state = "unset"
        elif self._exception is not None:
            state = f"exception={self._exception!r}"
        else:
            state = f"value={self._value!r}"
        return f"<fasthub.AsyncResult at {id(self):#x} {state} waiters={len(self._waiters)}>"
