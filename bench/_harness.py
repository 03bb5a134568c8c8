"""Shared machinery of the benchmark scenarios: one worker process per implementation, interleaved rounds.

Why subprocesses. gevent and eventlet each install a hub per OS thread and may patch things when imported;
loading them next to fasthub (and each other) in one interpreter could make one library measure the other's
side effects. So every implementation runs in its own worker process (bench/_worker.py), which imports only
that implementation, and the driver here asks each worker in turn for one round. Rounds are interleaved
(fasthub, threads, gevent, ... then again, starting one place further each time), so a burst of load from
the other engineers' tests on this shared 2-core machine hits every implementation alike instead of all
rounds of one of them. Workers are pinned to one CPU; each round reports wall time and the worker's CPU
time (user + system of the whole process, all its threads), and we keep every round: tables show the best
(min) and the median.

A scenario file defines:
    NAME           the scenario, e.g. "switch"
    CASES          {case: description}; most scenarios have one case named like the scenario
    IMPLS          the implementations it compares (a subset of ALL_IMPLS)
    UNIT           what one op is ("spawn+join", "round trip", ...)
    ROUNDS         measured rounds per implementation (one warm-up round is run first and dropped)
    FRESH_PROCESS  True: every round runs in a new worker (memory scenarios)
    setup(impl, case) -> round function; called in the worker. The round function does one round and
                   returns the number of ops it did (timed by the worker), or a dict of measurements.
                   It must check that the work really happened (raise otherwise).
"""

import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(BENCH_DIR, "_worker.py")

ALL_IMPLS = ("fasthub", "threads", "gevent", "eventlet", "asyncio", "uvloop")

# The module each implementation needs; threads and asyncio are the stdlib.
_NEEDS = {"fasthub": "fasthub", "gevent": "gevent", "eventlet": "eventlet", "uvloop": "uvloop"}

PREFIX = "@@BENCH "


def missing(impl):
    """Why ``impl`` cannot run here (a string), or None if its package is installed."""
    mod = _NEEDS.get(impl)
    if mod is not None and importlib.util.find_spec(mod) is None:
        return f"{mod} is not installed"
    return None


def cpus():
    """The CPUs this process may run on, sorted."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def bench_cpu():
    """The CPU the timed workers are pinned to: $BENCH_CPU, else the last one we may use."""
    env = os.environ.get("BENCH_CPU")
    if env:
        return int(env)
    return cpus()[-1]


def pin(cpu):
    """Pin the calling process to one CPU (no-op where the OS cannot)."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def new_loop(impl):
    """A fresh asyncio event loop: the stdlib one for "asyncio", uvloop's for "uvloop"."""
    import asyncio
    if impl == "uvloop":
        import uvloop
        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def load_scenario(path):
    """Import a scenario file by path (it is not a package module)."""
    name = "bench_" + os.path.splitext(os.path.basename(path))[0]
    if name in sys.modules:
        return sys.modules[name]
    if BENCH_DIR not in sys.path:
        sys.path.insert(0, BENCH_DIR)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


class WorkerError(RuntimeError):
    pass


class Worker:
    """One worker process running one (scenario, implementation, case); rounds on request."""

    def __init__(self, path, impl, case, cpu):
        self.impl = impl
        self._err = tempfile.TemporaryFile(mode="w+")
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, WORKER, path, impl, case, "" if cpu is None else str(cpu)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True, env=env,
        )
        hello = self._read()
        self.skip = hello.get("skip")
        self.note = hello.get("note", "")

    def _read(self):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                self._err.seek(0)
                tail = self._err.read()[-3000:]
                raise WorkerError(f"{self.impl} worker exited with {self.proc.returncode}:\n{tail}")
            if line.startswith(PREFIX):
                msg = json.loads(line[len(PREFIX):])
                if "error" in msg:
                    raise WorkerError(f"{self.impl}: {msg['error']}")
                return msg

    def run_round(self):
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            self.proc.stdout.close()
            if not self.proc.stdin.closed:
                self.proc.stdin.close()
            self._err.close()


def measure(path, case, impls=None, rounds=None, log=None):
    """Run every implementation of one scenario case, rounds interleaved; return
    {impl: {"rounds": [...], "note": str} or {"skip": reason} or {"error": text}}."""
    mod = load_scenario(path)
    if hasattr(mod, "measure"):  # network scenarios (bench/_net.py)
        return mod.measure(path, case, impls, rounds, log)
    allowed = getattr(mod, "CASE_IMPLS", {}).get(case, mod.IMPLS)
    impls = [i for i in (impls or mod.IMPLS) if i in allowed]
    rounds = int(os.environ.get("BENCH_ROUNDS", 0)) or rounds or mod.ROUNDS
    cpu = bench_cpu()
    out = {}
    for impl in impls:
        reason = missing(impl)
        if reason:
            out[impl] = {"skip": reason}
    runnable = [i for i in impls if i not in out]
    fresh = getattr(mod, "FRESH_PROCESS", False)

    def start(impl):
        try:
            w = Worker(path, impl, case, cpu)
        except WorkerError as e:
            out[impl] = {"error": str(e)}
            return None
        if w.skip:
            out[impl] = {"skip": w.skip}
            w.close()
            return None
        out.setdefault(impl, {"rounds": [], "note": w.note})
        return w

    def one_round(w):
        try:
            r = w.run_round()
        except WorkerError as e:
            out[w.impl] = {"error": str(e)}
            return False
        out[w.impl]["rounds"].append(r)
        if log:
            log(f"{mod.NAME}:{case} {w.impl} {format_round(r, mod)}")
        return True

    workers = {}
    try:
        if not fresh:
            for impl in runnable:
                w = start(impl)
                if w is None:
                    continue
                workers[impl] = w
                try:
                    w.run_round()  # warm-up, dropped
                except WorkerError as e:
                    out[impl] = {"error": str(e)}
                    workers.pop(impl).close()
        for r in range(rounds):
            k = r % len(runnable) if runnable else 0
            for impl in runnable[k:] + runnable[:k]:
                st = out.get(impl)
                if st is not None and "rounds" not in st:
                    continue  # skipped or failed
                if fresh:
                    w = start(impl)
                    if w is None:
                        continue
                    try:
                        one_round(w)
                    finally:
                        w.close()
                else:
                    w = workers.get(impl)
                    if w is not None and not one_round(w):
                        workers.pop(impl).close()
    finally:
        for w in workers.values():
            w.close()
    return out


def format_round(r, mod=None):
    if "ops" in r:
        return f"{r['wall'] / r['ops'] * 1e6:9.3f} us/op wall {r['cpu'] / r['ops'] * 1e6:9.3f} us/op cpu ({r['ops']} ops, {r['wall']:.3f} s)"
    return json.dumps(r)


def summary(res):
    """Best/median per-op figures of one implementation's rounds (timed scenarios)."""
    rs = res["rounds"]
    walls = [r["wall"] / r["ops"] for r in rs]
    cpus_ = [r["cpu"] / r["ops"] for r in rs]
    return {
        "best": min(walls), "median": statistics.median(walls),
        "cpu_best": min(cpus_), "cpu_median": statistics.median(cpus_),
        "total_best": min(r["wall"] for r in rs), "ops": rs[0]["ops"], "rounds": len(rs),
    }


def machine_note():
    """One line about the machine, for the results table."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}, "
            f"load average {load[0]:.2f} at the start")


def versions():
    """Versions of the libraries compared (read from package metadata, nothing imported)."""
    from importlib import metadata
    out = {"python": platform.python_version()}
    for name in ("fasthub", "greenlet", "gevent", "eventlet", "uvloop"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


# --- pytest glue ---------------------------------------------------------------------------------------

def feed_benchmark(benchmark, per_op_walls):
    """Hand measured per-op wall times to pytest-benchmark, so its table shows them per round.

    pytest-benchmark times a function in this process; our rounds ran in the workers. We replay them:
    a clock that only advances by the measured duration when the target is called. If this version of
    pytest-benchmark does not let us set its timer, the figures stay in extra_info only.
    """
    if not hasattr(benchmark, "_timer"):
        benchmark.extra_info["note"] = "pytest-benchmark timer not replaceable; see extra_info"
        return
    clock = [0.0]
    it = iter(per_op_walls)

    def timer():
        return clock[0]

    def target():
        clock[0] += next(it)

    benchmark._timer = timer
    benchmark.pedantic(target, rounds=len(per_op_walls), iterations=1)


def main_alone(path):
    """`python bench/<scenario>.py [impl ...]`: run one scenario alone and print its table."""
    mod = load_scenario(path)
    impls = sys.argv[1:] or list(mod.IMPLS)
    print(f"{mod.NAME}: Python {platform.python_version()}, workers pinned to CPU {bench_cpu()}")
    for case in mod.CASES:
        res = measure(path, case, impls, log=print)
        print(f"--- {mod.NAME}:{case} ({mod.CASES[case]})")
        for impl, r in res.items():
            if "rounds" in r and r["rounds"]:
                if "rate" in r["rounds"][0]:
                    rs = r["rounds"]
                    cpu = [x["server_cpu_per_op"] for x in rs if x.get("server_cpu_per_op") is not None]
                    p99 = [x["p99"] for x in rs if x.get("p99") is not None]
                    print(f"  {impl:9s} best {max(x['rate'] for x in rs):11,.0f} {mod.UNIT}/s"
                          + (f"  p99 {min(p99) * 1e3:7.2f} ms" if p99 else "")
                          + (f"  server cpu {min(cpu) * 1e6:7.1f} us/op" if cpu else "") + f"  {r['note']}")
                elif "ops" in r["rounds"][0]:
                    s = summary(r)
                    print(f"  {impl:9s} best {s['best'] * 1e6:9.3f} us/{mod.UNIT}  median {s['median'] * 1e6:9.3f}"
                          f"  cpu {s['cpu_best'] * 1e6:9.3f}  {r['note']}")
                elif "bytes_per" in r["rounds"][0]:
                    vals = ", ".join(f"{x['bytes_per']:,.0f}" for x in r["rounds"])
                    print(f"  {impl:9s} bytes per {mod.UNIT}: {vals} (n={r['rounds'][0]['n']:,})  {r['note']}")
                else:
                    print(f"  {impl:9s} {r['rounds']}  {r['note']}")
            else:
                print(f"  {impl:9s} {r.get('skip') or r.get('error')}")
