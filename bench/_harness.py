"""Shared machinery of the benchmark scenarios: one worker process per implementation, interleaved rounds.

Why subprocesses. gevent and eventlet each install a hub per OS thread and may patch things when imported;
loading them next to fasthub (and each other) in one interpreter could make one library measure the other's
side effects. So every implementation runs in its own worker process (bench/_worker.py), which imports only
that implementation, and the driver here asks each worker in turn for one round. Rounds are interleaved
(fasthub, threads, gevent, ... then again, starting one place further each time), so a burst of load from
the other engineers' tests on this shared 2-core machine hits every implementation alike instead of all
rounds of one of them. Workers are pinned to one CPU; each round reports wall time and the worker's CPU
time (user + system of the whole process, all its threads), and we keep every round: tables show the
median, the spread (min..max) and the best; ratios between implementations use the medians.

Every implementation a scenario lists must run: one that is not installed or fails to import fails its
test (and `make bench`), unless it is excluded on purpose with BENCH_EXCLUDE (see ``plan``).

A scenario file defines:
    NAME           the scenario, e.g. "switch"
    CASES          {case: description}; most scenarios have one case named like the scenario
    IMPLS          the implementations it compares (a subset of ALL_IMPLS)
    UNIT           what one op is ("spawn+join", "round trip", ...)
    ROUNDS         measured rounds per implementation (one warm-up round is run first and dropped)
    NEEDS          optional {impl: (module, ...)} the scenario needs beyond the implementation itself
    FRESH_PROCESS  True: every round runs in a new worker (memory scenarios)
    setup(impl, case) -> round function; called in the worker. The round function does one round and
                   returns the number of ops it did (timed by the worker), or a dict of measurements.
                   It must check that the work really happened (raise otherwise).
"""

import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(BENCH_DIR, "_worker.py")

ALL_IMPLS = ("fasthub", "threads", "gevent", "eventlet", "asyncio", "uvloop")

# The module each implementation needs; threads and asyncio are the stdlib. A scenario adds its own
# (e.g. the `websockets` library) in NEEDS = {impl: (module, ...)}.
_NEEDS = {"fasthub": ("fasthub",), "gevent": ("gevent",), "eventlet": ("eventlet",), "uvloop": ("uvloop",)}

PREFIX = "@@BENCH "


def send(msg):
    """From a worker or server process to the driver: one JSON line behind PREFIX on stdout (so stray
    prints by a library cannot be mistaken for it)."""
    sys.stdout.write(PREFIX + json.dumps(msg) + "\n")
    sys.stdout.flush()


def excluded():
    """The implementations left out on purpose: $BENCH_EXCLUDE, e.g. "eventlet,gevent" (set by
    `make bench BENCH_EXCLUDE=...` through pytest's --bench-exclude). Anything else must run."""
    names = {x.strip() for x in os.environ.get("BENCH_EXCLUDE", "").split(",") if x.strip()}
    unknown = names - set(ALL_IMPLS)
    if unknown:
        raise ValueError(f"BENCH_EXCLUDE names no implementation: {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(ALL_IMPLS)})")
    return names


def missing(impl, mod=None):
    """Why ``impl`` cannot run scenario ``mod`` here (a string), or None if all it imports is installed."""
    for name in _NEEDS.get(impl, ()) + tuple(getattr(mod, "NEEDS", {}).get(impl, ())):
        if importlib.util.find_spec(name) is None:
            return f"{name} is not installed"
    return None


def plan(mod, case, impls=None):
    """Which implementations run one case: ({impl: outcome known already}, [impl, ...] to run).

    An excluded implementation gets {"skip": ...}; one that is not installed gets {"error": ...}, which
    fails its test and the run: a benchmark that quietly drops a peer would compare less than it says.
    """
    allowed = getattr(mod, "CASE_IMPLS", {}).get(case, mod.IMPLS)
    out = {}
    chosen = [i for i in (impls or mod.IMPLS) if i in allowed]
    ex = excluded()
    for impl in chosen:
        if impl in ex:
            out[impl] = {"skip": "excluded on the command line (BENCH_EXCLUDE)"}
            continue
        reason = missing(impl, mod)
        if reason:
            out[impl] = {"error": f"{impl}: {reason}; install it (make bench does) or leave it out on "
                                  f"purpose: make bench BENCH_EXCLUDE={impl}"}
    return out, [i for i in chosen if i not in out]


def interleaved(impls, rounds):
    """(round, impl) in the order rounds run: every implementation once per round, starting one
    place further each round, so a burst of load from elsewhere hits all of them alike."""
    for r in range(rounds):
        k = r % len(impls) if impls else 0
        for impl in impls[k:] + impls[:k]:
            yield r, impl


def rounds_for(mod, rounds=None):
    """Measured rounds: $BENCH_ROUNDS (smoke runs), else the caller's, else the scenario's ROUNDS."""
    return int(os.environ.get("BENCH_ROUNDS", 0)) or rounds or mod.ROUNDS


def raise_nofile(need):
    """Let this process open ``need`` files (sockets): raise the soft limit, and the hard one where we
    may (root). Raises OSError saying what to do if the system does not allow that many."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft >= need:
        return
    want_hard = hard if hard == resource.RLIM_INFINITY or hard >= need else need
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, want_hard))
    except (ValueError, OSError) as e:
        raise OSError(f"this benchmark needs {need} open files but the limit is {soft} (hard {hard}) and "
                      f"cannot be raised ({e}): run `ulimit -n {need}` (as root, or after raising the hard "
                      f"limit in /etc/security/limits.conf) before make bench") from None


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
        try:
            hello = self._read()
        except WorkerError:
            self.close()
            raise
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
    {impl: {"rounds": [...], "note": str} or {"skip": reason} (excluded) or {"error": text}}."""
    mod = load_scenario(path)
    if hasattr(mod, "measure"):  # network scenarios (bench/_net.py)
        return mod.measure(path, case, impls, rounds, log)
    out, runnable = plan(mod, case, impls)
    cpu = bench_cpu()
    fresh = getattr(mod, "FRESH_PROCESS", False)

    def start(impl):
        try:
            w = Worker(path, impl, case, cpu)
        except WorkerError as e:
            out[impl] = {"error": str(e)}
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
        for _, impl in interleaved(runnable, rounds_for(mod, rounds)):
            if "rounds" not in out.get(impl, {"rounds": None}):
                continue  # failed
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
    if "ops" in r and "wall" in r and "rate" not in r:
        return f"{r['wall'] / r['ops'] * 1e6:9.3f} us/op wall {r['cpu'] / r['ops'] * 1e6:9.3f} us/op cpu ({r['ops']} ops, {r['wall']:.3f} s)"
    return json.dumps({k: v for k, v in r.items() if not isinstance(v, (list, dict))})


def spread(values):
    """median, min, max and count of a list of figures: what every table shows."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def summary(res):
    """Per-op figures of one implementation's rounds (timed scenarios): best, median and spread."""
    rs = res["rounds"]
    walls = spread(r["wall"] / r["ops"] for r in rs)
    cpus_ = spread(r["cpu"] / r["ops"] for r in rs)
    return {
        "best": walls["min"], "median": walls["median"], "wall": walls,
        "cpu_best": cpus_["min"], "cpu_median": cpus_["median"], "cpu": cpus_,
        "ops": rs[0]["ops"], "rounds": len(rs),
    }


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
    """`python bench/<scenario>.py [impl ...]`: run one scenario alone and print its tables (the same
    as RESULTS.md's); exits 1 if an implementation failed."""
    import _report
    mod = load_scenario(path)
    impls = sys.argv[1:] or list(mod.IMPLS)
    print(f"{mod.NAME}: Python {platform.python_version()}, timed processes pinned to CPU {bench_cpu()}")
    failed = False
    for case in mod.CASES:
        res = measure(path, case, impls, log=print)
        print("\n".join(_report.table(mod, case, res)))
        failed = failed or any("error" in r for r in res.values())
    sys.exit(1 if failed else 0)
