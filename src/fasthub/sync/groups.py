"""Task groups: green threads with an owner that waits for them and cancels them.

asyncio.TaskGroup and trio's nurseries were the model::

    with fasthub.TaskGroup() as tg:
        tg.spawn(fetch, "a")
        tg.spawn(fetch, "b")
    # here both have finished

Leaving the ``with`` block waits for every child. The first child that fails (raises anything but a
cancellation) cancels the group: the body and the other children get ``fasthub.Cancelled`` at their
next blocking call (or where they are parked), unwind, and the block then raises an ExceptionGroup
holding every failure (the body's own exception too, if it raised one). ``tg.cancel()`` cancels the
group without a failure: the block then ends quietly. The group is a cancel scope
(fasthub.core._cancel) that the children start inside, so groups nest, a cancel scope around the
block (``move_on_after`` ...) cancels the children too, and a shielded scope inside a child protects
it. While the block waits for its children it cannot itself be cancelled: the children always finish
before the block ends (a cancellation from outside reaches them and is raised again afterwards).

The children are ordinary green threads (``spawn()`` returns their GreenThread), listed in
``tg.children`` and, with the group they belong to, in ``fasthub.stats()`` and ``python -m fasthub
top``. A kill (GreenletExit) ends a child without counting as a failure.

(The exception groups are the builtin ones from CPython 3.11, and the ``exceptiongroup`` backport's
on 3.10.)
"""

import sys

from greenlet import GreenletExit

from fasthub.core._cancel import (
    CancelScope, Cancelled, _attach_child, _detach_child, _raise_if_cancelled, checkpoint_if_cancelled,
)
from fasthub.core._greenthread import spawn
from fasthub.sync.event import Event
from fasthub.sync.timeout import Timeout

if sys.version_info >= (3, 11):
    BaseExceptionGroup = BaseExceptionGroup  # noqa: F821,PLW0127  (builtins, named here for 3.10)
    ExceptionGroup = ExceptionGroup  # noqa: F821,PLW0127
else:  # pragma: no cover - exercised by the 3.10 runs
    from exceptiongroup import BaseExceptionGroup, ExceptionGroup

__all__ = ["TaskGroup", "ExceptionGroup", "BaseExceptionGroup"]

# Exceptions that interrupt the owner from outside (a kill, a fasthub.Timeout): the block cancels
# its children, waits for them, and lets the interruption go on as it came.
_INTERRUPTIONS = (GreenletExit, Timeout)


class TaskGroup:
    """Spawn green threads that the ``with`` block waits for and cancels together (see the module
    docstring). ``name`` labels the group in tools."""

    def __init__(self, name=None):
        self.name = name
        self._scope = CancelScope()
        self._scope.owner = self
        self._children = []
        self._failures = []
        self._idle = Event()
        self._idle.set()
        self._state = "new"   # new -> active -> closing (waiting for children) -> done

    # -- the block ----------------------------------------------------------------------------------

    def __enter__(self):
        if self._state != "new":
            raise RuntimeError("fasthub: a TaskGroup is used for one `with` block; make a new one")
        self._scope.__enter__()
        self._state = "active"
        return self

    def __exit__(self, typ, exc, tb):
        interrupted = isinstance(exc, _INTERRUPTIONS)
        if exc is not None and not isinstance(exc, Cancelled):
            if not interrupted:
                self._failures.insert(0, exc)
            self._scope.cancel()
        self._state = "closing"
        # Wait for every child, shielded: the block never ends before its children. A cancellation
        # from outside still reaches them through the group's scope.
        with CancelScope(shield=True):
            while self._children:
                self._idle.wait()
        self._state = "done"
        raised = None
        if exc is None:
            # Leaving the block is a checkpoint: a cancellation that reached the children from a
            # scope outside the group is raised here, for that scope to catch.
            try:
                checkpoint_if_cancelled()
            except Cancelled as e:
                raised = typ, exc, tb = Cancelled, e, e.__traceback__
        swallowed = self._scope.__exit__(typ, exc, tb)   # the group's own Cancelled ends here
        failures, self._failures = self._failures, []
        if failures:
            cls = ExceptionGroup if all(isinstance(e, Exception) for e in failures) else BaseExceptionGroup
            raise cls(f"fasthub.TaskGroup{'' if self.name is None else ' ' + repr(self.name)}: "
                      f"{len(failures)} failure(s)", failures)
        if raised is not None and not swallowed:
            raise exc
        return swallowed

    # -- children -----------------------------------------------------------------------------------

    def spawn(self, fn, *args, **kwargs):
        """Run ``fn(*args, **kwargs)`` as a child green thread of the group; returns its
        GreenThread. Callable from the body or from a child, while the group is open. RuntimeError
        outside the block."""
        if self._state not in ("active", "closing"):
            raise RuntimeError("fasthub: TaskGroup.spawn() needs the group's `with` block to be "
                               "running (spawn inside `with fasthub.TaskGroup() as tg:`)")
        gt = spawn(self._run, fn, args, kwargs)
        gt.name = getattr(fn, "__qualname__", None) or repr(fn)   # tools name the child, not _run
        self._children.append(gt)
        self._idle.clear()
        gt.link(self._child_ended)   # also when killed before it started
        return gt

    def _child_ended(self, gt):
        self._children = [c for c in self._children if c is not gt]
        if not self._children:
            self._idle.set()

    def _run(self, fn, args, kwargs):
        state = _attach_child(self._scope)
        try:
            _raise_if_cancelled(state)   # a child spawned into a cancelled group never starts
            return fn(*args, **kwargs)
        except (Cancelled, GreenletExit):
            return None   # cancelled or killed: not a failure
        except BaseException as e:
            # Kept for the group, which raises it; not reported by the hub as an unhandled error.
            self._failures.append(e)
            self._scope.cancel()
            return None
        finally:
            _detach_child(state)

    @property
    def children(self):
        """The child green threads still running (or about to start)."""
        return list(self._children)

    def cancel(self):
        """Cancel the group: the body and every child get Cancelled at their next blocking call (or
        where they wait); the block then ends without raising for it. Idempotent."""
        self._scope.cancel()

    @property
    def cancel_called(self):
        """True once the group was cancelled (by cancel(), a failure, or a scope around it)."""
        return self._scope.cancel_called

    def __repr__(self):
        name = "" if self.name is None else f" {self.name!r}"
        return f"<fasthub TaskGroup{name} {self._state} children={len(self._children)}>"
