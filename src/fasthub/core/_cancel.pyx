# cython: language_level=3, boundscheck=False, wraparound=False
"""Cancel scopes: a deadline and a cancel flag over a block of code, honoured by every wait in it.

trio's cancel scopes were the model. ``with CancelScope(deadline=...) as scope:`` covers a block; once
the scope is cancelled (``scope.cancel()``, or its deadline passes) every blocking call inside it
raises ``Cancelled`` instead of waiting, and the green thread already parked in one is woken with it.
The exception unwinds to the scope's ``with``, which swallows it (``move_on_after``) or turns it into
TimeoutError (``fail_after``). Scopes nest: a cancelled outer scope cancels what runs in its inner
scopes, unless one of those is shielded (``shield=True``), which hides every scope outside it. A
task group's children start inside the group's scope, so cancelling the group (or any scope around
it) reaches them too.

Where it plugs in. Every wait in fasthub, fd waits, sleeps and wait lists alike, parks through
``Waiter.get()``. The hub keeps a dict ``scoped`` of the green threads that are inside at least one
scope; ``get()`` tests that dict for truth and, only when it is not empty, looks the parking green
thread up: so a program with no scope pays one dict test per park. A green thread inside scopes has a
ScopeState, which ``get()`` asks before parking (``before_park``: raise Cancelled if a scope it can
see is cancelled or past its deadline) and tells where it parks (``parked``), so that ``cancel()``
can throw into that Waiter. A deadline costs one timer per scope (armed on entry, cancelled on exit),
not one per wait.

The tree. Each scope knows its parent (the scope around it: in the same green thread, or the task
group scope a child started in), the scopes entered inside it (``_kids``) and the children started in
it (``_children``). ``cancel()`` walks that subtree, skipping shielded kids, and wakes each parked
green thread whose own view (its innermost scope, outward up to a shield) now sees a cancelled scope.
The exception names the OUTERMOST cancelled scope the green thread can see, so inner scopes let it
pass and the scope that owns the cancellation catches it.

Thread-affinity. A scope belongs to the hub of the green thread that entered it. cancel() from
another OS thread is handed to that hub (call_soon_threadsafe).
"""

cimport cython
from libc.math cimport INFINITY

from fasthub.core.includes.greenlet cimport greenlet, import_greenlet, PyGreenlet_GetCurrent
from fasthub.core.includes.poller cimport fh_monotonic
from fasthub.core._hub cimport CancelHook, Hub, Waiter, get_hub
from fasthub.core._timers cimport Timer

from fasthub.core._hub import BlockingInHubError

import_greenlet()

cdef extern from "pythread.h":
    unsigned long PyThread_get_thread_ident() nogil


class Cancelled(BaseException):
    """Raised by a blocking call inside a cancel scope that was cancelled or whose deadline passed.

    A BaseException (like GreenletExit and fasthub.Timeout), so ``except Exception`` does not swallow
    it: let it unwind to the scope that caught the cancellation (``scope`` is that scope), which
    absorbs it. Code that catches it must re-raise it.
    """

    def __init__(self, scope=None):
        BaseException.__init__(self, "fasthub: the cancel scope around this call was cancelled"
                                     if scope is None or not scope.deadline_passed else
                                     "fasthub: the deadline of the cancel scope around this call passed")
        self.scope = scope


cdef inline void _remove(list items, object item):
    # Scopes and children leave in about the reverse order they came: look from the end.
    cdef Py_ssize_t i = len(items) - 1
    while i >= 0:
        if items[i] is item:
            del items[i]
            return
        i -= 1


@cython.final
cdef class ScopeState(CancelHook):
    """The cancel scopes of one green thread (internal; see the module docstring)."""

    cdef CancelScope _target(self):
        # The outermost cancelled scope visible from the innermost one: walk outward and stop after a
        # shield. A scope whose deadline passed is cancelled here (its timer may not have run yet).
        cdef CancelScope s = self.scope
        cdef CancelScope target = None
        cdef double now = -1.0
        while s is not None:
            if not s._cancel_called and s._deadline != INFINITY:
                if now < 0:
                    now = fh_monotonic()
                if s._deadline <= now:
                    s._do_cancel()
            if s._cancel_called:
                target = s
            if s._shield:
                break
            s = s._parent
        return target

    cdef int before_park(self) except -1:
        cdef CancelScope target = self._target()
        if target is not None:
            raise Cancelled(target)
        return 0

    def scopes(self):
        """The green thread's scopes, innermost first (for tools)."""
        out = []
        s = self.scope
        while s is not None:
            out.append(s)
            s = s._parent
        return out


@cython.final
cdef class CancelScope:
    """A block whose blocking calls all stop, raising Cancelled, once it is cancelled.

    ``with CancelScope(deadline=None, shield=False) as scope: ...``. ``deadline``: a time on
    fasthub.monotonic()'s clock after which the scope cancels itself (None: never; settable while
    inside). ``shield``: hide cancellation of the scopes outside this one from the code inside it
    (settable). ``cancel()`` cancels it (from any green thread or OS thread, any number of times).
    The ``with`` swallows the Cancelled it caused; ``cancelled_caught`` then says so. A scope is
    entered once, and scopes are exited in the reverse order they were entered; entering one in a
    hub callback raises BlockingInHubError.
    """

    def __init__(self, deadline=None, shield=False):
        self._deadline = INFINITY if deadline is None else float(deadline)
        self._shield = bool(shield)
        self._kids = []
        self._children = []

    # -- properties ---------------------------------------------------------------------------------

    @property
    def deadline(self):
        """The deadline (fasthub.monotonic() seconds), or None. Settable while inside."""
        return None if self._deadline == INFINITY else self._deadline

    @deadline.setter
    def deadline(self, value):
        self._deadline = INFINITY if value is None else float(value)
        if self._entered and not self._exited:
            self._arm()

    @property
    def shield(self):
        """True if the scopes outside this one cannot cancel the code inside it. Settable."""
        return self._shield

    @shield.setter
    def shield(self, value):
        self._shield = bool(value)
        if not self._shield and self._entered and not self._exited:
            self._deliver()   # a cancelled scope outside may be visible now

    @property
    def cancel_called(self):
        """True once cancel() was called or the deadline passed."""
        return self._cancel_called

    @property
    def cancelled_caught(self):
        """True if the block ended with the Cancelled this scope caused (and swallowed)."""
        return self._cancelled_caught

    @property
    def deadline_passed(self):
        """True if the scope has a deadline and it has passed."""
        return self._deadline != INFINITY and self._deadline <= fh_monotonic()

    # -- cancelling ---------------------------------------------------------------------------------

    def cancel(self):
        """Cancel the scope: every blocking call inside it raises Cancelled (those parked now are
        woken). Idempotent; from another OS thread it is handed to the scope's hub."""
        if self._cancel_called:
            return
        if self._hub is not None and PyThread_get_thread_ident() != self._hub.thread_ident:
            self._hub.call_soon_threadsafe(self.cancel)
            return
        self._do_cancel()

    cdef int _do_cancel(self) except -1:
        self._cancel_called = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._entered and not self._exited:
            self._deliver()
        return 0

    cdef int _deliver(self) except -1:
        # Throw Cancelled into each green thread parked in this scope's subtree that can now see a
        # cancelled scope (see the module docstring).
        cdef list todo = [self]
        cdef list states = []
        cdef set seen = set()
        cdef CancelScope s, kid
        cdef ScopeState st
        cdef CancelScope target
        cdef Waiter w
        while todo:
            s = <CancelScope>todo.pop()
            if s._state is not None and id(s._state) not in seen:
                seen.add(id(s._state))
                states.append(s._state)
            for st in s._children:
                if id(st) not in seen:
                    seen.add(id(st))
                    states.append(st)
            for kid in s._kids:
                if not kid._shield:
                    todo.append(kid)
        for st in states:
            w = st.parked
            if w is not None and not w.done:
                target = st._target()
                if target is not None:
                    w.throw(Cancelled(target))
        return 0

    def _on_deadline(self):
        self._timer = None
        self.cancel()

    cdef int _arm(self) except -1:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._deadline != INFINITY and not self._cancel_called:
            self._timer = self._hub.timers.schedule(self._deadline, self._on_deadline, None)
        return 0

    # -- the block ----------------------------------------------------------------------------------

    def __enter__(self):
        cdef greenlet cur = PyGreenlet_GetCurrent()
        cdef Hub hub = get_hub()
        cdef ScopeState st
        if self._entered:
            raise RuntimeError("fasthub: a CancelScope can be entered only once; make a new one")
        if cur is hub:
            raise BlockingInHubError(
                "fasthub: a cancel scope cannot be entered in the hub (a callback, timer or link "
                "function); spawn() a green thread and use the scope there")
        st = hub.scoped.get(cur)
        if st is None:
            st = ScopeState.__new__(ScopeState)
            st.greenlet = cur
            st.hub = hub
            hub.scoped[cur] = st
        self._entered = True
        self._hub = hub
        self._state = st
        self._parent = st.scope
        if self._parent is not None:
            self._parent._kids.append(self)
        st.scope = self
        self._arm()
        return self

    def __exit__(self, typ, exc, tb):
        cdef ScopeState st = self._state
        if not self._entered or self._exited:
            raise RuntimeError("fasthub: this CancelScope is not active")
        if st.greenlet is not PyGreenlet_GetCurrent() or st.scope is not self:
            raise RuntimeError(
                "fasthub: cancel scopes must be exited in the green thread that entered them, in the "
                "reverse order they were entered")
        self._exited = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        st.scope = self._parent
        if self._parent is not None:
            _remove(self._parent._kids, self)
        if st.scope is None and st.hub.scoped.get(st.greenlet) is st:
            del st.hub.scoped[st.greenlet]
        if exc is not None and isinstance(exc, Cancelled) and (<object>exc).scope is self:
            self._cancelled_caught = True
            if self._fail:
                raise TimeoutError("fasthub: fail_after(): the deadline passed") from exc
            return True
        return False

    def __repr__(self):
        parts = []
        if self.owner is not None:
            parts.append(f"of {self.owner!r}")
        if self._deadline != INFINITY:
            parts.append(f"deadline in {self._deadline - fh_monotonic():.3f}s")
        if self._shield:
            parts.append("shielded")
        if self._cancel_called:
            parts.append("cancelled")
        state = "active" if self._entered and not self._exited else ("done" if self._exited else "new")
        return f"<fasthub CancelScope {state}{' ' if parts else ''}{' '.join(parts)} at {id(self):#x}>"


def move_on_after(seconds, shield=False):
    """A CancelScope that cancels itself ``seconds`` from now (None: never): the block is left
    silently when the time is up (check ``scope.cancelled_caught``)."""
    return CancelScope(None if seconds is None else fh_monotonic() + seconds, shield)


def fail_after(seconds, shield=False):
    """Like move_on_after(), but the block raises TimeoutError when the time is up."""
    cdef CancelScope scope = CancelScope(None if seconds is None else fh_monotonic() + seconds, shield)
    scope._fail = True
    return scope


# --- task group children ------------------------------------------------------------------------------

def _attach_child(CancelScope group):
    """Called first in a task group child's green thread: its scopes start inside ``group``'s.
    Returns the state to pass to _raise_if_cancelled() and _detach_child()."""
    cdef greenlet cur = PyGreenlet_GetCurrent()
    cdef Hub hub = get_hub()
    cdef ScopeState st = ScopeState.__new__(ScopeState)
    st.greenlet = cur
    st.hub = hub
    st.scope = group
    st.root = group
    hub.scoped[cur] = st
    group._children.append(st)
    return st


def _raise_if_cancelled(ScopeState st):
    """Raise Cancelled if a scope the green thread of ``st`` can see is cancelled (without waiting)."""
    st.before_park()


def _detach_child(ScopeState st):
    """Called last in a task group child's green thread."""
    if st.hub.scoped.get(st.greenlet) is st:
        del st.hub.scoped[st.greenlet]
    if st.root is not None:
        _remove(st.root._children, st)
    st.scope = None
    st.root = None


def checkpoint_if_cancelled():
    """Raise Cancelled if a cancel scope the calling green thread can see is cancelled (or past its
    deadline); otherwise return at once. Never waits."""
    cdef Hub hub = get_hub()
    cdef ScopeState st = hub.scoped.get(PyGreenlet_GetCurrent()) if hub.scoped else None
    if st is not None:
        st.before_park()


def current_scopes():
    """The calling green thread's cancel scopes, innermost first (empty outside any)."""
    cdef Hub hub = get_hub()
    cdef ScopeState st = hub.scoped.get(PyGreenlet_GetCurrent())
    return [] if st is None else st.scopes()
