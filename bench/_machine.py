"""What a benchmark run records about itself, so its figures can be trusted and compared: the code (git
commit, dirty or not), the software (Python and library versions), the machine (CPU model, CPUs, load
average) and a calibration figure.

The calibration is the time of a fixed pure-Python workload with this Python, pinned to the bench CPU,
best of 7 (and the median): a figure for how fast this machine runs the interpreter right now, measured
at the start and at the end of the run. Absolute figures from two machines (or two runs) compare only
through it; the ratios between implementations measured in the same run need nothing of the sort.
"""

import os
import platform
import statistics
import subprocess
import sys
import time

import _harness

ROOT = os.path.dirname(_harness.BENCH_DIR)
# Files a run writes itself: their being modified does not make the measured code dirty.
_OUTPUTS = {"bench/RESULTS.md", "bench/results.json"}
_PACKAGES = ("fasthub", "greenlet", "gevent", "eventlet", "uvloop", "websockets", "gevent-websocket",
             "psycopg", "psutil")
CALIBRATION_CHECKSUM = 375_810


def git_state():
    """{"commit": sha or None, "dirty": [modified or untracked paths other than the run's outputs]}."""
    def git(*args):
        p = subprocess.run(["git", "-C", ROOT] + list(args), capture_output=True, text=True)
        return p.stdout if p.returncode == 0 else None

    commit = (git("rev-parse", "HEAD") or "").strip() or None
    status = git("status", "--porcelain") or ""
    dirty = [line[3:] for line in status.splitlines() if line[3:] not in _OUTPUTS]
    return {"commit": commit, "dirty": dirty}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions():
    """Versions of Python and of the libraries compared (package metadata; nothing imported)."""
    from importlib import metadata
    out = {"python": f"{platform.python_implementation()} {platform.python_version()}"}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def load():
    """The 1-minute load average (what else this machine was doing)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def workload():
    """The calibration workload: integer arithmetic, dict and list operations, string formatting,
    sorting with a key function. Fixed; its checksum proves it did all its work."""
    counts = {}
    acc = 0
    for i in range(150_000):
        k = (i * 7919) % 1021
        counts[k] = counts.get(k, 0) + 1
        acc = (acc + len(f"{i}:{k}")) % 1_000_003
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return acc + ranked[0][0]


def _calibrate_child():
    _harness.pin(_harness.bench_cpu())
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        check = workload()
        times.append(time.perf_counter() - t0)
        if check != CALIBRATION_CHECKSUM:
            raise SystemExit(f"calibration checksum {check}, expected {CALIBRATION_CHECKSUM}")
    print(min(times), statistics.median(times))


def calibrate():
    """{"best": seconds, "median": seconds} of the workload, in a fresh process on the bench CPU."""
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--calibrate"], capture_output=True,
                       text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"calibration failed: {p.stdout}{p.stderr}")
    best, median = map(float, p.stdout.split())
    return {"best": best, "median": median}


def describe():
    """Everything recorded at the start of a run."""
    return {"git": git_state(), "versions": versions(), "cpu_model": cpu_model(), "cpus": os.cpu_count(),
            "system": f"{platform.system()} {platform.release()}", "load_start": load(),
            "bench_cpu": _harness.bench_cpu(), "calibration_start": calibrate()}


if __name__ == "__main__":
    if sys.argv[1:] == ["--calibrate"]:
        _calibrate_child()
    else:
        print(describe())
