"""Green ``_thread``: locks, thread identity, thread starts and local storage for green threads.

``monkey_patch(thread=True)`` puts these names into the stdlib ``_thread`` and ``threading``
modules, so that ``threading.Thread`` runs as a green thread and ``threading.Lock`` parks the green
thread instead of the OS thread. Everything else in ``threading`` (Condition, Event, Semaphore,
Barrier, Timer) is built by CPython on these primitives and so becomes green as well.

Design notes:

- A green lock is a real lock used without blocking, plus a queue of fasthub Waiters. ``acquire``
  tries the real lock; if it is held, it parks on a Waiter until ``release`` hands it a wake-up,
  then tries again. Waiters are woken cross-thread safely, so a green lock may be shared with real
  OS threads (a tpool worker, a logging handler) and waiting in such a thread parks in that
  thread's own hub. While the interpreter finalizes, greenlets can no longer switch and no other
  thread runs, so nothing could release a held lock or end a green thread: a finalizer's (``__del__``)
  acquire that would wait gives up (returns False) and a join returns at once, as fasthub.locks does.
- Identity: ``get_ident()`` is ``id()`` of the running GreenThread (or raw greenlet); in the root
  greenlet of an OS thread it is the OS thread's own ident, so ``threading.main_thread()`` and threads
  started before patching keep their identity.
- Green ``local`` keys its storage by the running green thread and drops it when that green thread
  ends (no leak per connection).
- CPython 3.13 replaced ``start_new_thread``/``_set_sentinel`` with ``start_joinable_thread`` and
  ``_ThreadHandle``; both families live here, the 3.13 one in the section at the end of the file.
"""

import os as _os
import sys
import traceback
from collections import deque
from operator import index as _index
from types import SimpleNamespace
from weakref import WeakKeyDictionary

from greenlet import GreenletExit, getcurrent as _raw_getcurrent

from fasthub.core._greenthread import GreenThread, getcurrent as _fh_getcurrent, spawn as _spawn
from fasthub.core._hub import Waiter, get_hub
from fasthub.core.originals import get_original, original_attrs
from fasthub.green._stdlib_like import like

_real_allocate_lock = get_original("_thread", "allocate_lock")
_real_get_ident = get_original("_thread", "get_ident")
_real_count = get_original("_thread", "_count")
_real_lock_type = get_original("_thread", "LockType")

error = get_original("_thread", "error")
TIMEOUT_MAX = get_original("_thread", "TIMEOUT_MAX")

_PY313 = sys.version_info >= (3, 13)


# --- identity ----------------------------------------------------------------------------------------

def get_ident():
    """The identity of the running green thread (an int, unique among live threads and green threads).

    In the root greenlet of an OS thread (the main thread, a thread started before patching) it is the
    OS thread's ident, so threading.main_thread() keeps its identity after patching."""
    try:
        cur = _fh_getcurrent()
    except Exception:  # greenlet refuses during interpreter teardown: only the OS thread is left
        return _real_get_ident()
    if type(cur) is GreenThread:
        return id(cur)
    if cur.parent is None:
        return _real_get_ident()
    return id(cur)


_get_ident = get_ident  # fasthub's own calls skip the builtin-like wrapper
get_ident = like(_real_get_ident)(get_ident)


# --- locks -------------------------------------------------------------------------------------------

def _check_acquire_args(blocking, timeout):
    # Same rules and messages as CPython's lock.acquire().
    if timeout is None:
        timeout = -1
    if not blocking:
        if timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return timeout
    if timeout < 0 and timeout != -1:
        raise ValueError("timeout value must be a non-negative number")
    if timeout > TIMEOUT_MAX:
        raise OverflowError("timeout value is too large")
    return timeout


def _park(lock, timeout):
    """Wait until ``lock`` (a LockType) can be taken, or ``timeout`` (-1: forever) passes."""
    try:
        hub = get_hub()
        _raw_getcurrent()
    except Exception:  # interpreter finalization: waiting could only time out or hang (see top)
        return lock._lock.acquire(False)
    real = lock._lock
    waiters = lock._waiters
    deadline = None if timeout < 0 else hub.now() + timeout
    first = True
    while True:
        w = Waiter(hub)
        if first:
            waiters.append(w)
        else:
            # Woken but beaten to the lock by another thread: keep our place at the front.
            waiters.appendleft(w)
        first = False
        timer = None
        woken = None
        try:
            # The holder may have released between our first try and the append above.
            if real.acquire(False):
                return True
            if deadline is not None:
                if deadline <= hub.now():
                    return False
                timer = hub.timers.schedule(deadline, w, None)
            woken = w.get()
        finally:
            if timer is not None:
                timer.cancel()
            if woken is not True:
                # Timed out or interrupted: we are still queued, unless a release popped us at the
                # same moment; then pass that wake-up on so it is not lost.
                try:
                    waiters.remove(w)
                except ValueError:
                    if not real.locked():
                        _wake_one(waiters)
        if real.acquire(False):
            return True
        if deadline is not None and hub.now() >= deadline:
            if not real.locked():
                _wake_one(waiters)
            return False


def _wake_one(waiters):
    while waiters:
        try:
            w = waiters.popleft()
        except IndexError:
            return
        if not w.ready:
            w.switch(True)
            return


class LockType:
    """A green, non-reentrant lock (what ``threading.Lock()`` returns after patching).

    acquire() parks the calling green thread (not the OS thread) while another holds it; any green
    thread or OS thread may release it. Same API and errors as CPython's lock.
    """

    __slots__ = ("_lock", "_waiters", "__weakref__")

    def __new__(cls):
        # Like CPython's lock type: before 3.13 only allocate_lock() makes locks. (Subclasses are
        # refused, as CPython's, by like() below.)
        if not _PY313:
            raise TypeError(f"cannot create '{cls.__module__}.{cls.__name__}' instances")
        return object.__new__(cls)

    def __init__(self):
        self._lock = _real_allocate_lock()
        self._waiters = deque()

    def acquire(self, blocking=True, timeout=-1):
        """Take the lock; blocks (parks the green thread) until it is free, or ``timeout`` seconds.
        Returns True if taken. Raises ValueError/OverflowError on bad arguments, like CPython."""
        if timeout != -1 or not blocking:
            timeout = _check_acquire_args(blocking, timeout)
        if self._lock.acquire(False):
            return True
        if not blocking:
            return False
        return _park(self, timeout)

    def release(self):
        """Free the lock and wake one waiter. Raises RuntimeError if it is not locked."""
        self._lock.release()
        if self._waiters:
            _wake_one(self._waiters)

    def locked(self):
        """True if some thread or green thread holds the lock."""
        return self._lock.locked()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def _at_fork_reinit(self):
        # After fork() in the child: a fresh, unlocked lock with no waiters (they were in the parent).
        self._lock = _real_allocate_lock()
        self._waiters = deque()

    # Old aliases kept by CPython's lock type.
    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __repr__(self):
        state = "locked" if self._lock.locked() else "unlocked"
        cls = type(self)
        return f"<{state} {cls.__module__}.{cls.__qualname__} object at {id(self):#x}>"


LockType = like(_real_lock_type)(LockType)


def allocate_lock():
    """A new green lock (``threading.Lock()``)."""
    lock = object.__new__(LockType)
    lock._lock = _real_allocate_lock()
    lock._waiters = deque()
    return lock


_allocate_lock = allocate_lock  # fasthub's own calls skip the builtin-like wrapper
allocate = like(get_original("_thread", "allocate"))(allocate_lock)
allocate_lock = like(_real_allocate_lock)(allocate_lock)


class RLock:
    """A green reentrant lock (what ``threading.RLock()`` returns after patching).

    The owner is the green thread that acquired it (see get_ident()); it may acquire it again and
    must release it as many times. Supports threading.Condition (_is_owned, _release_save,
    _acquire_restore).
    """

    __slots__ = ("_block", "_owner", "_count", "__weakref__")

    def __init__(self, *args, **kwargs):
        self._block = _allocate_lock()
        self._owner = None
        self._count = 0

    def acquire(self, blocking=True, timeout=-1):
        """Take the lock, or count one more level if the caller holds it already; parks while
        another green thread holds it. Returns True if taken."""
        me = _get_ident()
        if self._owner == me:
            self._count += 1
            return True
        if not self._block.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True

    __enter__ = acquire

    def release(self):
        """Undo one acquire(); the lock is freed at the last one. Raises RuntimeError if the caller
        does not hold it."""
        if self._owner != _get_ident() or self._count == 0:
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._owner = None
            self._block.release()

    def __exit__(self, *exc):
        self.release()

    def locked(self):
        """True if some green thread holds the lock."""
        return self._block.locked()

    def _is_owned(self):
        return self._count > 0 and self._owner == _get_ident()

    def _recursion_count(self):
        return self._count if self._owner == _get_ident() else 0

    def _release_save(self):
        if self._count == 0:
            raise RuntimeError("cannot release un-acquired lock")
        state = (self._count, self._owner)
        self._count = 0
        self._owner = None
        self._block.release()
        return state

    def _acquire_restore(self, state):
        self._block.acquire()
        self._count, self._owner = state

    def _at_fork_reinit(self):
        self._block._at_fork_reinit()
        self._owner = None
        self._count = 0

    def __repr__(self):
        state = "locked" if self._block.locked() else "unlocked"
        cls = type(self)
        return (f"<{state} {cls.__module__}.{cls.__qualname__} object owner={self._owner or 0} "
                f"count={self._count} at {id(self):#x}>")


RLock = like(get_original("_thread", "RLock"))(RLock)


# --- starting green threads --------------------------------------------------------------------------

_green_count = 0


def _report_unraisable(exc, function):
    # What CPython does for an exception escaping a thread started with start_new_thread(): 3.13
    # names the function in the message instead of passing it as the object.
    if _PY313:
        err_msg, obj = f"Exception ignored in thread started by {function!r}", None
    else:
        err_msg, obj = "Exception ignored in thread started by", function
    hook = sys.unraisablehook
    if hook is not sys.__unraisablehook__:
        hook(SimpleNamespace(exc_type=type(exc), exc_value=exc, exc_traceback=exc.__traceback__,
                             err_msg=err_msg, object=obj))
        return
    try:
        sys.stderr.write(f"{err_msg}: {obj!r}\n" if obj is not None else f"{err_msg}:\n")
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    except Exception:
        pass


def _run_thread(function, args, kwargs, handle):
    global _green_count
    try:
        function(*args, **kwargs)
    except (SystemExit, GreenletExit):
        pass
    except BaseException as e:
        _report_unraisable(e, function)
    finally:
        _green_count -= 1
        if handle is not None:
            handle._finish()


def _start(function, args, kwargs, handle):
    global _green_count
    if not callable(function):
        raise TypeError("first arg must be callable")
    if not isinstance(args, tuple):
        raise TypeError("2nd arg must be a tuple")
    if not isinstance(kwargs, dict):
        raise TypeError("optional 3rd arg must be a dictionary")
    gt = _spawn(_run_thread, function, args, kwargs, handle)
    _green_count += 1
    return gt


_NO_KWARGS = {}  # never changed: the function is called with **kwargs


def start_new_thread(function, args, kwargs=_NO_KWARGS, /):
    """Run ``function(*args, **kwargs)`` in a new green thread; return its ident (see get_ident()).

    Like CPython: SystemExit ends it quietly, any other exception is reported through
    sys.unraisablehook. Returns at once; the green thread runs when the caller next waits."""
    return id(_start(function, args, kwargs, None))


start_new = like(get_original("_thread", "start_new"))(start_new_thread)
start_new_thread = like(get_original("_thread", "start_new_thread"))(start_new_thread)


@like(_real_count)
def _count():
    """Threads and green threads started through this module that are still running. fasthub's own
    OS threads (the tpool workers) are not counted: they are infrastructure, like the hub."""
    return _green_count + max(_real_count() - len(_internal_thread_idents()), 0)


def _internal_thread_idents():
    # fasthub's own OS threads (tpool workers, the monitor), as registered with the hub.
    from fasthub.core import _hub
    return _hub.internal_threads()


# --- green-local storage -----------------------------------------------------------------------------

_MISSING = object()
_TEARDOWN = object()


def _class_attr(cls, name):
    for base in cls.__mro__:
        d = base.__dict__
        if name in d:
            return d[name]
    return _MISSING


class _LocalState:
    # The per-green-thread dicts of one local object.
    __slots__ = ("args", "kwargs", "by_task", "by_greenlet", "__weakref__")

    def __init__(self, args, kwargs):
        self.args = args
        self.kwargs = kwargs
        self.by_task = {}                      # GreenThread -> dict, dropped when it ends
        self.by_greenlet = WeakKeyDictionary()  # raw greenlet -> dict

    def drop(self, gt):
        self.by_task.pop(gt, None)

    def dict_for(self, owner, create_init):
        try:
            cur = _fh_getcurrent()
        except Exception:  # interpreter teardown: greenlet is gone, one dict for what is left
            cur = _TEARDOWN
        if type(cur) is GreenThread or cur is _TEARDOWN:
            d = self.by_task.get(cur)
            if d is None:
                d = self.by_task[cur] = {}
                if cur is not _TEARDOWN:
                    cur.link(_drop_local, self)
                self._init(owner, create_init)
            return d
        d = self.by_greenlet.get(cur)
        if d is None:
            d = self.by_greenlet[cur] = {}
            self._init(owner, create_init)
        return d

    def _init(self, owner, create_init):
        if create_init:
            init = type(owner).__init__
            if init is not object.__init__:
                init(owner, *self.args, **self.kwargs)


def _drop_local(gt, state):
    state.drop(gt)


_getattribute = object.__getattribute__


class _local:
    """Green-local storage (``threading.local`` after patching): each green thread sees its own
    attributes. A subclass ``__init__`` runs once per green thread, with the construction arguments,
    on that green thread's first access. A green thread's values are dropped when it ends."""

    __slots__ = ("_fh_local", "__weakref__")

    def __new__(cls, *args, **kwargs):
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = object.__new__(cls)
        state = _LocalState(args, kwargs)
        object.__setattr__(self, "_fh_local", state)
        state.dict_for(self, False)  # the creator's dict; Python calls __init__ for it next
        return self

    def __getattribute__(self, name):
        d = _getattribute(self, "_fh_local").dict_for(self, True)
        if name == "__dict__":
            return d
        cls = type(self)
        attr = _class_attr(cls, name)
        if attr is not _MISSING:
            tp = type(attr)
            if hasattr(tp, "__get__") and (hasattr(tp, "__set__") or hasattr(tp, "__delete__")):
                return tp.__get__(attr, self, cls)
        try:
            return d[name]
        except KeyError:
            pass
        if attr is not _MISSING:
            get = getattr(type(attr), "__get__", None)
            return attr if get is None else get(attr, self, cls)
        raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        d = _getattribute(self, "_fh_local").dict_for(self, True)
        attr = _class_attr(type(self), name)
        if attr is not _MISSING and hasattr(type(attr), "__set__"):
            type(attr).__set__(attr, self, value)
            return
        d[name] = value

    def __delattr__(self, name):
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        d = _getattribute(self, "_fh_local").dict_for(self, True)
        attr = _class_attr(type(self), name)
        if attr is not _MISSING and hasattr(type(attr), "__delete__"):
            type(attr).__delete__(attr, self)
            return
        try:
            del d[name]
        except KeyError:
            raise AttributeError(name) from None


_local = like(get_original("_thread", "_local"), signature=True)(_local)


# --- helpers that bind these primitives into a threading module (used by the patcher and by
# --- fasthub.green.threading) -----------------------------------------------------------------------

def current_thread_for(threading_module):
    """Build ``current_thread()`` for ``threading_module``: like CPython's, but the dummy Thread made
    for a green thread not started by threading is forgotten when that green thread ends (CPython
    3.10-3.12 would keep one per green thread forever: a leak per connection in a server)."""
    g = vars(threading_module)
    active = g["_active"]

    def current_thread():
        """The Thread object of the calling green thread (a dummy one if threading did not start it)."""
        try:
            return active[_get_ident()]
        except KeyError:
            pass
        dummy = g["_DummyThread"]()
        cur = _fh_getcurrent()
        if type(cur) is GreenThread:
            cur.link(_forget_dummy, g, dummy.ident, dummy)
        return dummy

    current_thread.__qualname__ = current_thread.__name__ = "current_thread"
    current_thread.__module__ = threading_module.__name__
    return current_thread


def _forget_dummy(gt, g, ident, dummy):
    with g["_active_limbo_lock"]:
        if g["_active"].get(ident) is dummy:
            del g["_active"][ident]
    handle = getattr(dummy, "_handle", None)
    if isinstance(handle, _ThreadHandle313):
        handle._finish()


def local_for(threading_module):
    """A green local() for ``threading_module._thread_local_info`` (3.13 tracks dummy threads in it)."""
    return _local()


# === Version-specific code: everything that differs between CPython versions is below. ============
# (Besides LockType.__new__, which refuses direct instantiation before 3.13 like CPython's lock.)

# What threading.Lock is: a factory before 3.13, the lock class since.
threading_Lock = LockType if _PY313 else allocate_lock

# --- CPython 3.10-3.12: the thread-state lock ---------------------------------------------------------
# threading.Thread.join() waits on a lock the thread takes at start and that CPython releases when the
# thread state is deleted; for a green thread, when its GreenThread ends.

def _set_sentinel():
    """(CPython < 3.13) A lock the caller acquires and that is released when its green thread ends;
    threading.Thread.join() waits on it."""
    lock = _allocate_lock()
    cur = _fh_getcurrent()
    if type(cur) is GreenThread:
        cur.link(_release_sentinel, lock)
    return lock


if not _PY313:
    _set_sentinel = like(get_original("_thread", "_set_sentinel"))(_set_sentinel)


def _release_sentinel(gt, lock):
    if lock.locked():
        lock.release()


# --- CPython 3.13+: joinable thread handles ----------------------------------------------------------
# 3.13 starts threading.Thread with _thread.start_joinable_thread(fn, handle, daemon) and joins through
# the _ThreadHandle; threading._shutdown() calls _thread._shutdown() to wait for non-daemon threads.

_non_daemon_handles = set()
_NOT_STARTED, _RUNNING, _DONE = "not started", "running", "done"
_TIME_T_MAX = 9_223_372_036  # seconds in CPython's PyTime_t (int64 nanoseconds)


def _join_timeout(timeout):
    # CPython's conversion of a join() timeout: None, an int (or __index__) or a float; -1: forever.
    if timeout is None:
        return None
    if isinstance(timeout, float):
        if timeout != timeout:
            raise ValueError("Invalid value NaN (not a number)")
        if abs(timeout) > _TIME_T_MAX:
            raise OverflowError("timestamp out of range for platform time_t")
    else:
        timeout = _index(timeout)
        if abs(timeout) > _TIME_T_MAX:
            raise OverflowError("timestamp too large to convert to C PyTime_t")
    return None if timeout < 0 else timeout


class _ThreadHandle313:
    """(CPython 3.13+) The join handle of a green thread started by start_joinable_thread(), or of a
    running thread (_make_thread_handle()). As CPython's: a new handle is not started (ident 0;
    join() and _set_done() raise RuntimeError) and start_joinable_thread() takes it once."""

    __slots__ = ("_ident", "_state", "_waiters")

    def __init__(self, *args, **kwargs):
        # CPython's _ThreadHandle() ignores its arguments too.
        self._ident = 0
        self._state = _NOT_STARTED
        self._waiters = []

    @property
    def ident(self):
        """The thread's identity (get_ident() in it); 0 until started."""
        return self._ident

    def is_done(self):
        """True once the thread has ended."""
        return self._state == _DONE

    def _set_done(self):
        """Mark the thread ended and wake the joiners (RuntimeError if it never started)."""
        if self._state == _NOT_STARTED:
            raise RuntimeError("thread not started")
        self._finish()

    def _finish(self):
        self._state = _DONE
        _non_daemon_handles.discard(self)
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            w.switch(None)

    def join(self, timeout=None):
        """Wait until the thread ends, or ``timeout`` seconds (None or negative: no limit).
        RuntimeError if it was never started, or if it is the calling thread."""
        timeout = _join_timeout(timeout)
        if self._state == _NOT_STARTED:
            raise RuntimeError("thread not started")
        if self._state == _DONE:
            return
        if self._ident == _get_ident():
            raise RuntimeError("Cannot join current thread")
        try:
            _raw_getcurrent()
        except RuntimeError:   # interpreter finalization: the thread can never end now (see top)
            return
        hub = get_hub()
        w = Waiter(hub)
        self._waiters.append(w)
        timer = None
        try:
            if timeout is not None:
                timer = hub.timers.schedule(hub.now() + timeout, w, None)
            w.get()
        finally:
            if timer is not None:
                timer.cancel()
            try:
                self._waiters.remove(w)
            except ValueError:
                pass

    def __repr__(self):
        cls = type(self)
        return f"<{cls.__module__}.{cls.__qualname__} object: ident={self._ident}>"


if _PY313:
    _ThreadHandle = like(get_original("_thread", "_ThreadHandle"))(_ThreadHandle313)
    _real_start_joinable_thread = get_original("_thread", "start_joinable_thread")
    _real_shutdown = get_original("_thread", "_shutdown")
    _RealThreadHandle = get_original("_thread", "_ThreadHandle")
    lock = LockType

    @like(_real_start_joinable_thread)
    def start_joinable_thread(function, handle=None, daemon=True):
        """(3.13+) Start ``function()`` in a green thread; return its _ThreadHandle (``handle`` if
        given: a new one, RuntimeError if it was started already)."""
        if not callable(function):
            raise TypeError("thread function must be callable")
        if handle is None:
            handle = _ThreadHandle()
        elif isinstance(handle, _RealThreadHandle):
            # A Thread object made before monkey_patch() holds a real handle: give it a real thread.
            return _real_start_joinable_thread(function, handle=handle, daemon=daemon)
        elif not isinstance(handle, _ThreadHandle):
            raise TypeError("'handle' must be a _ThreadHandle")
        if handle._state != _NOT_STARTED:
            raise RuntimeError("thread already started")
        gt = _start(function, (), _NO_KWARGS, handle)
        handle._ident = id(gt)
        handle._state = _RUNNING
        if not daemon:
            _non_daemon_handles.add(handle)
        return handle

    @like(get_original("_thread", "_make_thread_handle"))
    def _make_thread_handle(ident, /):
        """(3.13+) A handle for an already running thread (the main thread, a dummy thread)."""
        if not isinstance(ident, int):
            raise TypeError("ident must be an integer")
        if ident < 0:
            raise OverflowError("can't convert negative int to unsigned")
        if ident >= 1 << 64:
            raise OverflowError("int too big to convert")
        handle = _ThreadHandle()
        handle._ident = int(ident)
        handle._state = _RUNNING
        return handle

    @like(_real_shutdown)
    def _shutdown():
        """(3.13+) Wait for every non-daemon green thread, then for real non-daemon threads."""
        while _non_daemon_handles:
            handle = next(iter(_non_daemon_handles))
            if handle._ident == _get_ident():
                _non_daemon_handles.discard(handle)
                continue
            handle.join()
        _real_shutdown()


def _after_fork_in_child():
    # Only the green thread that forked goes on in the child; the others' handles are done.
    global _green_count
    _green_count = 0
    for handle in list(_non_daemon_handles):
        if handle._ident != _get_ident():
            handle._state = _DONE
            handle._waiters = []
    _non_daemon_handles.clear()


if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_after_fork_in_child)


# Everything else (stack_size, interrupt_main, get_native_id, ...) is the real _thread's.
for _name, _value in original_attrs("_thread").items():
    if _name not in globals() and not _name.startswith("__"):
        globals()[_name] = _value
del _name, _value
