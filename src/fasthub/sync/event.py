"""Event (threading.Event for green threads) and AsyncResult (a one-shot result).

Both are a compiled Flag (fasthub.sync._flag: a flag and the WaitList its waiters park in, which
handles timeouts, kills and OS threads; no mutex).

eventlet users: ``eventlet.event.Event`` is a one-shot result, which is ``AsyncResult`` here:
``send(v)`` -> ``set(v)`` (``send`` also works), ``send_exception(e)`` -> ``set_exception(e)`` (also
works), ``wait()`` (returns the value or raises) -> ``get()``, ``ready()``, ``reset()`` as before.
``has_exception()`` / ``has_result()`` / ``poll()`` exist too. fasthub's ``Event`` is the threading-like
flag (gevent's ``Event``).
"""

from fasthub.sync._flag import Flag as _Flag
from fasthub.sync.timeout import WaitTimeout

__all__ = ["Event", "AsyncResult"]


class Event(_Flag):
    """A flag green threads can wait for, with threading.Event's API.

    ``wait()`` blocks the calling green thread until ``set()`` is called (from any green thread or OS
    thread); ``clear()`` resets the flag.
    """

    __slots__ = ()

    is_set = isSet = _Flag._is_set
    ready = is_set  # gevent's name
    wait = _Flag._wait_flag
    set = _Flag._set_flag
    clear = _Flag._clear_flag

    def __repr__(self):
        return (f"<fasthub.Event at {id(self):#x} {'set' if self._flag else 'unset'} "
                f"waiters={len(self._waiters)}>")


class AsyncResult(_Flag):
    """A one-shot result (value or exception) that green threads can wait for.

    ``set(value)`` or ``set_exception(exc)`` once (a second time raises RuntimeError unless
    ``reset()`` was called); ``get()`` blocks until then and returns the value or raises the
    exception. Setting works from any green thread or OS thread. gevent's AsyncResult API, plus
    eventlet's Event names (send, send_exception, reset, has_exception, has_result, poll).
    """

    __slots__ = ("_value", "_exception", "_tb")

    def __init__(self):
        self._value = None
        self._exception = None
        self._tb = None

    # -- setting ------------------------------------------------------------------------------------

    def set(self, value=None):
        """Store ``value`` and wake every waiter. Raises RuntimeError if a result was already set."""
        if self._flag:
            raise RuntimeError("fasthub: this AsyncResult already has a result; call reset() "
                               "before setting it again")
        self._value = value
        self._set_flag()

    def set_exception(self, exception, tb=None):
        """Store ``exception`` (class or instance) to be raised by get(), and wake every waiter.
        Raises RuntimeError if a result was already set."""
        if self._flag:
            raise RuntimeError("fasthub: this AsyncResult already has a result; call reset() "
                               "before setting it again")
        if isinstance(exception, type):
            exception = exception()
        if not isinstance(exception, BaseException):
            raise TypeError(f"fasthub: set_exception() needs an exception, not {exception!r}")
        self._exception = exception
        self._tb = tb if tb is not None else exception.__traceback__
        self._set_flag()

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
        self._flag = False
        self._value = None
        self._exception = None
        self._tb = None

    # -- state --------------------------------------------------------------------------------------

    ready = _Flag._is_set  # True once a value or an exception was set

    def successful(self):
        """True if a value (not an exception) was set."""
        return self._flag and self._exception is None

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
        return self._flag and self._exception is not None

    def has_result(self):
        """eventlet: True if a value was set."""
        return self._flag and self._exception is None

    # -- waiting ------------------------------------------------------------------------------------

    _wait = _Flag._wait_flag

    def get(self, block=True, timeout=None):
        """Return the value, or raise the exception, once set.

        Blocks the calling green thread until then, for at most ``timeout`` seconds; with
        ``block=False`` it does not wait. Raises WaitTimeout (a TimeoutError and a fasthub.Timeout)
        if no result came in time.
        """
        if not self._flag:
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
        if self._flag:
            return self.get(block=False)
        return notready

    def __repr__(self):
        if not self._flag:
            state = "unset"
        elif self._exception is not None:
            state = f"exception={self._exception!r}"
        else:
            state = f"value={self._value!r}"
        return f"<fasthub.AsyncResult at {id(self):#x} {state} waiters={len(self._waiters)}>"
