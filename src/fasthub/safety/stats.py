"""``fasthub.stats()``: what every hub of this process is doing, as plain data.

One entry per OS thread that has a hub: its loop figures (iterations, switches, ready-queue depth,
timers, fd waiters), its green threads by state (running, ready, parked, pending) and by wait site,
and a list of them with what each waits on; plus the longest stalls the monitor
(``fasthub.monitor``) has seen. Reading it costs nothing until it is called: the hub keeps its
counters anyway, and the parked green threads are found through the hub's line of parked waiters
(see fasthub.core.introspect). It may be called from any green thread or OS thread, including one
that is not a hub's (``python -m fasthub top`` asks from a plain OS thread, which answers even when
a hub is stuck).
"""

import os
import sys
import time

from fasthub.core import introspect
from fasthub.core._hub import all_hubs

__all__ = ["stats"]


def _thread_names():
    threading = sys.modules.get("threading")
    if threading is None:
        return {}
    try:
        return {ident: t.name for ident, t in list(threading._active.items())}
    except Exception:
        return {}


def _green_thread_class():
    from fasthub.core._greenthread import GreenThread
    return GreenThread


def _hub_stats(hub, names, frames, caller, max_threads):
    counters = hub.counters()
    entries = introspect.parked(hub)
    parked_greenlets = {id(e["greenlet"]) for e in entries}
    GreenThread = _green_thread_class()
    pending = [c for c in counters.pop("ready_callables") if isinstance(c, GreenThread)]
    running = counters.pop("running")
    # Live objects, for the test suite's leak check: stats() stays plain data.
    counters.pop("timer_callbacks")
    counters.pop("fds")
    in_poll = counters["in_poll"]
    rows = []
    # The green thread the hub is running now, if any (not parked, not the hub, not dead).
    if (running is not None and running is not hub and id(running) not in parked_greenlets
            and not in_poll and not getattr(running, "dead", True)):
        if hub.thread_ident == _get_ident():
            frame = caller if introspect.is_current(running) else introspect.frame_of(running)
        else:
            frame = frames.get(hub.thread_ident)
        site = introspect.wait_site(frame)
        rows.append({"name": introspect.label(running), "state": "running",
                     "site": introspect.format_site(site), "waits_on": None,
                     "group": introspect.group_of(hub, running)})
    for e in entries:
        rows.append({"name": e["label"], "state": e["state"], "site": introspect.format_site(e["site"]),
                     "waits_on": e["what"], "group": introspect.group_of(hub, e["greenlet"])})
    for gt in pending:
        rows.append({"name": introspect.label(gt), "state": "pending", "site": None, "waits_on": None,
                     "group": None})
    by_state = {"running": 0, "ready": 0, "parked": 0, "pending": 0}
    by_site = {}
    for row in rows:
        by_state[row["state"]] += 1
        if row["state"] in ("parked", "ready"):
            by_site[row["site"]] = by_site.get(row["site"], 0) + 1
    order = {"running": 0, "ready": 1, "parked": 2, "pending": 3}
    rows.sort(key=lambda r: order[r["state"]])
    return {
        "thread": hub.thread_ident,
        "thread_name": names.get(hub.thread_ident, str(hub.thread_ident)),
        "backend": hub.backend,
        **counters,
        "green_threads": {**by_state, "total": sum(by_state.values()),
                          "idle_workers": len(hub.idle_workers)},
        "by_wait_site": [{"site": s, "count": n}
                         for s, n in sorted(by_site.items(), key=lambda kv: -kv[1])],
        "threads": rows[:max_threads],
        "threads_omitted": max(0, len(rows) - max_threads),
    }


def _get_ident():
    from fasthub.core.originals import get_original
    return get_original("_thread", "get_ident")()


def _stalls(limit):
    from fasthub.safety import monitor
    mon = monitor.active()
    reports = monitor.report()[:limit]
    return ({"active": mon is not None, "threshold": mon.threshold if mon is not None else None,
             "deadlocks": [d.text for d in monitor.deadlocks()[-limit:]]},
            [{"location": r.location, "call": r.call, "green_thread": r.greenlet,
              "longest": round(r.longest, 6), "count": r.count, "total": round(r.total, 6)}
             for r in reports])


def stats(max_threads=100, max_stalls=10):
    """A snapshot of every hub of this process, as a dict of plain data (JSON-ready).

    ``hubs``: one entry per OS thread with a hub: ``thread``, ``thread_name``, ``backend``,
    ``iterations``, ``switches``, ``ready`` (ready-queue depth), ``timers``, ``fd_waiters``,
    ``parked``, ``in_poll``, ``green_threads`` (counts by state: running, ready, parked, pending, and
    total, plus idle worker greenlets), ``by_wait_site`` (parked green threads per source line,
    most first) and ``threads`` (at most ``max_threads``: name, state, site, waits_on, and group: the
    task group it belongs to, or None).
    ``monitor``: whether the blocking monitor runs, its threshold, and the partial deadlocks it
    reported (the last ``max_stalls``, in words); ``stalls``: its ``max_stalls`` longest reports.
    Never blocks; callable from any green thread or OS thread.
    """
    caller = sys._getframe(1)
    names = _thread_names()
    frames = sys._current_frames()
    hubs = [_hub_stats(h, names, frames, caller, max_threads) for h in all_hubs()]
    hubs.sort(key=lambda h: h["thread"])
    monitor_state, stalls = _stalls(max_stalls)
    return {"pid": os.getpid(), "time": time.time(), "hubs": hubs, "monitor": monitor_state,
            "stalls": stalls}
