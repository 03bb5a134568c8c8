"""``eventlet.semaphore``: Semaphore, BoundedSemaphore and CappedSemaphore on fasthub's Semaphore.

eventlet's interface: ``acquire(blocking=True, timeout=None)`` returns True or False,
``release(blocking=True)`` returns 1, ``counter``, ``balance`` (counter minus waiters), ``locked()``,
``bounded()``; context manager.
"""

from fasthub.sync import locks as _locks

__all__ = ["Semaphore", "BoundedSemaphore", "CappedSemaphore"]


class Semaphore(_locks.Semaphore):
    """A counter of permits; ``Semaphore(0)`` makes acquirers wait for a release()."""

    __slots__ = ()

    def __init__(self, value=1):
        if value < 0:
            raise ValueError(f"Semaphore must be initialized with a positive number, got {value}")
        _locks.Semaphore.__init__(self, value)

    def acquire(self, blocking=True, timeout=None):
        """Take a permit; False if none came within ``timeout`` (or at once, non-blocking)."""
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        return _locks.Semaphore.acquire(self, blocking, timeout)

    def __enter__(self):
        self.acquire()
        return self

    def release(self, blocking=True):
        """Give a permit back (waking the first waiter); ``blocking`` is eventlet's unused flag."""
        _locks.Semaphore.release(self)
        return 1

    @property
    def balance(self):
        """Free permits minus the number of waiting green threads."""
        return self.counter - self.waiting()

    def bounded(self):
        """False: a plain Semaphore can be released past its initial value."""
        return False


class BoundedSemaphore(Semaphore):
    """A Semaphore whose release() raises ValueError past the initial value."""

    __slots__ = ("original_counter",)

    def __init__(self, value=1):
        Semaphore.__init__(self, value)
        self.original_counter = value

    def release(self, blocking=True):
        """Give a permit back; ValueError if that exceeds the initial value."""
        if self.counter >= self.original_counter:
            raise ValueError("Semaphore has already been released too many times")
        return Semaphore.release(self, blocking)

    def bounded(self):
        return True


class CappedSemaphore:
    """A semaphore whose counter may go below zero (release() before acquire()) but never above
    ``limit``: release() at the limit blocks until someone acquires (eventlet's design)."""

    def __init__(self, count, limit):
        if count < 0:
            raise ValueError(f"CappedSemaphore must be initialized with a positive number, got {count}")
        if count > limit:
            count = limit  # eventlet caps the start value too
        self.lower_bound = Semaphore(count)
        self.upper_bound = Semaphore(limit - count)

    def locked(self):
        """True if acquire() would block."""
        return self.lower_bound.locked()

    def bounded(self):
        """True if release() would block."""
        return self.upper_bound.locked()

    def acquire(self, blocking=True, timeout=None):
        """Take a permit (blocking while the counter is <= 0)."""
        if not blocking and self.locked():
            return False
        self.upper_bound.release()   # make room for a release() first: it may be what we wait for
        try:
            if self.lower_bound.acquire(blocking, timeout):
                return True
        except BaseException:
            self.upper_bound.acquire(blocking=False)
            raise
        self.upper_bound.acquire(blocking=False)
        return False

    def __enter__(self):
        self.acquire()
        return self

    def release(self, blocking=True):
        """Give a permit back, blocking while the counter is at its limit; False if non-blocking
        and at the limit."""
        if not blocking and self.bounded():
            return False
        self.upper_bound.acquire()
        self.lower_bound.release()
        return True

    def __exit__(self, typ, val, tb):
        self.release()

    @property
    def balance(self):
        """Permits available minus those owed."""
        return self.lower_bound.balance - self.upper_bound.balance
