"""The check tests/conftest.py runs after every test: nothing is left behind in any hub.

Left behind, per hub: green threads parked (named with their wait sites, from fasthub.core.introspect),
live timers (named by their callbacks), fds with a reader or writer registered, busy workers (green
threads started and not finished), callbacks still queued, and work handed to other OS threads that
will call back. The test's own hub must end with none of these; a hub that existed before the test (a
session-wide server in a thread) must end with no more than it had; a hub that appeared during the test
must be gone: its thread ended (which destroys it) or the test destroyed it. A hub of a thread the test
started and did not join is itself a leak.

Before judging, the hub is let settle: a few sleep(0)s, then, only while something is still there, short
sleeps for at most SETTLE_SECONDS (a server closing its sockets, a thread finishing): a test that
cleans up properly costs microseconds, a leaky one fails after SETTLE_SECONDS.
"""

import gc
import os
import sys
import threading
import time
import weakref

from fasthub.core import introspect
from fasthub.core._greenthread import _trim_idle_workers
from fasthub.core._hub import all_hubs, get_hub_if_exists, internal_threads, sleep

SETTLE_SECONDS = 2.0

# The figures of Hub.counters() that must come back to the baseline, with the words for them.
_COUNTS = {
    "parked": "green thread(s) parked",
    "timers": "live timer(s)",
    "fd_waiters": "fd reader(s)/writer(s) registered",
    "workers_busy": "busy worker(s) (green threads started and not finished)",
    "ready": "callback(s) still queued",
    "external_refs": "pending call(s) back from other OS threads",
}


def _counts(hub):
    c = hub.counters()
    # The trim of idle workers after a burst is the hub's own housekeeping, not the test's.
    trim = sum(1 for cb in c["timer_callbacks"] if cb is _trim_idle_workers)
    counts = {key: c[key] for key in _COUNTS}
    counts["timers"] -= trim
    return counts, c


def _excess(hub, baseline):
    counts, _ = _counts(hub)
    return {key: n - baseline.get(key, 0) for key, n in counts.items() if n > baseline.get(key, 0)}


def _thread_alive(ident):
    return ident in threading._active or ident in sys._current_frames()


def _thread_name(ident):
    t = threading._active.get(ident)
    return f"thread {t.name!r}" if t is not None else f"thread {ident}"


class Snapshot:
    """What the hubs of this process held when a test began (taken by tests/conftest.py)."""

    def __init__(self, own_hub, own_name="the test's hub"):
        self.own = own_hub
        self.own_name = own_name
        self.before = {}
        internal = internal_threads()
        for hub in all_hubs():
            if hub is not own_hub and hub.thread_ident not in internal:
                self.before[id(hub)] = (weakref.ref(hub), _counts(hub)[0])

    def _baseline(self, hub):
        entry = self.before.get(id(hub))
        if entry is not None and entry[0]() is hub:
            return entry[1]
        return None

    def _problems(self):
        """[(hub, what is wrong in one line, excess counts or None)] for every hub now."""
        out = []
        internal = internal_threads()
        me = threading.get_ident()
        current = get_hub_if_exists()
        for hub in all_hubs():
            if hub.thread_ident in internal:
                continue
            if hub is self.own or hub is current:
                excess = _excess(hub, {})
                if excess:
                    out.append((hub, self.own_name, excess))
                continue
            baseline = self._baseline(hub)
            if baseline is not None:
                excess = _excess(hub, baseline)
                if excess:
                    out.append((hub, f"the hub of {_thread_name(hub.thread_ident)} (there before "
                                     f"the test; more left in it than before)", excess))
            elif hub.thread_ident == me:
                out.append((hub, "a hub the test made in its own thread and did not destroy() "
                                 "(its epoll and wake-up fds stay open)", None))
            elif _thread_alive(hub.thread_ident):
                out.append((hub, f"the hub of {_thread_name(hub.thread_ident)}, a thread started "
                                 f"during the test that is still running: join it (or stop what "
                                 f"runs in it) before the test ends", None))
            else:
                out.append((hub, f"the hub of ended thread {hub.thread_ident}, never destroyed",
                            None))
        return out

    def check(self):
        """Settle the calling thread's hub, then return the text naming everything left behind in
        any hub, or None if nothing was."""
        current = get_hub_if_exists()
        runnable = current is not None and not current.closed and not current.dead
        raised = []
        if runnable:
            for _ in range(3):
                _settle_step(0, raised)
        deadline = time.monotonic() + SETTLE_SECONDS
        collected = False
        while True:
            problems = self._problems()
            if not problems and not raised:
                return None
            if not collected and any(excess is None for _, _, excess in problems):
                # A hub nobody references any more is freed (and its fds closed) by the collector.
                gc.collect()
                collected = True
                continue
            if not problems or time.monotonic() >= deadline:
                return _report(problems, raised)
            if runnable:
                _settle_step(0.01, raised)
            else:
                time.sleep(0.01)


def check_process():
    """For the end of a child Python a test runs: settle this thread's hub and exit with status 3,
    naming what is left, if anything is left in any hub of the process."""
    from fasthub.core._hub import get_hub
    report = Snapshot(get_hub(), "the main thread's hub").check()
    if report:
        sys.stdout.flush()
        print(report.replace("the test left", "the child process left", 1), file=sys.stderr)
        sys.stderr.flush()
        os._exit(3)


def _settle_step(seconds, raised):
    # What the test left may raise into the main greenlet as the hub runs it (a Timeout it never
    # cancelled fires): that is a leak too, reported with the rest.
    try:
        sleep(seconds)
    except BaseException as e:
        raised.append(e)


def _report(problems, raised=()):
    lines = ["the test left things behind in fasthub's hubs (tests/leakcheck.py; "
             "@pytest.mark.leaks_allowed('why') opts out a test whose point is the leak):"]
    for e in raised:
        lines.append(f"- raised into the main greenlet while the hub settled after the test (a "
                     f"Timeout or a kill the test left pending?): {e!r}")
    for hub, where, excess in problems:
        lines.append(f"- {where}: {hub!r}")
        if excess is None:
            continue
        _, c = _counts(hub)
        for key, n in excess.items():
            lines.append(f"    {n} {_COUNTS[key]}")
        if "parked" in excess or "workers_busy" in excess:
            entries = introspect.parked(hub)
            lines.extend("    " + line for line in
                         introspect.deadlock_report(hub, entries, []).splitlines())
        if "timers" in excess:
            callbacks = [cb for cb in c["timer_callbacks"] if cb is not _trim_idle_workers]
            lines.append("    timers call: " + ", ".join(_name(cb) for cb in callbacks[:20]))
        if "fd_waiters" in excess:
            lines.append("    fds: " + ", ".join(f"fd {fd} ({direction}) by {_name(user)}"
                                                 for fd, direction, user in c["fds"][:20]))
        if "ready" in excess:
            lines.append("    queued: " + ", ".join(_name(cb) for cb in c["ready_callables"][:20]))
    return "\n".join(lines)


def _name(obj):
    # A greenlet (the wake-up of a sleep or an fd wait) by its label, anything else by its repr.
    if hasattr(obj, "gr_frame") or hasattr(obj, "label"):
        return introspect.label(obj)
    name = getattr(obj, "__qualname__", None)
    return name if name else repr(obj)
