"""Semaphore, BoundedSemaphore, Lock, RLock and Condition for green threads, with threading's API.

Fairness: a release() with waiters hands the permit straight to the longest-waiting green thread
instead of putting it back for anyone to grab, so a green thread that releases and re-acquires in a
loop cannot starve the others (FIFO order among waiters).

Waiting is the WaitList's job (fasthub.core._waitlist): a waiter taken off the line by a releaser owns
the permit (for Lock: the lock, still locked, passes to it); one that leaves with an exception after
that (a kill, a Timeout) passes the permit on through ``pass_on``, so no release is ever lost to a
dead waiter. Timeouts and interpreter shutdown reach the primitives as ParkTimeout: acquire() then
returns False.

Threads: green threads of different OS threads (each with its own hub) may share one lock. The state
is kept consistent with real ``_thread`` locks, captured at import, before any monkey-patching, and
never held across a switch: Lock and RLock use one as their state (taking a free lock is a single
atomic C call); Semaphore guards its count with one as a mutex. A waiter re-checks the state once it
is queued (park's ``ready``), so a release in another OS thread between its first try and its
queueing is not missed.

Interpreter shutdown: greenlet >= 3.5.1 makes ``greenlet.getcurrent()`` raise RuntimeError while the
interpreter finalizes, and finalizers (logging's weakref callbacks) still take locks. Then a lock that
would have to wait gives up instead (acquire() returns False) and RLock treats the caller as the owner,
so shutdown never crashes or hangs in a lock.
"""

import sys
from _thread import allocate_lock as _os_lock
from threading import TIMEOUT_MAX

from greenlet import getcurrent as _raw_current

from fasthub.core._greenthread import getcurrent
from fasthub.core._hub import monotonic
from fasthub.core._waitlist import ParkTimeout, WaitList

__all__ = ["Semaphore", "BoundedSemaphore", "Lock", "RLock", "Condition", "track_sites"]


def _deadline(timeout):
    return None if timeout is None else monotonic() + timeout


# Deadlock reports name the greenlet holding a Lock, recorded on every acquire (greenlet's
# getcurrent() and a store: callgrind, 3,059 -> 3,529 instructions per uncontended acquire/release
# pair on 3.11), and, while sites are tracked, where it took it (a frame lookup more per acquire, so
# only while someone asked: the monitor, FASTHUB_DEBUG).
_sites = 0


def track_sites(on):
    """Record (True) or stop recording (False) where each Lock and RLock is acquired, for deadlock
    reports ("held by X, taken at file:line"). Calls nest: recording goes on until every True has
    been matched by a False. fasthub.monitor.start() and FASTHUB_DEBUG=1 turn it on."""
    global _sites
    _sites = max(0, _sites + (1 if on else -1))


def _caller_site():
    # (file, line, function) of the code that called acquire() (or entered the `with`).
    f = sys._getframe(2)
    code = f.f_code
    return code.co_filename, f.f_lineno, code.co_name


class Semaphore:
    """A counter of permits: acquire() takes one, blocking while there is none; release() gives one.

    threading.Semaphore's API: ``acquire(blocking=True, timeout=None)``, ``release(n=1)``, context
    manager. A negative ``timeout`` means "do not wait", as in threading. Waiters are served in FIFO
    order. Usable from green threads of several OS threads at once.
    """

    __slots__ = ("_value", "_waiters", "_mutex", "__weakref__")

    def __init__(self, value=1):
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._value = value
        self._waiters = WaitList()
        self._mutex = _os_lock()

    # -- acquiring ----------------------------------------------------------------------------------

    def acquire(self, blocking=True, timeout=None):
        """Take a permit; return True. If none is free, block the calling green thread until one is
        released (FIFO), at most ``timeout`` seconds; return False if it gave up (or at once with
        ``blocking=False``). Exceptions thrown into the waiting green thread propagate."""
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        if self._take():
            return True
        if not blocking or (timeout is not None and timeout <= 0):
            return False
        try:
            self._waiters.park(_deadline(timeout), self._take, self._give_back, False, self)
        except ParkTimeout:
            return False  # timed out (or the interpreter is shutting down)
        return True

    __enter__ = acquire

    def _take(self):
        # Take a free permit. Free permits and waiters never coexist (a release with waiters hands
        # its permit over), so this cannot jump the line.
        m = self._mutex
        m.acquire()
        try:
            if self._value > 0:
                self._value -= 1
                return True
            return False
        finally:
            m.release()

    def _give_back(self, _wakeup=None):
        # A waiter leaves with a permit it was handed (pass_on): release it as it was.
        m = self._mutex
        m.acquire()
        try:
            self._release_locked(1)
        finally:
            m.release()

    # -- releasing ----------------------------------------------------------------------------------

    def _release_locked(self, n):
        # Hand each permit to the longest waiter, else put it back. Mutex held.
        waiters = self._waiters
        for _ in range(n):
            if not waiters.unpark_one(True):
                self._value += 1

    def release(self, n=1):
        """Give back ``n`` permits, waking that many waiters (FIFO). Never blocks."""
        if n < 1:
            raise ValueError("n must be one or more")
        m = self._mutex
        m.acquire()
        try:
            self._check_release(n)
            self._release_locked(n)
        finally:
            m.release()

    def __exit__(self, typ, value, tb):
        self.release()

    def _check_release(self, n):
        pass  # any number of permits may be given back (BoundedSemaphore checks)

    def _adjust(self, delta):
        # For GreenPool.resize(): add (or take away, possibly going below zero) ``delta`` permits.
        m = self._mutex
        m.acquire()
        try:
            self._value += delta
            if self._value > 0 and self._waiters:
                n = self._value
                self._value = 0
                self._release_locked(n)
        finally:
            m.release()

    # -- state --------------------------------------------------------------------------------------

    def locked(self):
        """True if acquire() would block now."""
        return self._value <= 0

    @property
    def counter(self):
        """Free permits (eventlet's and gevent's name); may be negative after GreenPool.resize()."""
        return self._value

    def waiting(self):
        """Number of green threads blocked in acquire()."""
        return len(self._waiters)

    def __repr__(self):
        return (f"<fasthub.{type(self).__name__} at {id(self):#x} value={self._value} "
                f"waiters={len(self._waiters)}>")


class BoundedSemaphore(Semaphore):
    """A Semaphore whose release() raises ValueError if it would exceed the initial value."""

    __slots__ = ("_initial",)

    def __init__(self, value=1):
        Semaphore.__init__(self, value)
        self._initial = value

    def _check_release(self, n):
        # release(): ValueError if that is more permits than were taken.
        if self._value + n > self._initial:
            raise ValueError("Semaphore released too many times")


def _check_lock_timeout(blocking, timeout):
    # threading.Lock's argument rules, plus gevent's and eventlet's None for "no limit". Returns the
    # seconds to wait, None for no limit, 0 for a non-blocking call.
    if timeout is None:
        timeout = -1
    if not blocking:
        if timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return 0
    if timeout == -1:
        return None
    if timeout < 0:
        raise ValueError("timeout value must be a non-negative number")
    if timeout > TIMEOUT_MAX:
        raise OverflowError("timeout value is too large")
    return timeout


class Lock:
    """A mutual-exclusion lock with threading.Lock's API: ``acquire(blocking=True, timeout=-1)``,
    ``release()`` (RuntimeError if unlocked), ``locked()``, context manager.

    Like threading.Lock it has no owner: any green thread (or OS thread) may release it. Waiters are
    served in FIFO order: a release with waiters hands the lock to the first one.
    """

    # The state is a real _thread lock, held while the fasthub Lock is held: taking a free lock is
    # one atomic C call, with no mutex around it. When waiters exist, release() does not unlock it
    # but hands it (still locked) to the first waiter, so the lock is never free while anyone waits
    # and a newcomer cannot barge in. The release path re-checks for waiters after unlocking, to
    # close the race with a waiter of another OS thread that queued just before.
    __slots__ = ("_os", "_waiters", "_holder", "_site", "__weakref__")

    def __init__(self):
        self._os = _os_lock()
        self._waiters = WaitList()
        self._holder = None   # the green thread that took it last (meaningful while locked)
        self._site = None     # where it took it, while sites are tracked (track_sites())

    def acquire(self, blocking=True, timeout=-1):
        """Take the lock; return True. If it is held, block the calling green thread until it is
        released to us (FIFO), at most ``timeout`` seconds (-1: no limit); return False if it gave up
        (at once with ``blocking=False``)."""
        if timeout != -1 or not blocking:
            timeout = _check_lock_timeout(blocking, timeout)
        else:
            timeout = None
        if self._os.acquire(False) or (timeout != 0 and self._wait(timeout)):
            try:
                self._holder = _raw_current()
            except RuntimeError:   # the interpreter is finalizing: greenlet cannot say who
                self._holder = None
            if _sites:
                self._site = _caller_site()
            return True
        return False

    __enter__ = acquire

    def _wait(self, timeout):
        # Queue until a holder hands the lock over (or it is found free once queued).
        try:
            self._waiters.park(_deadline(timeout), self._take_free, self._hand_over, False, self)
        except ParkTimeout:
            return False  # timed out (or the interpreter is shutting down)
        return True

    def _take_free(self):
        return self._os.acquire(False)

    def release(self):
        """Release the lock, handing it to the first waiter if any. RuntimeError if it is not held."""
        if self._waiters:
            if not self._os.locked():
                raise RuntimeError("release unlocked lock")
            self._hand_over()
            return
        self._os.release()  # raises RuntimeError if not held
        if self._waiters and self._os.acquire(False):
            self._hand_over()  # a waiter queued meanwhile (it may have missed the unlock)

    def _hand_over(self, _wakeup=None):
        # Called holding the lock (also as park's pass_on, by a waiter leaving with the lock): give
        # it to the first waiter, else unlock. A waiter that queues while we unlock either takes the
        # free lock itself once queued, or is seen here when we take the lock back to hand it over.
        waiters = self._waiters
        while not waiters.unpark_one(True):
            self._os.release()
            if not waiters or not self._os.acquire(False):
                return

    def __exit__(self, typ, value, tb):
        self.release()

    def locked(self):
        """True if the lock is held."""
        return self._os.locked()

    def _fasthub_holders(self):
        # For deadlock reports (fasthub.core.introspect): who holds it, and where it was taken
        # (known only while sites are tracked).
        if self._os.locked() and self._holder is not None:
            return [(self._holder, self._site if _sites else None)]
        return []

    def waiting(self):
        """Number of green threads blocked in acquire()."""
        return len(self._waiters)

    # For Condition: a Lock has no owner, so "owned" means "held".
    def _is_owned(self):
        return self._os.locked()

    def _release_save(self):
        self.release()

    def _acquire_restore(self, state):
        self.acquire()

    def _at_fork_reinit(self):
        # threading calls this in the child after fork(); waiters of the parent do not exist there.
        self._os = _os_lock()
        self._waiters = WaitList()

    def __repr__(self):
        state = "locked" if self._os.locked() else "unlocked"
        return f"<fasthub.{type(self).__name__} at {id(self):#x} {state} waiters={len(self._waiters)}>"


_FINALIZING = object()  # the caller's identity once greenlet can no longer tell us
_NOT_RELEASED = object()


def _me():
    try:
        return getcurrent()
    except RuntimeError:
        return _FINALIZING


class RLock(Lock):
    """A re-entrant lock owned by a green thread (``fasthub.getcurrent()``), with threading.RLock's
    API: the owner may acquire it again; it is free after as many release() calls. release() by a
    non-owner raises RuntimeError. Waiters are served in FIFO order; usable across OS threads.
    """

    __slots__ = ("_owner", "_count")

    def __init__(self):
        Lock.__init__(self)
        self._owner = None
        self._count = 0

    def acquire(self, blocking=True, timeout=-1):
        """Take the lock (or, for its owner, count one more level); return True, or False if it gave
        up after ``timeout`` seconds (-1: no limit) or at once with ``blocking=False``."""
        try:
            me = getcurrent()
        except RuntimeError:
            me = _FINALIZING
        if self._owner is me or (me is _FINALIZING and self._owner is not None):
            # (During shutdown only one flow of code runs: whoever holds the lock cannot run again,
            # so the caller is treated as the owner rather than waiting forever.)
            self._count += 1
            return True
        if timeout != -1 or not blocking:
            timeout = _check_lock_timeout(blocking, timeout)
        else:
            timeout = None
        if self._os.acquire(False) or (timeout != 0 and self._wait(timeout)):
            self._owner = me
            self._count = 1
            if _sites:
                self._site = _caller_site()
            return True
        return False

    __enter__ = acquire

    def release(self):
        """Release one level; the lock is free (and handed to the first waiter) after the last one.
        RuntimeError if the caller does not own it."""
        try:
            me = getcurrent()
        except RuntimeError:
            me = _FINALIZING
        owner = self._owner
        if owner is not me and (owner is None or me is not _FINALIZING):
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            Lock.release(self)

    def __exit__(self, typ, value, tb):
        self.release()

    def locked(self):
        """True if some green thread holds the lock."""
        return self._os.locked()

    def _is_owned(self):
        return self._owner is _me()

    def _fasthub_holders(self):
        owner = self._owner
        return [] if owner is None or owner is _FINALIZING else [(owner, self._site if _sites else None)]

    def _release_save(self):
        # Condition.wait(): drop every level, remember them.
        if self._owner is None:
            raise RuntimeError("cannot release un-acquired lock")
        state = (self._count, self._owner)
        self._count = 0
        self._owner = None
        Lock.release(self)
        return state

    def _acquire_restore(self, state):
        Lock.acquire(self)
        self._count, self._owner = state

    def _recursion_count(self):
        return self._count if self._owner is _me() else 0

    def _at_fork_reinit(self):
        Lock._at_fork_reinit(self)
        self._owner = None
        self._count = 0

    def __repr__(self):
        return f"<fasthub.RLock at {id(self):#x} owner={self._owner!r} count={self._count}>"


class Condition:
    """threading.Condition for green threads: wait() releases the lock, blocks until notify(), and
    re-acquires it. ``lock`` defaults to a new fasthub RLock; any lock with acquire/release works.

    Notified waiters wake in FIFO order. A waiter that is notified but leaves with an exception (kill,
    Timeout) passes its notification to the next waiter, so none is lost (the WaitList does it).
    """

    def __init__(self, lock=None):
        if lock is None:
            lock = RLock()
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release
        self._waiters = WaitList()
        # Use the lock's own helpers when it has them (fasthub locks, threading's RLock).
        for name in ("_release_save", "_acquire_restore", "_is_owned"):
            try:
                setattr(self, name, getattr(lock, name))
            except AttributeError:
                pass

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *args):
        return self._lock.__exit__(*args)

    def _release_save(self):
        self._lock.release()

    def _acquire_restore(self, state):
        self._lock.acquire()

    def _is_owned(self):
        # A lock without an owner notion: "owned" if we cannot take it now.
        if self._lock.acquire(False):
            self._lock.release()
            return False
        return True

    def wait(self, timeout=None):
        """Release the lock, block until notified or ``timeout`` seconds pass, re-acquire the lock.

        Returns True if notified, False on timeout. RuntimeError if the lock is not held. Exceptions
        thrown into the waiting green thread propagate after the lock is re-acquired.
        """
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        saved = _NOT_RELEASED

        def release_lock():
            # Called by park() once we are queued: a notify() after the release finds us.
            nonlocal saved
            saved = self._release_save()

        try:
            self._waiters.park(None if timeout is None else monotonic() + max(timeout, 0.0),
                               release_lock, None, False, self)
            notified = True
        except ParkTimeout:
            notified = False  # timed out (or the interpreter is shutting down)
        finally:
            if saved is not _NOT_RELEASED:
                self._acquire_restore(saved)
        return notified

    def wait_for(self, predicate, timeout=None):
        """Wait until ``predicate()`` is true (checked with the lock held), at most ``timeout``
        seconds; return the last value of ``predicate()``."""
        deadline = None
        result = predicate()
        while not result:
            if timeout is not None:
                if deadline is None:
                    deadline = monotonic() + timeout
                remaining = deadline - monotonic()
                if remaining <= 0:
                    break
                self.wait(remaining)
            else:
                self.wait()
            result = predicate()
        return result

    def _notify(self, n):
        waiters = self._waiters
        while n > 0 and waiters.unpark_one(True):
            n -= 1

    def notify(self, n=1):
        """Wake up to ``n`` waiting green threads (FIFO). RuntimeError if the lock is not held."""
        if not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        self._notify(n)

    def notify_all(self):
        """Wake every waiting green thread. RuntimeError if the lock is not held."""
        if not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        self._waiters.unpark_all(True)

    def __repr__(self):
        return f"<fasthub.Condition({self._lock!r}, waiters={len(self._waiters)})>"
