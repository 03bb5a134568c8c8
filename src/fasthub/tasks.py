"""Deferred work with handles: calls scheduled for later, and graphs of tasks that feed each other.

Scheduled calls::

    from fasthub.tasks import call_later

    reminder = call_later(30, send_email, user, subject="Still there?")
    ...
    reminder.cancel()                    # the user came back: it never runs

    report = call_later(0.5, build_report, day)
    data = report.result(timeout=10)     # park this green thread until it is ready

Each call runs in its own green thread (``fasthub.spawn_after``) when its delay expires. A scheduled
call costs one timer and one not-yet-started green thread; cancelling before it starts is O(1).
``call_soon`` runs as soon as the hub gets to it and ``call_at`` at a ``fasthub.monotonic()`` deadline.
Cancelling a call that already started kills its green thread (GreenletExit is raised where it is
waiting) unless ``cancel(kill=False)``.

Task graphs::

    graph = TaskGraph(limit=8)                          # at most 8 tasks run at once
    page = graph.add(download, url)                     # no dependencies: starts first
    text = graph.add(parse, after=page)                 # parse(<download's result>)
    graph.add(store, db, after=[text], name="store")    # store(<parse's result>, db)
    graph.start()
    graph["store"].result(timeout=30)

A task starts once every task in its ``after`` has finished, and receives their results as its
first positional arguments, in the order of ``after`` (``results=False``: it only waits for them).
Dependencies are Task handles or names; a name may refer to a task added later, and ``add()``
refuses (ValueError, naming the cycle) a task that would close a cycle. A task that raises fails;
every task that depends on it, directly or not, is cancelled without running and its ``result()``
raises DependencyFailed whose ``__cause__`` is the failure; the other tasks carry on. ``cancel()``
stops the whole graph: tasks not started never run, running ones are killed.

Every handle (ScheduledCall, Task) offers ``result(timeout)``, ``exception(timeout)``,
``wait(timeout)``, ``done()``, ``cancelled()`` and ``add_done_callback(fn)``, usable from any green
thread of the hub that runs the work. Exceptions raised by the work are kept for ``result()`` and
not reported by the hub.
"""

from collections import deque

from greenlet import GreenletExit

from fasthub.core._greenthread import getcurrent as _getcurrent, spawn, spawn_after
from fasthub.core._hub import monotonic
from fasthub.sync.event import Event
from fasthub.sync.groups import ExceptionGroup

__all__ = ["call_later", "call_soon", "call_at", "ScheduledCall", "CancelledError",
           "TaskGraph", "Task", "DependencyFailed"]


class CancelledError(Exception):
    """Raised by result() and exception() of work that was cancelled before it finished."""


class DependencyFailed(CancelledError):
    """A graph task never ran because a task it depends on failed or was cancelled; that task's
    exception is ``__cause__`` and the task itself is ``failed_task``."""

    def __init__(self, message, failed_task):
        CancelledError.__init__(self, message)
        self.failed_task = failed_task


_WAITING, _PENDING, _RUNNING, _DONE, _FAILED, _CANCELLED = (
    "waiting", "pending", "running", "done", "failed", "cancelled")
_FINISHED = (_DONE, _FAILED, _CANCELLED)


class _Handle:
    """The outcome of one piece of deferred work: a state, a value or an exception, callbacks, and
    waiting for it (shared by ScheduledCall and Task)."""

    __slots__ = ("_state", "_value", "_exc", "_callbacks", "_event", "__weakref__")

    def __init__(self, state):
        self._state = state
        self._value = None
        self._exc = None
        self._callbacks = []
        self._event = None   # made by the first wait() that has to park

    def _settle(self, state, value=None, exc=None):
        # Record the outcome once, wake the waiters, run the callbacks (in the settling green thread).
        if self._state in _FINISHED:
            return False
        self._state = state
        self._value = value
        self._exc = exc
        if self._event is not None:
            self._event.set()
        callbacks, self._callbacks = self._callbacks, None
        for cb in callbacks:
            cb(self)
        return True

    def cancelled(self):
        """True if it was cancelled (for a Task: also when a dependency failed)."""
        return self._state == _CANCELLED

    def done(self):
        """True once it finished, raised, or was cancelled."""
        return self._state in _FINISHED

    def running(self):
        """True while its function runs."""
        return self._state == _RUNNING

    def add_done_callback(self, fn):
        """Call ``fn(handle)`` once it is done (at once if it already is), in the green thread that
        finished it. ``fn`` must not block for long."""
        if self._callbacks is None:
            fn(self)
        else:
            self._callbacks.append(fn)

    def wait(self, timeout=None):
        """Park the calling green thread until done; True if done, False if ``timeout`` expired."""
        if self._state in _FINISHED:
            return True
        if self._event is None:
            self._event = Event()
        return self._event.wait(timeout)

    def result(self, timeout=None):
        """The function's return value, parking the calling green thread until it is available.

        Raises the function's exception if it raised, CancelledError if it was cancelled
        (DependencyFailed for a graph task whose dependency failed), and TimeoutError if it is not
        done within ``timeout`` seconds.
        """
        if not self.wait(timeout):
            raise TimeoutError(f"fasthub.tasks: {self!r} was not done within {timeout} s")
        if self._exc is not None:
            raise self._exc
        return self._value

    def exception(self, timeout=None):
        """The exception the function raised (None if it returned); waits like result(), and raises
        CancelledError if it was cancelled."""
        if not self.wait(timeout):
            raise TimeoutError(f"fasthub.tasks: {self!r} was not done within {timeout} s")
        if self._state == _CANCELLED:
            raise self._exc
        return self._exc


# --- scheduled calls ---------------------------------------------------------------------------------

class ScheduledCall(_Handle):
    """A handle on a function scheduled by call_later()/call_soon()/call_at()."""

    __slots__ = ("eta", "_gt")

    def __init__(self, delay, fn, args, kwargs):
        if not callable(fn):
            raise TypeError(f"fasthub.tasks: {fn!r} is not callable")
        _Handle.__init__(self, _PENDING)
        delay = max(0.0, float(delay))
        self.eta = monotonic() + delay   #: when it is due (fasthub.monotonic() seconds)
        self._gt = spawn_after(delay, self._run, fn, args, kwargs)
        self._gt.link(self._finished)

    def _run(self, fn, args, kwargs):
        self._state = _RUNNING
        try:
            value = fn(*args, **kwargs)
        except GreenletExit:
            raise   # cancel() while running: _finished records it
        except Exception as e:   # kept for result(); not an unhandled green-thread error
            self._settle(_FAILED, exc=e)
        else:
            self._settle(_DONE, value)

    def _finished(self, gt):
        # Killed before it started or while it ran: the call was cancelled.
        self._settle(_CANCELLED, exc=CancelledError("fasthub.tasks: the call was cancelled"))

    def cancel(self, kill=True):
        """Stop the call. Not started yet: it never runs. Running and ``kill``: GreenletExit is raised
        in it (this returns without waiting for it to unwind; done() and cancelled() become true,
        and wait() returns, once it has). Returns True if the call was stopped,
        False if it had already finished (or is running and ``kill`` is False)."""
        if self._state == _PENDING:
            self._gt.kill(block=False)   # it never starts: _finished() settles it now
            return True
        if self._state == _RUNNING and kill:
            self._gt.kill(block=False)   # _finished() settles it once it has unwound
            return True
        return False

    def __repr__(self):
        return f"<fasthub ScheduledCall {self._state} eta={self.eta:.3f}>"


def call_later(delay, fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` in a new green thread after ``delay`` seconds; returns a
    ScheduledCall to cancel it or get its result. Does not block."""
    return ScheduledCall(delay, fn, args, kwargs)


def call_soon(fn, *args, **kwargs):
    """call_later(0, ...): run it as soon as the calling green thread yields."""
    return ScheduledCall(0.0, fn, args, kwargs)


def call_at(when, fn, *args, **kwargs):
    """Run it at ``when``, a ``fasthub.monotonic()`` time (at once if that is past)."""
    return ScheduledCall(when - monotonic(), fn, args, kwargs)


# --- task graphs -------------------------------------------------------------------------------------

class Task(_Handle):
    """One task of a TaskGraph (made by TaskGraph.add()): its name, its state, and its outcome."""

    __slots__ = ("name", "graph", "_fn", "_args", "_kwargs", "_results", "_deps", "_dependents",
                 "_missing", "_gt", "_cancel_exc")

    def __init__(self, graph, name, fn, args, kwargs, deps, results):
        _Handle.__init__(self, _WAITING)
        self.name = name        #: unique in its graph
        self.graph = graph
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._results = results
        self._deps = deps       # Tasks, and names of tasks not added yet
        self._dependents = []
        self._missing = 0       # dependencies that have not finished yet
        self._gt = None
        self._cancel_exc = None  # set when it is killed: its result() raises this once it has ended

    @property
    def state(self):
        """'waiting' (for dependencies), 'pending' (ready, waiting for a free slot), 'running',
        'done', 'failed' or 'cancelled'."""
        return self._state

    @property
    def dependencies(self):
        """The tasks (or, for tasks not added yet, the names) it waits for, in ``after`` order."""
        return tuple(self._deps)

    def cancel(self):
        """Cancel this task and everything that depends on it: not started, it never runs; running,
        it is killed (it is done once it has unwound). Returns False if it had already finished."""
        return self.graph._cancel_task(self, CancelledError(f"fasthub.tasks: task {self.name!r} "
                                                            f"was cancelled"))

    def __repr__(self):
        return f"<fasthub Task {self.name!r} {self._state}>"


def _dependency_failed(name, failed):
    err = DependencyFailed(f"fasthub.tasks: task {name!r} did not run: its dependency "
                           f"{failed.name!r} {failed._state}", failed)
    err.__cause__ = failed._exc
    return err


class TaskGraph:
    """Tasks that start when the tasks they depend on finish, and receive their results.

    ``limit``: at most that many tasks run at once (None: no limit). Build it with add(), then
    start() it (or run() it: start, wait and collect). Tasks run as green threads of the hub of the
    OS thread that called start(); they are named after their task (see ``fasthub.stats()``). See the
    module docstring for how results, failures and cancellation flow.
    """

    def __init__(self, limit=None):
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ValueError(f"fasthub.tasks: limit must be a positive int or None, not {limit!r}")
        self.limit = limit
        self._tasks = {}         # name -> Task, in the order added
        self._awaited = {}       # name not added yet -> [Tasks that depend on it]
        self._ready = deque()
        self._running = 0
        self._unfinished = 0
        self._started = False
        self._all_done = Event()

    # -- building -----------------------------------------------------------------------------------

    def add(self, fn, *args, after=(), name=None, results=True, **kwargs):
        """Add the task ``fn(*dependency_results, *args, **kwargs)`` and return its Task.

        ``after``: a Task or name, or a sequence of them, that must finish first; with
        ``results=True`` (default) their results come first in the call, in this order. ``name``:
        unique in the graph (default: the function's name and a number). Raises ValueError for a
        duplicate name, a Task of another graph, or a dependency that would close a cycle (the task
        is then not added). May be called after start(): the task starts when its dependencies have
        finished (at once if they have).
        """
        if not callable(fn):
            raise TypeError(f"fasthub.tasks: {fn!r} is not callable")
        if any(isinstance(a, Task) for a in (*args, *kwargs.values())):
            raise TypeError("fasthub.tasks: a Task was passed as an argument; to receive its "
                            "result, name it in after= (its result then comes first)")
        if isinstance(after, (Task, str)):
            after = (after,)
        if name is None:
            name = f"{getattr(fn, '__qualname__', 'task')}#{len(self._tasks) + 1}"
        elif not isinstance(name, str):
            raise TypeError(f"fasthub.tasks: a task name is a str, not {name!r}")
        if name in self._tasks:
            raise ValueError(f"fasthub.tasks: the graph already has a task named {name!r}")
        deps = []
        for dep in after:
            if isinstance(dep, Task):
                if dep.graph is not self:
                    raise ValueError(f"fasthub.tasks: {dep!r} belongs to another TaskGraph")
                deps.append(dep)
            elif isinstance(dep, str):
                deps.append(self._tasks.get(dep, dep))
            else:
                raise TypeError(f"fasthub.tasks: `after` takes Tasks and task names, not {dep!r}")
        cycle = self._cycle_through(name, deps)
        if cycle:
            raise ValueError(f"fasthub.tasks: task {name!r} would close a dependency cycle: "
                             + " -> ".join(cycle))
        task = Task(self, name, fn, args, kwargs, deps, results)
        self._tasks[name] = task
        self._unfinished += 1
        self._all_done.clear()
        for dep in deps:
            if isinstance(dep, Task):
                dep._dependents.append(task)
                if dep._state != _DONE:
                    task._missing += 1
            else:
                self._awaited.setdefault(dep, []).append(task)
                task._missing += 1
        for waiting in self._awaited.pop(name, ()):   # tasks added earlier that named this one
            waiting._deps = [task if d == name else d for d in waiting._deps]
            task._dependents.append(waiting)
        if self._started:
            failed = next((d for d in deps if isinstance(d, Task) and d._state in (_FAILED, _CANCELLED)),
                          None)
            if failed is not None:
                self._cancel_task(task, _dependency_failed(name, failed))
            elif task._missing == 0:
                self._make_ready(task)
                self._pump()
        return task

    def _cycle_through(self, name, deps):
        # Would a task ``name`` depending on ``deps`` close a cycle? Only tasks added earlier that
        # named it can lead back to it: search from its dependencies towards them.
        if name in deps:
            return [name, name]
        targets = {id(t): t for t in self._awaited.get(name, ())}
        if not targets:
            return None
        stack = [(d, [name, d.name]) for d in deps if isinstance(d, Task)]
        seen = set()
        while stack:
            task, path = stack.pop()
            if id(task) in targets:
                return path + [name]
            if id(task) in seen:
                continue
            seen.add(id(task))
            stack.extend((d, path + [d.name]) for d in task._deps if isinstance(d, Task))
        return None

    def __getitem__(self, name):
        """The Task named ``name`` (KeyError if there is none)."""
        return self._tasks[name]

    def __iter__(self):
        """The tasks, in the order they were added."""
        return iter(list(self._tasks.values()))

    def __len__(self):
        return len(self._tasks)

    # -- running ------------------------------------------------------------------------------------

    def start(self):
        """Start every task whose dependencies are met (up to ``limit``); the rest follow as tasks
        finish. Does not block. Raises ValueError, starting nothing, if a dependency names a task
        that was never added; RuntimeError if already started. Returns self."""
        if self._started:
            raise RuntimeError("fasthub.tasks: this TaskGraph was already started")
        if self._awaited:
            missing = ", ".join(f"{t.name!r} needs {n!r}" for n, ts in self._awaited.items() for t in ts)
            raise ValueError(f"fasthub.tasks: dependencies on tasks that were never added: {missing}")
        self._started = True
        for task in self._tasks.values():
            if task._state == _WAITING and task._missing == 0:
                self._make_ready(task)
        if self._unfinished == 0:
            self._all_done.set()
        self._pump()
        return self

    def _make_ready(self, task):
        task._state = _PENDING
        self._ready.append(task)

    def _pump(self):
        while self._ready and (self.limit is None or self._running < self.limit):
            task = self._ready.popleft()
            if task._state != _PENDING:
                continue   # cancelled while it waited for a slot
            task._state = _RUNNING
            self._running += 1
            gt = spawn(self._run, task)
            gt.name = f"task {task.name}"
            task._gt = gt
            gt.link(self._exited, task)

    def _run(self, task):
        args = task._args
        if task._results:
            args = (*[d._value for d in task._deps], *args)
        try:
            value = task._fn(*args, **task._kwargs)
        except GreenletExit:   # killed by cancel(), which settled the task already
            pass
        except Exception as e:
            self._conclude(task, _FAILED, exc=e)
        except BaseException as e:   # SystemExit, KeyboardInterrupt: the task failed, and it goes on
            self._conclude(task, _FAILED, exc=e)
            raise
        else:
            self._conclude(task, _DONE, value)

    def _exited(self, gt, task):
        # The task's green thread ended (returned, raised, or was killed, even before it began).
        self._running -= 1
        task._gt = None
        self._conclude(task, _CANCELLED, exc=task._cancel_exc or CancelledError(
            f"fasthub.tasks: task {task.name!r} was killed"))   # a no-op if it was settled
        self._pump()

    def _conclude(self, task, state, value=None, exc=None):
        # Settle ``task`` (once) and pass its outcome on to the tasks that depend on it. A failure
        # cancels the dependents, theirs in turn (a worklist, not recursion: chains can be long).
        todo = [(task, state, value, exc)]
        while todo:
            task, state, value, exc = todo.pop()
            task._fn = task._args = task._kwargs = None
            if not task._settle(state, value, exc):
                continue
            self._unfinished -= 1
            if state == _DONE:
                for dep in task._dependents:
                    dep._missing -= 1
                    if dep._missing == 0 and dep._state == _WAITING:
                        self._make_ready(dep)
            else:
                for dep in task._dependents:
                    if dep._state == _RUNNING:   # cannot happen (it needed task done); be safe
                        self._cancel_task(dep, _dependency_failed(dep.name, task))
                    elif dep._state not in _FINISHED:
                        todo.append((dep, _CANCELLED, None, _dependency_failed(dep.name, task)))
        if self._unfinished == 0 and self._started:
            self._all_done.set()

    def _cancel_task(self, task, err):
        if task._state in _FINISHED:
            return False
        gt = task._gt
        if task._state == _RUNNING and gt is not None and gt is not _getcurrent():
            # Killed: settled (with ``err``) by _exited() once it has unwound.
            if task._cancel_exc is not None:
                return False   # already being cancelled
            task._cancel_exc = err
            gt.kill(block=False)
            return True
        self._conclude(task, _CANCELLED, exc=err)
        return True

    def cancel(self):
        """Cancel every task not finished: those not started never run (their result() raises
        CancelledError), running ones are killed (GreenletExit where they wait) and count as
        finished once they have unwound. Does not wait for that (wait() does). Returns the number
        of tasks cancelled."""
        n = 0
        # Dependents first (usually added later), so each says it was cancelled with the graph
        # rather than because of a dependency.
        for task in reversed(list(self._tasks.values())):
            if self._cancel_task(task, CancelledError(
                    f"fasthub.tasks: task {task.name!r} was cancelled with its graph")):
                n += 1
        return n

    def wait(self, timeout=None):
        """Park until every task has finished (done, failed or cancelled); True if so, False if
        ``timeout`` expired first. RuntimeError if the graph was not started."""
        if not self._started:
            raise RuntimeError("fasthub.tasks: start() the TaskGraph before waiting for it")
        return self._all_done.wait(timeout)

    def results(self):
        """{name: result} of the tasks that finished successfully."""
        return {t.name: t._value for t in self._tasks.values() if t._state == _DONE}

    def failures(self):
        """{name: exception} of the tasks that raised (not those cancelled because of them)."""
        return {t.name: t._exc for t in self._tasks.values() if t._state == _FAILED}

    def run(self, timeout=None):
        """start() (if needed), wait, and return {name: result} of every task.

        Raises an ExceptionGroup of the tasks' failures if any task raised (the tasks cancelled
        because of them are not in it), and TimeoutError after ``timeout`` seconds (the graph is
        then cancelled, and its running tasks have unwound, first).
        """
        if not self._started:
            self.start()
        if not self.wait(timeout):
            self.cancel()
            self.wait()   # the killed tasks unwind
            raise TimeoutError(f"fasthub.tasks: the graph did not finish within {timeout} s; "
                               f"it was cancelled")
        failures = self.failures()
        if failures:
            raise ExceptionGroup(f"fasthub.tasks: {len(failures)} task(s) failed: "
                                 f"{', '.join(failures)}", list(failures.values()))
        return self.results()

    def __repr__(self):
        states = {}
        for t in self._tasks.values():
            states[t._state] = states.get(t._state, 0) + 1
        summary = " ".join(f"{k}={v}" for k, v in states.items())
        return f"<fasthub TaskGraph limit={self.limit} {summary}>"
