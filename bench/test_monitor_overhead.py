"""monitor_overhead: what fasthub.monitor costs a green-thread ping-pong (bound: median CPU overhead <= 3%).

Event-pair ping-pong (the `switch` scenario's event case), rounds alternating monitor off / on
(threshold 0.1 s, the default) in ONE process pinned to one CPU, so the watchdog thread competes for
the same core: the worst case. Reported per round trip: wall time and process CPU time (which includes
the watchdog thread's own CPU); the overhead is the ratio of the medians (and of the best rounds). The
test fails if the median CPU overhead exceeds BOUND.

The measurement runs in a child process (it imports fasthub and pins itself; the pytest process that
drives the other scenarios does neither), and measure() restores the CPU affinity it changed.

Run alone: `.venv/bin/python bench/test_monitor_overhead.py`, or through pytest (make bench).
"""

import json
import os
import statistics
import subprocess
import sys
import time

import _harness

NAME = "monitor_overhead"
KIND = "overhead"
N = 50_000
ROUNDS = 15
BOUND = 3.0   # percent, median CPU time per round trip, monitor on vs off


def _pingpong(n):
    import fasthub
    from test_switch import _green_event_pair  # the switch scenario's Event ping-pong, verbatim

    return _green_event_pair(fasthub.spawn, fasthub.Event, n)()


def measure(rounds=ROUNDS, n=N):
    """{'off': [(wall_us, cpu_us)...], 'on': [...]}, rounds interleaved off/on (order alternating).
    Pins this process to the bench CPU for the measurement and restores its affinity afterwards."""
    from fasthub import monitor

    saved = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    _harness.pin(_harness.bench_cpu())
    try:
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
                    blocked = monitor.report()
                    monitor.stop()
                    if blocked:
                        raise AssertionError(f"the monitor reported a ping-pong as blocking: {blocked}")
        return out
    finally:
        if saved is not None:
            os.sched_setaffinity(0, saved)


def result(res):
    """Medians, best rounds and overheads (percent) of one measure() result."""
    out = {"rounds": len(res["on"]), "n": N, "bound": BOUND}
    for kind, idx in (("wall", 0), ("cpu", 1)):
        off = [x[idx] for x in res["off"]]
        on = [x[idx] for x in res["on"]]
        out[kind] = {"off": _harness.spread(off), "on": _harness.spread(on),
                     "overhead_median": 100 * (statistics.median(on) / statistics.median(off) - 1),
                     "overhead_best": 100 * (min(on) / min(off) - 1)}
    return out


def lines(r):
    return [f"{kind}: off median {r[kind]['off']['median']:.3f} us (best {r[kind]['off']['min']:.3f}), "
            f"on median {r[kind]['on']['median']:.3f} us (best {r[kind]['on']['min']:.3f}); overhead "
            f"median {r[kind]['overhead_median']:+.1f}%, best {r[kind]['overhead_best']:+.1f}%"
            for kind in ("wall", "cpu")]


def test_monitor_overhead(record):
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--json"], capture_output=True, text=True,
                       timeout=600)
    msgs = [json.loads(x[len(_harness.PREFIX):]) for x in p.stdout.splitlines() if x.startswith(_harness.PREFIX)]
    assert p.returncode == 0 and msgs, f"exit {p.returncode}:\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}"
    r = msgs[-1]
    record(NAME, r)
    for line in lines(r):
        print("  monitor_overhead", line)
    assert r["rounds"] == _harness.rounds_for(sys.modules[__name__])
    assert r["cpu"]["overhead_median"] <= BOUND, (
        f"fasthub.monitor costs {r['cpu']['overhead_median']:+.1f}% CPU per round trip (median), over the "
        f"{BOUND}% bound: " + "; ".join(lines(r)))


if __name__ == "__main__":
    out = result(measure(_harness.rounds_for(sys.modules[__name__])))
    if "--json" in sys.argv:
        print(_harness.PREFIX + json.dumps(out))
    else:
        print("\n".join(lines(out)))
