"""Semaphore, BoundedSemaphore, Lock, RLock and Condition for green threads, with threading's API.

Fairness: a release() with waiters hands the permit straight to the longest-waiting green thread
instead of putting it back for anyone to grab, so a green thread that releases and re-acquires in a
loop cannot starve the others (FIFO order among waiters).

Threads: green threads of different OS threads (each with its own hub) may share one lock. A wake-up
for a waiter of another OS thread goes through that waiter's hub (Waiter.switch is thread-safe). The
state itself is kept consistent with real ``_thread`` locks, captured at import, before any
monkey-patching, and never held across a switch: Lock and RLock use one as their state (taking a free
lock is a single atomic C call); Semaphore guards its count and waiter deque with one as a mutex.

Who owns a permit. A waiter leaves the deque only when a releaser pops it, and popping it IS the
grant (for Lock: the lock stays locked and passes to the waiter). So a waiter that wakes up for
another reason (its timeout, a kill, a Timeout) checks whether it is still in the deque: if not, the
permit is its own, and if it is leaving with an exception it passes the permit on. No release is ever
lost to a dead waiter.

Interpreter shutdown: greenlet >= 3.5.1 makes ``greenlet.getcurrent()`` raise RuntimeError while the
interpreter finalizes, and finalizers (logging's weakref callbacks) still take locks. Then a lock that
would have to wait gives up instead (acquire() returns False) and RLock treats the caller as the owner,
so shutdown never crashes or hangs in a lock.
"""

from collections import deque
from _thread import allocate_lock as _os_lock
from threading import TIMEOUT_MAX

from fasthub.core._greenthread import getcurrent
from fasthub.core._hub import Waiter, get_hub, monotonic
from fasthub.sync.event import _greenlet_unavailable

__all__ = ["Semaphore", "BoundedSemaphore", "Lock", "RLock", "Condition"]


def _remove(waiters, w):
    """Remove ``w`` from ``waiters``; False if it was no longer there (a waker took it)."""
    try:
        waiters.remove(w)
    except ValueError:
        return False
    return True


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
        self._waiters = deque()
        self._mutex = _os_lock()

    # -- acquiring ----------------------------------------------------------------------------------

    def acquire(self, blocking=True, timeout=None):
        """Take a permit; return True. If none is free, block the calling green thread until one is
        released (FIFO), at most ``timeout`` seconds; return False if it gave up (or at once with
        ``blocking=False``). Exceptions thrown into the waiting green thread propagate."""
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        m = self._mutex
        m.acquire()
        try:
            if self._value > 0 and not self._waiters:
                self._value -= 1
                return True
        finally:
            m.release()
        if not blocking:
            return False
        if timeout is not None and timeout <= 0:
            return False
        return self._wait(timeout)

    __enter__ = acquire

    def _wait(self, timeout):
        # Slow path: queue a Waiter and park until a release grants us the permit (or timeout).
        try:
            hub = get_hub()
        except RuntimeError:
            return False  # interpreter shutdown: cannot wait (see the module docstring)
        w = Waiter(hub)
        m = self._mutex
        m.acquire()
        try:
            if self._value > 0 and not self._waiters:
                self._value -= 1
                return True
            self._waiters.append(w)
        finally:
            m.release()
        t = None if timeout is None else hub.timers.schedule(monotonic() + timeout, w, None)
        try:
            granted = w.get()
        except BaseException as e:
            if t is not None:
                t.cancel()
            self._abandon(w)
            if isinstance(e, RuntimeError) and _greenlet_unavailable():
                return False
            raise
        if granted:
            if t is not None:
                t.cancel()
            return True
        # The timer fired. A releaser in another OS thread may have granted us the permit meanwhile:
        # if we are no longer queued, the permit is ours.
        m.acquire()
        try:
            return not _remove(self._waiters, w)
        finally:
            m.release()

    def _abandon(self, w):
        # Leaving with an exception: unqueue, or pass on a permit granted to us in the meantime.
        m = self._mutex
        m.acquire()
        try:
            if not _remove(self._waiters, w):
                self._release_locked()
        finally:
            m.release()

    # -- releasing ----------------------------------------------------------------------------------

    def _release_locked(self):
        # Hand the permit to the first waiter still alive, else put it back. Mutex held.
        waiters = self._waiters
        while waiters:
            w = waiters.popleft()
            try:
                w.switch(True)
                return
            except RuntimeError:
                continue  # that waiter's hub is destroyed (its OS thread ended)
        self._value += 1

    def release(self, n=1):
        """Give back ``n`` permits, waking that many waiters (FIFO). Never blocks."""
        if n < 1:
            raise ValueError("n must be one or more")
        m = self._mutex
        m.acquire()
        try:
            if n == 1 and not self._waiters:
                self._value += 1
            else:
                for _ in range(n):
                    self._release_locked()
        finally:
            m.release()

    def __exit__(self, typ, value, tb):
        self.release()

    def _adjust(self, delta):
        # For GreenPool.resize(): add (or take away, possibly going below zero) ``delta`` permits.
        m = self._mutex
        m.acquire()
        try:
            self._value += delta
            while self._value > 0 and self._waiters:
                self._value -= 1
                self._release_locked()
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

    def release(self, n=1):
        """Give back ``n`` permits; ValueError if that is more than were taken."""
        if n < 1:
            raise ValueError("n must be one or more")
        m = self._mutex
        m.acquire()
        try:
            if self._value + n > self._initial:
                raise ValueError("Semaphore released too many times")
            for _ in range(n):
                self._release_locked()
        finally:
            m.release()


def _check_lock_timeout(blocking, timeout):
    # threading.Lock's argument rules.
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
    # and a newcomer cannot barge in. A waiter is only ever popped by a holder handing the lock over:
    # "popped" means "owns it". The release path re-checks for waiters after unlocking, to close the
    # race with a waiter of another OS thread that queued just before.
    __slots__ = ("_os", "_waiters", "__weakref__")

    def __init__(self):
        self._os = _os_lock()
        self._waiters = deque()

    def acquire(self, blocking=True, timeout=-1):
        """Take the lock; return True. If it is held, block the calling green thread until it is
        released to us (FIFO), at most ``timeout`` seconds (-1: no limit); return False if it gave up
        (at once with ``blocking=False``)."""
        if timeout != -1 or not blocking:
            timeout = _check_lock_timeout(blocking, timeout)
        else:
            timeout = None
        if self._os.acquire(False):
            return True
        if timeout == 0:
            return False
        return self._wait(timeout)

    __enter__ = acquire

    def _wait(self, timeout):
        try:
            hub = get_hub()
        except RuntimeError:
            return False  # interpreter shutdown: cannot wait (see the module docstring)
        w = Waiter(hub)
        waiters = self._waiters
        waiters.append(w)
        if self._os.acquire(False):
            # Released between our first try and the append (by another OS thread). Nobody handed
            # it to us: only a holder pops waiters, and the lock was free.
            _remove(waiters, w)
            return True
        t = None if timeout is None else hub.timers.schedule(monotonic() + timeout, w, None)
        try:
            granted = w.get()
        except BaseException as e:
            if t is not None:
                t.cancel()
            if not _remove(waiters, w):
                self._hand_over()  # it was handed to us meanwhile: pass it on
            if isinstance(e, RuntimeError) and _greenlet_unavailable():
                return False
            raise
        if granted:
            if t is not None:
                t.cancel()
            return True
        # The timer fired; if a releaser popped us meanwhile (another OS thread), the lock is ours.
        return not _remove(waiters, w)

    def release(self):
        """Release the lock, handing it to the first waiter if any. RuntimeError if it is not held."""
        if self._waiters:
            if not self._os.locked():
                raise RuntimeError("release unlocked lock")
            self._hand_over()
            return
        self._os.release()  # raises RuntimeError if not held
        if self._waiters:
            self._retake_for_waiters()

    def _hand_over(self):
        # Called holding the lock: give it to the first waiter whose hub still exists, else unlock.
        waiters = self._waiters
        while True:
            try:
                w = waiters.popleft()
            except IndexError:
                break
            try:
                w.switch(True)
                return
            except RuntimeError:
                continue  # that waiter's OS thread ended and destroyed its hub
        self._os.release()
        if waiters:
            self._retake_for_waiters()

    def _retake_for_waiters(self):
        # We unlocked but a waiter queued meanwhile (it may have missed the unlock): take the lock
        # back to hand it over, unless someone else took it (then their release will see the waiter).
        if self._os.acquire(False):
            self._hand_over()

    def __exit__(self, typ, value, tb):
        self.release()

    def locked(self):
        """True if the lock is held."""
        return self._os.locked()

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
        self._waiters = deque()

    def __repr__(self):
        state = "locked" if self._os.locked() else "unlocked"
        return f"<fasthub.{type(self).__name__} at {id(self):#x} {state} waiters={len(self._waiters)}>"


_FINALIZING = object()  # the caller's identity once greenlet can no longer tell us


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
            if self._waiters:
                self._hand_over()
            else:
                self._os.release()
                if self._waiters:
                    self._retake_for_waiters()

    def __exit__(self, typ, value, tb):
        self.release()

    def locked(self):
        """True if some green thread holds the lock."""
        return self._os.locked()

    def _is_owned(self):
        return self._owner is _me()

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
    Timeout) passes its notification to the next waiter, so none is lost.
    """

    def __init__(self, lock=None):
        if lock is None:
            lock = RLock()
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release
        self._waiters = deque()
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
        try:
            hub = get_hub()
        except RuntimeError:
            return False  # interpreter shutdown: cannot wait
        w = Waiter(hub)
        waiters = self._waiters
        waiters.append(w)
        saved = self._release_save()
        t = None
        if timeout is not None:
            t = hub.timers.schedule(monotonic() + max(timeout, 0.0), w, None)
        try:
            notified = w.get()
        except BaseException as e:
            if t is not None:
                t.cancel()
            lost_notification = not _remove(waiters, w)
            self._acquire_restore(saved)
            if lost_notification:
                self._notify(1)
            if isinstance(e, RuntimeError) and _greenlet_unavailable():
                return False  # interpreter shutdown: cannot wait
            raise
        if notified is None:  # timed out, unless a notify() took us meanwhile (other OS thread)
            notified = not _remove(waiters, w)
        elif t is not None:
            t.cancel()
        self._acquire_restore(saved)
        return bool(notified)

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
        while n > 0:
            try:
                w = waiters.popleft()
            except IndexError:
                return
            try:
                w.switch(True)
            except RuntimeError:
                continue  # its hub is gone
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
        self._notify(len(self._waiters))

    def __repr__(self):
        return f"<fasthub.Condition({self._lock!r}, waiters={len(self._waiters)})>"
