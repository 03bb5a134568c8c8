"""Green ``_thread``: locks, thread identity, thread starts and local storage for green threads.

``monkey_patch(thread=True)`` puts these names into the stdlib ``_thread`` and ``threading``
modules, so that ``threading.Thread`` runs as a green thread and ``threading.Lock`` parks the green
thread instead of the OS thread. Everything else in ``threading`` (Condition, Event, Semaphore,
Barrier, Timer) is built by CPython on these primitives and so becomes green as well.

Design notes:

- One lock implementation: the green ``LockType`` and ``RLock`` are fasthub's own Lock and RLock
  (fasthub.sync.locks) under CPython's names, aliases and reprs: FIFO hand-over, waits on the
  compiled wait list, usable from several OS threads at once (a lock shared with a tpool worker or a
  logging handler parks a waiting real thread in that thread's own hub). While the interpreter
  finalizes, greenlets can no longer switch and no other thread runs, so nothing could release a
  held lock or end a green thread: a finalizer's (``__del__``) acquire that would wait gives up
  (returns False) and a join returns at once.
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
from operator import index as _index
from types import SimpleNamespace
from weakref import WeakKeyDictionary

from greenlet import GreenletExit

from fasthub.core._greenthread import GreenThread, getcurrent as _fh_getcurrent, spawn as _spawn
from fasthub.core._hub import monotonic
from fasthub.core._waitlist import ParkTimeout, WaitList
from fasthub.core.originals import get_original, original_attrs
from fasthub.green._stdlib_like import like
from fasthub.sync import locks as _locks

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

class LockType(_locks.Lock):
    """A green, non-reentrant lock (what ``threading.Lock()`` returns after patching): fasthub's Lock.

    acquire() parks the calling green thread (not the OS thread) while another holds it; any green
    thread or OS thread may release it; waiters get it in FIFO order. Same API and errors as
    CPython's lock, whose old aliases (acquire_lock ...) and repr it has too.
    """

    __slots__ = ()

    def __new__(cls):
        # Like CPython's lock type: before 3.13 only allocate_lock() makes locks. (Subclasses are
        # refused, as CPython's, by like() below.)
        if not _PY313:
            raise TypeError(f"cannot create '{cls.__module__}.{cls.__name__}' instances")
        return object.__new__(cls)

    # Old aliases kept by CPython's lock type.
    acquire_lock = _locks.Lock.acquire
    release_lock = _locks.Lock.release
    locked_lock = _locks.Lock.locked

    def __repr__(self):
        state = "locked" if self.locked() else "unlocked"
        cls = type(self)
        return f"<{state} {cls.__module__}.{cls.__qualname__} object at {id(self):#x}>"


LockType = like(_real_lock_type)(LockType)


def allocate_lock():
    """A new green lock (``threading.Lock()``)."""
    lock = object.__new__(LockType)
    _locks.Lock.__init__(lock)
    return lock


_allocate_lock = allocate_lock  # fasthub's own calls skip the builtin-like wrapper
allocate = like(get_original("_thread", "allocate"))(allocate_lock)
allocate_lock = like(_real_allocate_lock)(allocate_lock)


class RLock(_locks.RLock):
    """A green reentrant lock (what ``threading.RLock()`` returns after patching): fasthub's RLock.

    The owner is the green thread that acquired it; it may acquire it again and must release it as
    many times. Supports threading.Condition (_is_owned, _release_save, _acquire_restore).
    """

    __slots__ = ()

    def __init__(self, *args, **kwargs):
        # CPython's RLock() ignores its arguments too.
        _locks.RLock.__init__(self)

    def __repr__(self):
        # CPython's, with the owner as get_ident() would give it.
        owner = self._owner
        try:
            mine = owner is _fh_getcurrent()
        except RuntimeError:  # interpreter finalization
            mine = False
        if owner is None:
            ident = 0
        elif mine:
            ident = _get_ident()
        else:
            ident = id(owner)   # (a root greenlet's OS-thread ident is known only in that thread)
        state = "locked" if self.locked() else "unlocked"
        cls = type(self)
        return (f"<{state} {cls.__module__}.{cls.__qualname__} object owner={ident} "
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
        self._waiters = WaitList()

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
        self._waiters.unpark_all()

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
            self._waiters.park(None if timeout is None else monotonic() + timeout, self.is_done,
                               None, False, self)
        except ParkTimeout:
            pass  # timed out, or the interpreter is finalizing: the thread can never end now (see top)

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
            handle._waiters = WaitList()
    _non_daemon_handles.clear()


if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_after_fork_in_child)


# Everything else (stack_size, interrupt_main, get_native_id, ...) is the real _thread's.
for _name, _value in original_attrs("_thread").items():
    if _name not in globals() and not _name.startswith("__"):
        globals()[_name] = _value
del _name, _value
