"""monitor_overhead: what fasthub.monitor costs a green-thread ping-pong (issue: at most 3%).

Event-pair ping-pong (the `switch` scenario's event case), rounds alternating monitor off / on
(threshold 0.1 s, the default) in ONE process pinned to one CPU, so the watchdog thread competes for
the same core: the worst case. Reported per round trip: wall time and process CPU time (which includes
the watchdog thread's own CPU); the overhead is the ratio of the best rounds and of the medians.

Run alone: `.venv/bin/python bench/test_monitor_overhead.py`, or through pytest (make bench).
"""

import os
import statistics
import time

N = 50_000
ROUNDS = 15


def _pingpong(n):
    import fasthub
    from test_switch import _green_event_pair  # the switch scenario's Event ping-pong, verbatim

    return _green_event_pair(fasthub.spawn, fasthub.Event, n)()


def measure(rounds=ROUNDS, n=N):
    """{'off': [(wall_us, cpu_us)...], 'on': [...]}, rounds interleaved off/on (order alternating)."""
    from fasthub import monitor

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    _pingpong(n // 10)  # warm up: workers, allocator
    out = {"off": [], "on": []}
    for r in range(rounds):
        for mode in (("off", "on") if r % 2 == 0 else ("on", "off")):
            if mode == "on":
                monitor.start(threshold=0.1)
            w0, c0 = time.perf_counter(), time.process_time()
            _pingpong(n)
            out[mode].append(((time.perf_counter() - w0) / n * 1e6, (time.process_time() - c0) / n * 1e6))
            if mode == "on":
                assert monitor.report() == []  # a ping-pong never blocks the hub
                monitor.stop()
    return out


def summarize(res):
    lines = []
    for kind, idx in (("wall", 0), ("cpu", 1)):
        off = [x[idx] for x in res["off"]]
        on = [x[idx] for x in res["on"]]
        lines.append(f"{kind}: off best {min(off):.3f} us, median {statistics.median(off):.3f} us; "
                     f"on best {min(on):.3f} us, median {statistics.median(on):.3f} us; overhead "
                     f"best {100 * (min(on) / min(off) - 1):+.1f}%, median "
                     f"{100 * (statistics.median(on) / statistics.median(off) - 1):+.1f}%")
    return lines


def test_monitor_overhead():
    res = measure()
    for line in summarize(res):
        print("  monitor_overhead", line)
    assert len(res["off"]) == len(res["on"]) == ROUNDS


if __name__ == "__main__":
    for line in summarize(measure()):
        print(line)
