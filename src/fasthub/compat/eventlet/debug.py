"""``eventlet.debug``: spew/unspew, hub listener and timer dumps, and the debug switches.

``hub_blocking_detection(True, resolution)`` starts ``fasthub.monitor`` with ``threshold =
resolution`` and action 'raise' (the code that held the hub longer gets BlockingTimeout, and the
report names the call with its stack); False stops it. ``hub_prevent_multiple_readers`` is
always on in fasthub (a second reader of one fd raises ConcurrentUseError); turning it off is
refused. The other switches are accepted: fasthub always reports hub exceptions.
"""

import linecache
import re
import sys

import fasthub
from fasthub import monitor as _monitor

__all__ = ["spew", "unspew", "format_hub_listeners", "format_hub_timers", "hub_listener_stacks",
           "hub_exceptions", "tpool_exceptions", "hub_prevent_multiple_readers",
           "hub_timer_stacks", "hub_blocking_detection", "format_threads_info",
           "format_asyncio_info"]


class Spew:
    """A trace function printing each executed line as ``module:lineno: source`` and, with
    ``show_values``, ``name=value`` for each name of that line found in the frame."""

    def __init__(self, trace_names=None, show_values=True):
        self.trace_names = trace_names
        self.show_values = show_values

    def __call__(self, frame, event, arg):
        if event != "line":
            return self
        lineno = frame.f_lineno
        if "__file__" in frame.f_globals:
            filename = frame.f_globals["__file__"]
            if filename.endswith((".pyc", ".pyo")):
                filename = filename[:-1]
            name = frame.f_globals.get("__name__", "?")
            line = linecache.getline(filename, lineno)
        else:
            name = "[unknown]"
            try:
                line = f"{name}:{lineno} (VM instruction #{frame.f_lasti})"
            except AttributeError:
                line = ""
        if self.trace_names is not None and name not in self.trace_names:
            return self
        line = line.rstrip()
        print(f"{name}:{lineno}: {line}")
        if self.show_values:
            seen = set()
            for token in re.split(r"\W+", line):
                if not token or token in seen:
                    continue
                seen.add(token)
                if token in frame.f_locals:
                    print(f"\t{token}={frame.f_locals[token]!r}")
                elif token in frame.f_globals:
                    print(f"\t{token}={frame.f_globals[token]!r}")
        return self

    def __repr__(self):
        return f"<eventlet.debug.Spew object at {id(self):#x}>"


def spew(trace_names=None, show_values=False):
    """Print every line Python executes (for modules in ``trace_names``, if given)."""
    sys.settrace(Spew(trace_names, show_values))


def unspew():
    """Stop spew()."""
    sys.settrace(None)


def format_hub_listeners():
    """A text listing of the listeners registered through the eventlet hub interface."""
    from fasthub.compat.eventlet import hubs
    hub = hubs.get_hub()
    lines = ["READERS:"] + [repr(x) for x in hub.get_readers()]
    lines += ["WRITERS:"] + [repr(x) for x in hub.get_writers()]
    return "\n".join(lines) + "\n"


def format_hub_timers():
    """A text summary of the hub's timers."""
    timers = fasthub.get_hub().timers
    return f"TIMERS:\n{len(timers) - timers.dead} pending\n"


def format_threads_info():
    """A text listing of the OS threads and where each one is."""
    import traceback
    out = []
    for ident, frame in sys._current_frames().items():
        out.append(f"thread {ident}:\n" + "".join(traceback.format_stack(frame)))
    return "\n".join(out)


def format_asyncio_info():
    """eventlet's asyncio hub dump; fasthub has no asyncio hub."""
    return "fasthub: no asyncio hub\n"


def hub_listener_stacks(state=False):
    """Accepted for compatibility (fasthub does not record registration stacks)."""


def hub_timer_stacks(state=False):
    """Accepted for compatibility (fasthub does not record timer stacks)."""


def hub_exceptions(state=True):
    """Accepted: fasthub's hub always reports exceptions raised in its callbacks."""


def tpool_exceptions(state=False):
    """Accepted: fasthub.tpool always re-raises in the caller."""


def hub_prevent_multiple_readers(state=True):
    """fasthub always refuses a second reader (or writer) on one fd; False raises ValueError."""
    if not state:
        raise ValueError("fasthub always prevents two green threads from reading one fd at once "
                         "(ConcurrentUseError); use one reader green thread per socket")


def hub_blocking_detection(state=False, resolution=1):
    """Start (or stop) fasthub.monitor: code that holds the hub longer than ``resolution``
    seconds gets BlockingTimeout raised in it and is reported with its stack."""
    if state:
        _monitor.start(threshold=resolution, action="raise")
    else:
        _monitor.stop()
