"""See when one green thread holds the loop, name it, and offer ways out.

The known weakness of green threads is that one blocking call (an unpatched ``time.sleep``, a C driver
doing its own I/O) or a loop that never yields freezes every other green thread, silently. The monitor
makes it loud: a real OS thread samples each hub's ``switch_count``. The hub bumps that counter on every
loop iteration and every resume, and sets ``in_poll`` while it sleeps in epoll/kqueue/poll by choice. A
counter that has not moved for ``threshold`` seconds while the hub is not polling and has work waiting
means one green thread holds the OS thread. The monitor then takes that thread's Python stack, names the
green thread and the call it sits in (saying when it is a C function, and when it is an original that
``fasthub.monkey_patch()`` would have replaced), and acts: log it, call your function, or raise
``BlockingTimeout`` in the runaway code.

What cannot be interrupted: ``action='raise'`` delivers the exception at the next bytecode the blocked
thread executes. A pure-Python loop gets it at once; a call that sits inside C (``time.sleep`` from the
original module, a C driver's blocking ``recv``) gets it only when the C call returns. The report still
comes on time, naming that C call. A green thread whose function is itself a C function (no Python
frame at all, e.g. ``spawn(time.sleep, 5)`` with the original sleep) is reported as "in C code
called from" that green thread, and is not raised into (the exception would land in whatever runs
next).

The cost on the hub is nothing beyond the counter it keeps anyway; the monitor thread wakes every
``threshold / 4`` seconds and reads two fields per hub.

Partial deadlocks. A deadlock among some green threads while others keep the hub busy never reaches
LoopExit (the hub still has work). Every ``threshold`` seconds the monitor also reads each hub's line
of parked waiters and follows "waits on a Lock held by ..." / "joins ..." edges between them (no
frames are read for that: a few microseconds per green thread parked on a lock or a join, a type
lookup for each of the others). A cycle that is still there one threshold later is reported once:
a warning on the ``fasthub.monitor`` logger naming each green thread of the cycle, where it waits,
on what, and who holds that (or ``on_deadlock(report)``), and ``deadlocks()`` lists the reports.
While it runs, locks record where they are taken (fasthub.sync.locks.track_sites), so reports (and
LoopExit's) say that too.
"""

import ctypes
import dis
import logging
import os
import sys
import traceback
from _thread import allocate_lock as _os_lock, start_new_thread as _os_start_thread
from time import monotonic as _monotonic, sleep as _os_sleep

from fasthub.core import introspect
from fasthub.core._hub import all_hubs, register_internal_thread, unregister_internal_thread
from fasthub.sync import locks
from _thread import get_ident as _os_get_ident

__all__ = ["BlockingTimeout", "BlockReport", "DeadlockReport", "Monitor", "start", "stop", "report",
           "deadlocks", "active"]

log = logging.getLogger("fasthub.monitor")

_CALL_OPS = {"CALL", "CALL_FUNCTION", "CALL_FUNCTION_KW", "CALL_FUNCTION_EX", "CALL_METHOD", "PRECALL", "CALL_KW"}
_NAME_OPS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF", "LOAD_FAST_CHECK", "LOAD_FAST_LOAD_FAST"}
_ATTR_OPS = {"LOAD_ATTR", "LOAD_METHOD"}


class BlockingTimeout(BaseException):
    """Raised by the monitor (``action='raise'``) in a green thread that held the hub too long.

    A BaseException, like fasthub.Timeout, so that a runaway loop's ``except Exception:`` does not
    swallow it.
    """


class BlockReport:
    """One place where green threads blocked the hub: where, what, how often and for how long."""

    __slots__ = ("location", "call", "note", "greenlet", "stack", "count", "longest", "total", "first_seen")

    def __init__(self, location, call, note, greenlet, stack):
        self.location = location      # "file.py:42 in func"
        self.call = call              # "time.sleep" when the block sits in a call we could name
        self.note = note              # e.g. "an unpatched original ..." / "a C function"
        self.greenlet = greenlet      # name of the green thread that held the hub
        self.stack = stack            # formatted stack at detection
        self.count = 0                # how many separate blocks happened here
        self.longest = 0.0            # seconds, the longest single block seen here
        self.total = 0.0              # seconds, all blocks here together
        self.first_seen = _monotonic()

    def message(self, blocked):
        what = f" in {self.call}()" if self.call else ""
        note = f" ({self.note})" if self.note else ""
        return (f"fasthub.monitor: {self.greenlet} has held the hub for {blocked:.3f} s at "
                f"{self.location}{what}{note}; no other green thread can run meanwhile.\n{self.stack}")

    def as_dict(self):
        """The report as plain data (for JSON)."""
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return (f"<BlockReport {self.location} call={self.call!r} count={self.count} "
                f"longest={self.longest:.3f}s>")


class DeadlockReport:
    """A wait-for cycle among green threads that lasted at least the monitor's threshold."""

    __slots__ = ("cycle", "text", "first_seen", "reported_at")

    def __init__(self, cycle, text, first_seen):
        self.cycle = cycle            # one dict per green thread (see fasthub.core.introspect.parked)
        self.text = text              # the cycle in words, one line per green thread
        self.first_seen = first_seen
        self.reported_at = _monotonic()

    def message(self):
        return (f"fasthub.monitor: partial deadlock for {self.reported_at - self.first_seen:.3f} s+ "
                f"(other green threads may still run):\n{self.text}")

    def as_dict(self):
        """The report as plain data (for JSON)."""
        return {"text": self.text, "green_threads": [e["label"] for e in self.cycle],
                "first_seen": self.first_seen, "reported_at": self.reported_at}

    def __repr__(self):
        return f"<DeadlockReport {' -> '.join(e['label'] for e in self.cycle)}>"


class _HubState:
    __slots__ = ("count", "since", "report", "raised")

    def __init__(self, count, now):
        self.count = count
        self.since = now
        self.report = None
        self.raised = False


class Monitor:
    """A watchdog OS thread over every hub of the process; see the module docstring."""

    def __init__(self, threshold=0.1, action="log", interval=None, deadlocks=True, on_deadlock=None):
        if threshold <= 0:
            raise ValueError("fasthub.monitor: threshold must be a positive number of seconds")
        if not (action in ("log", "raise") or callable(action)):
            raise ValueError("fasthub.monitor: action must be 'log', 'raise' or a callable(report)")
        if on_deadlock is not None and not callable(on_deadlock):
            raise ValueError("fasthub.monitor: on_deadlock must be None or a callable(report)")
        self.threshold = float(threshold)
        self.action = action
        self.interval = interval if interval is not None else max(0.002, self.threshold / 4)
        self.deadlocks = deadlocks
        self.on_deadlock = on_deadlock
        self.deadlock_reports = []
        self._suspects = {}        # cycle key -> first seen (monotonic)
        self._last_deadlock_check = 0.0
        self.reports = {}
        self._states = {}
        self._lock = _os_lock()
        self._running = False
        self._stopped = _os_lock()

    def start(self):
        """Start the watchdog thread (idempotent)."""
        if self._running:
            return self
        self._running = True
        if self.deadlocks:
            locks.track_sites(True)   # so a deadlock report says where each lock was taken
        self._stopped.acquire()
        _os_start_thread(self._run, ())
        return self

    def stop(self):
        """Stop the watchdog thread and wait for it to end."""
        if not self._running:
            return
        self._running = False
        if self.deadlocks:
            locks.track_sites(False)
        self._stopped.acquire()
        self._stopped.release()

    def _run(self):
        ident = _os_get_ident()
        register_internal_thread(ident)
        try:
            while self._running:
                _os_sleep(self.interval)
                for hub in all_hubs():
                    try:
                        self._check(hub)
                    except Exception:  # the watchdog must survive anything it observes
                        log.exception("fasthub.monitor: error while checking %r", hub)
                if self.deadlocks and _monotonic() - self._last_deadlock_check >= self.threshold:
                    self._last_deadlock_check = _monotonic()
                    try:
                        self._check_deadlocks()
                    except Exception:
                        log.exception("fasthub.monitor: error while looking for deadlocks")
        finally:
            unregister_internal_thread(ident)
            self._stopped.release()

    def _check(self, hub):
        now = _monotonic()
        key = id(hub)
        state = self._states.get(key)
        count = hub.switch_count
        if state is None:
            self._states[key] = _HubState(count, now)
            return
        if count != state.count or hub.in_poll:
            if state.report is not None:
                blocked = now - state.since
                state.report.longest = max(state.report.longest, blocked)
                state.report.total += blocked
            state.count = count
            state.since = now
            state.report = None
            state.raised = False
            return
        blocked = now - state.since
        if state.report is not None:
            # Still the same block: keep its duration current, so report() is right at any time.
            state.report.longest = max(state.report.longest, blocked)
            return
        if blocked < self.threshold:
            return
        if hub.parked == 0 and hub.ready_count == 0 and len(hub.timers) == 0:
            return  # nobody else is waiting for the hub: no one is starved
        # No frame: the green thread runs a C function with no Python code under it (spawn(time.sleep,
        # 5) with the original sleep, a C extension's callback): still reported, by its function.
        frame = sys._current_frames().get(hub.thread_ident)
        report = self._record(hub, frame)
        state.report = report
        self._act(hub, report, blocked, state, frame is not None)

    def _record(self, hub, frame):
        who = introspect.label(hub.running)
        if frame is None:
            location = f"in C code called from {who}"
        else:
            location = f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        with self._lock:
            report = self.reports.get(location)
            if report is None:
                if frame is None:
                    call, note = None, "a C function run with no Python frame above it"
                    stack = f"(no Python frame: {who} runs C code directly)\n"
                else:
                    call, note = describe_call(frame)
                    stack = "".join(traceback.format_stack(frame))
                report = BlockReport(location, call, note, who, stack)
                self.reports[location] = report
            report.count += 1
        return report

    def _act(self, hub, report, blocked, state, raisable):
        action = self.action
        if report.count == 1:  # a repeat at the same place is counted, not printed again
            if action == "log" or action == "raise":
                log.warning(report.message(blocked))
        if callable(action):
            action(report)
        elif action == "raise" and not state.raised and raisable:
            # (Not raisable without a Python frame: the exception would land at the next bytecode
            # the thread runs once the C call returns, in whichever green thread or hub callback.)
            # Re-check right before raising, so it lands in the runaway code and not in the hub.
            if hub.switch_count == state.count and not hub.in_poll:
                state.raised = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(hub.thread_ident), ctypes.py_object(BlockingTimeout))

    def _check_deadlocks(self):
        # Cheap pass: only the waits on something held (locks, joins), over every hub together (a
        # Lock may be shared by green threads of several OS threads); no frame is read.
        entries = introspect.holding_edges(all_hubs())
        now = _monotonic()
        seen = {}
        for cycle in introspect.wait_for_cycles(entries):
            key = frozenset((id(e["greenlet"]), id(e["on"])) for e in cycle)
            seen[key] = self._suspects.get(key, now)
            first = seen[key]
            if first is not None and now - first >= self.threshold:
                seen[key] = None   # reported: not again while this cycle lasts
                self._report_deadlock(cycle, first)
        self._suspects = seen

    def _report_deadlock(self, cycle, first_seen):
        # Details (frames, names) only now, for the green threads of the cycle.
        greenlets = {id(e["greenlet"]) for e in cycle}
        detailed = {}
        for hub in all_hubs():
            for e in introspect.parked(hub):
                if id(e["greenlet"]) in greenlets:
                    detailed[id(e["greenlet"])] = e
        cycle = [detailed.get(id(e["greenlet"])) for e in cycle]
        if None in cycle:
            return   # it resolved meanwhile
        report = DeadlockReport(cycle, introspect.format_cycle(cycle), first_seen)
        with self._lock:
            self.deadlock_reports.append(report)
        if self.on_deadlock is not None:
            self.on_deadlock(report)
        else:
            log.warning(report.message())

    def summary(self):
        """Every place that blocked, worst first (see report())."""
        with self._lock:
            return sorted(self.reports.values(), key=lambda r: (r.longest, r.count), reverse=True)


def describe_call(frame):
    """Name the call a frame sits in, when it is inside a C function (no Python frame above it).

    Returns (dotted name or None, note or None), e.g. ("time.sleep", "an unpatched original ...").
    """
    try:
        instrs = [i for i in dis.get_instructions(frame.f_code) if i.offset <= frame.f_lasti]
    except Exception:
        return None, None
    if not instrs or not any(i.opname in _CALL_OPS for i in instrs[-3:]):
        return None, None
    # The callee is the last "NAME(.attr)*" chain loaded before the call on this line.
    chains = []
    current = None
    for ins in instrs:
        if ins.opname in _NAME_OPS:
            current = [str(ins.argval if not isinstance(ins.argval, tuple) else ins.argval[-1])]
            chains.append(current)
        elif ins.opname in _ATTR_OPS and current is not None:
            current.append(str(ins.argval))
        else:
            current = None
    chains = [c for c in chains if len(c) > 1 or c[0] not in ("self",)]
    if not chains:
        return None, None
    dotted = None
    obj = None
    for chain in reversed(chains):
        obj = _resolve(frame, chain)
        if obj is not None and callable(obj):
            dotted = ".".join(chain)
            break
    if dotted is None:
        return None, None
    return _qualified(obj, dotted), _classify(obj)


def _resolve(frame, chain):
    # Only follow modules and classes: reading attributes of arbitrary objects could run user code
    # (properties) in the watchdog thread.
    import types

    first = chain[0]
    scope = frame.f_locals if first in frame.f_locals else frame.f_globals
    obj = scope.get(first, getattr(__builtins__, first, None) if not isinstance(__builtins__, dict)
                    else __builtins__.get(first))
    for name in chain[1:]:
        if not isinstance(obj, (types.ModuleType, type)):
            attr = getattr(type(obj), name, None)
            return attr
        obj = getattr(obj, name, None)
    return obj


def _qualified(obj, dotted):
    mod = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if mod and name and mod != "builtins":
        return f"{mod}.{name}"
    return dotted


def _classify(obj):
    import types

    is_c = isinstance(obj, (types.BuiltinFunctionType, types.MethodDescriptorType, types.WrapperDescriptorType))
    mod_name = getattr(obj, "__module__", None)
    name = getattr(obj, "__name__", None)
    mod = sys.modules.get(mod_name) if mod_name else None
    if is_c and mod is not None and name:
        current = getattr(mod, name, None)
        try:
            from fasthub import patcher
            patched = patcher.is_monkey_patched(mod_name)
        except Exception:
            patched = False
        if patched and current is not obj:
            return (f"an unpatched original: {mod_name}.{name} was captured before "
                    f"fasthub.monkey_patch(); import it after patching or use the module attribute")
        if mod_name in ("time", "socket", "select", "_socket", "os", "subprocess", "_thread", "ssl"):
            return ("a blocking C function from the stdlib; fasthub.monkey_patch() replaces it with a "
                    "cooperative one")
    if is_c:
        return "a C function: the hub cannot run until it returns"
    return None


_monitor = None


def start(threshold=0.1, action="log", interval=None, deadlocks=True, on_deadlock=None):
    """Start watching every hub: report a green thread that holds one for more than ``threshold`` s.

    ``action``: ``'log'`` (default; a warning on the ``fasthub.monitor`` logger, once per place),
    ``'raise'`` (also raise BlockingTimeout in the runaway code; see the module docstring for what
    cannot be interrupted), or a callable receiving the BlockReport. ``deadlocks``: also report a
    wait-for cycle among green threads that lasts ``threshold`` s (a warning, or
    ``on_deadlock(DeadlockReport)``). Replaces a running monitor. Also started by the environment:
    FASTHUB_MONITOR=<seconds> (and FASTHUB_MONITOR_ACTION=raise).
    """
    global _monitor
    stop()
    _monitor = Monitor(threshold, action, interval, deadlocks, on_deadlock).start()
    return _monitor


def stop():
    """Stop the monitor, if one runs."""
    global _monitor
    if _monitor is not None:
        _monitor.stop()
        _monitor = None


def active():
    """The running Monitor, or None."""
    return _monitor


def report():
    """Every place that blocked a hub since start(), worst first, as BlockReport objects."""
    return _monitor.summary() if _monitor is not None else []


def deadlocks():
    """The partial deadlocks reported since start(), oldest first, as DeadlockReport objects."""
    if _monitor is None:
        return []
    with _monitor._lock:
        return list(_monitor.deadlock_reports)


def _start_from_environment():
    value = os.environ.get("FASTHUB_MONITOR")
    if not value:
        return
    try:
        threshold = float(value)
    except ValueError:
        raise ValueError(f"FASTHUB_MONITOR must be a number of seconds, not {value!r}") from None
    start(threshold, os.environ.get("FASTHUB_MONITOR_ACTION", "log"))
