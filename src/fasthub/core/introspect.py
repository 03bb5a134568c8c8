"""Who is waiting where, on what: naming parked green threads for LoopExit, the monitor and stats.

Everything here runs only when someone asks (a deadlock, the monitor's check, ``fasthub.stats()``),
never on a wait path. The wait paths record just enough, cheaply: each parked Waiter sits in its hub's
line (``Hub.parked_waiters()``) with its kind (sleep, fd read/write, other) and the object it waits on
(``on``: the Lock, Queue, GreenThread ... a wait list was made for). The rest is read here, from
live objects:

- the green thread's name (GreenThread.label) and where it waits: the innermost frame of its stack
  that is not fasthub's own library code, so the report points at the user's line (the innermost
  frame when the whole stack is fasthub's: a server's accept loop);
- what holds the object it waits on, for primitives that can say: an object with a
  ``_fasthub_holders()`` method returns ``[(holder greenlet or GreenThread, (file, line) where it
  took it or None), ...]`` (a Lock names its holder; a GreenThread being joined is "held" by
  itself: the joiner waits for it to end);
- the wait-for graph those edges make, and its cycles (a deadlock among green threads).

Frames of a greenlet that runs in another OS thread are read without stopping it: the answer is a
snapshot that may be a moment stale, never a crash.
"""

import os
import sys

__all__ = ["label", "wait_site", "format_site", "is_current", "frame_of", "describe_on", "holders",
           "group_of", "parked", "holding_edges",
           "wait_for_cycles", "format_cycle", "deadlock_report"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Frames of fasthub's own library code are the machinery of a wait, not the place where a user waits
# (the demo is an application like any other).
_DEMO = os.path.join(_PACKAGE, "demo") + os.sep


def label(g):
    """A short human name for greenlet ``g`` (a Worker's GreenThread, the main greenlet, ...) or for
    a GreenThread itself."""
    if g is None:
        return "the hub itself (a callback)"
    task = getattr(g, "task", None) if not hasattr(g, "label") else g
    if task is not None and hasattr(task, "label"):
        return f"green thread {task.label!r}"
    if getattr(g, "parent", 0) is None:
        return "the main greenlet"
    run = getattr(g, "run", None)
    name = getattr(run, "__qualname__", None)
    return f"greenlet {name!r}" if name else f"greenlet at {id(g):#x}"


def _is_machinery(filename):
    return (filename.startswith(_PACKAGE + os.sep) and not filename.startswith(_DEMO)) \
        or "/greenlet/" in filename


def wait_site(frame):
    """(filename, line, function) of the innermost frame of the stack ending at ``frame`` that is not
    fasthub's own library code; the innermost frame if all are; None without a frame."""
    first = None
    f = frame
    while f is not None:
        code = f.f_code
        if first is None:
            first = f
        if not _is_machinery(code.co_filename):
            return code.co_filename, f.f_lineno, code.co_name
        f = f.f_back
    if first is None:
        return None
    return first.f_code.co_filename, first.f_lineno, first.f_code.co_name


def format_site(site):
    """'path:line in function' with fasthub's own files shortened to 'fasthub/...', others relative
    to the current directory when below it."""
    if site is None:
        return "(no Python frame)"
    filename, line, func = site
    if filename.startswith(_PACKAGE + os.sep):
        filename = "fasthub" + filename[len(_PACKAGE):]
    else:
        try:
            rel = os.path.relpath(filename)
        except ValueError:
            rel = filename
        if not rel.startswith(".."):
            filename = rel
    return f"{filename}:{line} in {func}"


def is_current(g):
    """True if ``g`` is the calling greenlet."""
    import greenlet

    return g is greenlet.getcurrent()


def frame_of(g):
    """The innermost Python frame of greenlet ``g`` now: its saved frame when it is suspended; for
    the calling greenlet, the caller's frame; None when it runs in another OS thread."""
    if is_current(g):
        return sys._getframe(1)
    return getattr(g, "gr_frame", None)


def holders(on):
    """[(holder, site where it took ``on`` or None)] for an object that can say who holds it (a
    GreenThread being joined says it holds itself until it ends)."""
    fn = getattr(on, "_fasthub_holders", None)
    if fn is None:
        return []
    try:
        return list(fn())
    except Exception:  # a report must never fail because one object could not describe itself
        return []


def describe_on(kind, fd, on):
    """What a wait is on, in words: 'sleep', 'fd 7 (read)', 'Lock at 0x...', 'the end of green
    thread ...'."""
    if kind == "sleep":
        return "sleep"
    if kind in ("read", "write"):
        return f"fd {fd} ({kind})"
    if on is None:
        return "a Waiter"
    describe = getattr(on, "_fasthub_describe", None)
    if describe is not None:
        try:
            return describe()
        except Exception:
            pass
    cls = type(on)
    return f"{cls.__name__} at {id(on):#x}"


def parked(hub, details=True):
    """One dict per green thread parked in ``hub``: greenlet, state ('parked', or 'ready' when woken
    and about to resume), kind, fd, on and holders; with ``details`` also label, what (in words) and
    site (a tuple). Without details it reads no frame: cheap enough for a watchdog to call often."""
    out = []
    for g, kind, fd, on, woken in reversed(hub.parked_waiters()):   # longest parked first
        entry = {"greenlet": g, "state": "ready" if woken else "parked", "kind": kind, "fd": fd,
                 "on": on, "holders": holders(on) if not woken and on is not None else []}
        if details:
            entry["label"] = label(g)
            entry["what"] = describe_on(kind, fd, on)
            entry["site"] = wait_site(frame_of(g)) if g is not None else None
        out.append(entry)
    return out


def group_of(hub, g):
    """The repr of the innermost owner (a TaskGroup ...) of the cancel scopes green thread ``g`` of
    ``hub`` runs in, or None."""
    state = hub.scoped.get(g)
    if state is None:
        return None
    for scope in state.scopes():
        if scope.owner is not None:
            return repr(scope.owner)
    return None


def holding_edges(hubs):
    """The light entries (as parked(details=False)) of the green threads of ``hubs`` that wait on
    something held by someone: the only ones that can be in a wait-for cycle. A wait on anything
    else (a sleep, an fd, an Event) costs one type lookup here, so a watchdog may call this often."""
    can_hold = {}
    out = []
    for hub in hubs:
        for g, kind, fd, on, woken in hub.parked_waiters():
            if woken or on is None:
                continue
            cls = type(on)
            known = can_hold.get(cls)
            if known is None:
                known = can_hold[cls] = hasattr(cls, "_fasthub_holders")
            if not known:
                continue
            found = holders(on)
            if found:
                out.append({"greenlet": g, "state": "parked", "kind": kind, "fd": fd, "on": on,
                            "holders": found})
    return out


def _node(g):
    # One identity per green thread: a GreenThread and the Worker running it are the same node.
    task = getattr(g, "task", None)
    return id(task) if task is not None else id(g)


def wait_for_cycles(entries):
    """The cycles of the wait-for graph of ``entries`` (from parked()): lists of entries, each one
    waiting on something held by the next, the last by the first. Each cycle is reported once."""
    by_node = {}
    for e in entries:
        if e["state"] == "parked" and e["greenlet"] is not None:
            by_node[_node(e["greenlet"])] = e
    edges = {}
    for node, e in by_node.items():
        edges[node] = [_node(h) for h, _ in e["holders"] if _node(h) in by_node]
    cycles = []
    seen_cycles = set()
    done = set()
    for start in by_node:
        if start in done:
            continue
        # Iterative DFS keeping the current path; a back edge to a node on the path is a cycle.
        path, on_path = [start], {start: 0}
        stack = [iter(edges[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(path.pop())
                on_path = {n: i for i, n in enumerate(path)}
                continue
            if nxt in on_path:
                cycle = path[on_path[nxt]:]
                key = frozenset(cycle)
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    cycles.append([by_node[n] for n in cycle])
            elif nxt not in done:
                on_path[nxt] = len(path)
                path.append(nxt)
                stack.append(iter(edges[nxt]))
    return cycles


def _format_entry(e):
    line = f"  {e['label']} waits at {format_site(e['site'])} on {e['what']}"
    for holder, taken in e["holders"]:
        if holder is e["on"]:
            continue  # a join: the green thread it waits for is already named
        where = f" (taken at {format_site(taken)})" if taken else ""
        line += f", held by {label(holder)}{where}"
    return line


def format_cycle(cycle):
    """A wait-for cycle in words, one line per green thread."""
    lines = ["wait-for cycle (deadlock):"]
    for i, e in enumerate(cycle):
        nxt = cycle[(i + 1) % len(cycle)]
        lines.append(f"  {e['label']} at {format_site(e['site'])} waits on {e['what']}, "
                     f"held by {nxt['label']}")
    return "\n".join(lines)


def deadlock_report(hub, entries=None, cycles=None):
    """The text LoopExit carries: every parked green thread of ``hub``, where and on what, and the
    wait-for cycles among them (``entries`` and ``cycles`` when already computed)."""
    if entries is None:
        entries = parked(hub)
    if cycles is None:
        cycles = wait_for_cycles(entries)
    lines = [f"{len(entries)} green thread(s) parked in this hub:"]
    lines.extend(_format_entry(e) for e in entries)
    for cycle in cycles:
        lines.append(format_cycle(cycle))
    return "\n".join(lines)
