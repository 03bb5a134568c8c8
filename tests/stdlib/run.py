"""Conformance: CPython's own regression tests, run under fasthub.monkey_patch().

    python tests/stdlib/run.py [-j N] [--module NAME ...] [--no-results] [-v]

Runs, with the interpreter running this script, each module of MODULES from that interpreter's
installed ``test`` package (never a copy in this tree), one child process per module (_child.py
patches everything before importing the test module). Tests listed in expected_failures.py for this
CPython version are expected to fail (or are skipped, for resource-hungry or environment-bound
ones), each with a one-line reason.

Exit status 1 if any test fails that is not listed, if a listed failure now passes (remove it: the
list only shrinks), or if a listed test no longer exists. Rewrites this version's rows of RESULTS.md
(other versions' rows are kept). A test that hangs is stopped by the child's watchdog after
FASTHUB_STDLIB_TEST_TIMEOUT seconds (default 20) and recorded as a timeout under its own id; the
module goes on with the tests after it. A module is given MODULE_TIMEOUT seconds in all. A test that
fails unexpectedly is run once more alone (the machine is shared: ports race) and reported FLAKY if
it passes then.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import expected_failures  # noqa: E402

# Every module that exercises what fasthub patches or builds on. A module this interpreter's test
# package does not have (removed from CPython: asyncore 3.12, telnetlib 3.13; or left out of the
# build) is reported as such, not silently dropped.
MODULES = ["test_socket", "test_selectors", "test_select", "test_poll", "test_epoll", "test_threading",
           "test_thread", "test_threading_local", "test_queue", "test_concurrent_futures",
           "test_subprocess", "test_signal", "test_time", "test_timeout", "test_ssl", "test_httplib",
           "test_socketserver", "test_urllib2_localnet", "test_httpservers", "test_wsgiref",
           "test_xmlrpc", "test_logging", "test_ftplib", "test_poplib", "test_smtplib", "test_imaplib",
           "test_asyncore", "test_telnetlib"]
# Only these tests of a module (a regular expression on the test id): fasthub patches threads, not
# multiprocessing, so test_concurrent_futures runs its thread-pool and executor-independent tests.
SELECT = {"test_concurrent_futures": r"\.(ThreadPool\w*|FutureTests)\."}
MODULE_TIMEOUT = 300
VERSION = "%d.%d" % sys.version_info[:2]
FAILED = ("fail", "error", "timeout", "crash")
EXIT_TIMEOUT = 3  # _child.py: its watchdog recorded a timeout and ended the child
MISSING = "missing"


def available(name):
    """True if this interpreter's ``test`` package has the module (or package) ``name`` (a path to
    a .py file: the runner's own tests)."""
    import importlib.util

    if name.endswith(".py"):
        return os.path.exists(name)
    return importlib.util.find_spec("test." + name) is not None


def _read(out_path, results):
    """Add the final records of one child to ``results``; return the id of a test it started but
    did not finish (None if none)."""
    unfinished = None
    if not os.path.exists(out_path):
        return None
    with open(out_path) as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut short by the child's death
            if "start" in rec:
                unfinished = rec["start"]
                continue
            results[rec["id"]] = rec
            if rec["id"] == unfinished:
                unfinished = None
    return unfinished


def _run_child(cmd, cwd, timeout, err_path):
    """Run one child; return (exit status or "killed", its stderr).

    Its output goes to files, not pipes: a process a test forked and left behind (a process pool
    worker) would hold a pipe open and keep us waiting for EOF. The child runs in a session of its
    own, and whatever is still running in that session when it ends is killed."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONWARNINGS", None)
    with open(err_path, "w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            status = "killed"
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        err.seek(0)
        return status, err.read()


def run_module(name, verbose=False):
    """Run one test module in child processes until every test has a result; return
    (results {id: record}, wall seconds, log text).

    A child that ends early (its watchdog stopped a hanging test, or it crashed inside a test) is
    followed by a new one that runs the tests not yet recorded, so one bad test costs one result.
    A test that fails unexpectedly is run once more, alone: this machine is shared, and a port that
    find_unused_port() found free may be taken before the test binds it. One that passes then is
    recorded as passed and flagged flaky (run.py prints it)."""
    t0 = time.monotonic()
    if not available(name):
        return {f"test.{name}": {"id": f"test.{name}", "outcome": MISSING, "seconds": 0,
                                 "detail": "not in this interpreter's test package"}}, 0.0, ""
    logs = []
    expected = expected_failures.failures(VERSION, name)
    with tempfile.TemporaryDirectory(prefix="fasthub-stdlib-") as tmp:
        results = _run_tests(name, SELECT.get(name, ""), t0, tmp, "run", logs, verbose)
        again = [t for t, rec in results.items()
                 if rec["outcome"] in ("fail", "error", "timeout") and t not in expected
                 and t != f"test.{name}" and " " not in t]  # not the module's or a fixture's
        if again:
            select = "^(" + "|".join(re.escape(t) for t in again) + ")$"
            for test_id, rec in _run_tests(name, select, t0, tmp, "rerun", logs, verbose).items():
                if test_id in again and rec["outcome"] == "pass":
                    first = results[test_id]
                    results[test_id] = dict(rec, flaky=True, detail="failed, then passed when run "
                                            "again alone; the first run:\n" + first["detail"])
    return results, time.monotonic() - t0, "\n".join(logs)


def _run_tests(name, select, t0, tmp, tag, logs, verbose):
    skips = expected_failures.skips(VERSION, name)
    results = {}
    attempt = 0
    while True:
        attempt += 1
        out_path = os.path.join(tmp, f"{tag}-results-{attempt}.jsonl")
        skip_path = os.path.join(tmp, f"{tag}-skip-{attempt}.txt")
        with open(skip_path, "w") as f:
            for test_id, reason in skips.items():
                f.write(f"{test_id}\t{reason}\n")
            for test_id in results:
                f.write(f"{test_id}\t__done__\n")
        remaining = MODULE_TIMEOUT - (time.monotonic() - t0)
        if remaining <= 5:
            results[f"test.{name}"] = {
                "id": f"test.{name}", "outcome": "timeout", "seconds": MODULE_TIMEOUT,
                "detail": f"module time budget of {MODULE_TIMEOUT}s exhausted before every test ran"}
            break
        cmd = [sys.executable, os.path.join(HERE, "_child.py"), name, out_path, skip_path, select]
        status, stderr = _run_child(cmd, tmp, remaining, os.path.join(tmp, f"{tag}-err-{attempt}.txt"))
        before = len(results)
        unfinished = _read(out_path, results)
        if verbose and stderr.strip():
            logs.append(f"--- {name} {tag} {attempt} stderr (status {status}):\n{stderr[-3000:]}")
        if status == 0:
            break
        if unfinished is not None:
            # Died inside a test without recording it (a crash, or the module's time budget).
            results[unfinished] = {
                "id": unfinished, "outcome": "timeout" if status == "killed" else "crash",
                "seconds": 0, "detail": f"child status {status}:\n{stderr[-3000:]}"}
        elif status == EXIT_TIMEOUT and len(results) > before:
            last = list(results.values())[-1]
            if last["outcome"] == "timeout" and last["id"].endswith(")"):
                break  # a fixture hung: the tests after it would only hang again
        else:
            # Died outside any test (import error, module fixture): record and stop.
            results.setdefault(f"test.{name}", {
                "id": f"test.{name}", "outcome": "crash", "seconds": 0,
                "detail": f"child exited with status {status} outside a test:\n{stderr[-3000:]}"})
            break
        if len(results) == before:
            break  # no progress: do not loop
    return results


def judge(name, results):
    """Problems (strings) in one module's results against the expected failures."""
    expected = expected_failures.failures(VERSION, name)
    problems = []
    for test_id, rec in sorted(results.items()):
        outcome = rec["outcome"]
        if outcome in FAILED or outcome == "xpass":
            if test_id not in expected:
                first = rec.get("detail", "").strip().splitlines()
                problems.append(f"UNEXPECTED {outcome.upper()}: {test_id}\n"
                                + "\n".join("    " + l for l in first[-12:]))
        elif outcome in ("pass", "xfail") and test_id in expected:
            problems.append(f"NOW PASSES (remove it from expected_failures.py): {test_id}")
    crashed = any(r["outcome"] == "crash" and r["id"] == f"test.{name}" for r in results.values())
    for test_id in sorted(expected):
        if test_id not in results and not crashed:
            problems.append(f"LISTED BUT NOT FOUND (remove it from expected_failures.py): {test_id}")
    return problems


def counts(results):
    c = {"tests": 0, "passed": 0, "failed": 0, "skipped": 0}
    for rec in results.values():
        if rec["id"].count(".") < 2:
            if rec["outcome"] in FAILED:
                c["failed"] += 1
            continue
        c["tests"] += 1
        if rec["outcome"] in ("pass", "xfail"):
            c["passed"] += 1
        elif rec["outcome"] == "skip":
            c["skipped"] += 1
        else:
            c["failed"] += 1
    return c


ROW = re.compile(r"^\| (test_[\w.]+) \| (3\.\d+) \|")


def write_results(rows):
    """Replace this version's rows in RESULTS.md, keep the others (locked: versions may run at once)."""
    import fcntl

    with open(os.path.join(tempfile.gettempdir(), "fasthub-stdlib-results.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _write_results(rows)


def _write_results(rows):
    path = os.path.join(HERE, "RESULTS.md")
    kept = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                m = ROW.match(line)
                if m and m.group(2) != VERSION:
                    kept[(m.group(1), m.group(2))] = line.rstrip("\n")
    for name, c, expected_n, seconds, ok in rows:
        if c is None:
            kept[(name, VERSION)] = (f"| {name} | {VERSION} | - | - | - | - | - | - | "
                                     f"not in this interpreter's test package |")
            continue
        kept[(name, VERSION)] = (
            f"| {name} | {VERSION} | {c['tests']} | {c['passed']} | {c['failed']} | {expected_n} | "
            f"{c['skipped']} | {seconds:.0f} | {'ok' if ok else 'FAILING'} |")
    order = {m: i for i, m in enumerate(MODULES)}
    lines = [
        "# CPython's own tests under fasthub.monkey_patch()",
        "",
        "Generated by `tests/stdlib/run.py` (`make test-stdlib`); do not edit by hand. Each module of",
        "each interpreter's installed `test` package runs in its own process after `monkey_patch()`.",
        "`failed` counts failures and errors (including the expected ones, listed with their reasons",
        "in `expected_failures.py`); `skipped` includes CPython's own skips (resources, platform) and",
        "the few skipped by fasthub for time or environment (also listed there). `status` is `ok` when",
        "every failure was expected and no expected failure passed. A test that hangs is stopped by",
        "the child's watchdog and counts as a failure under its own id; the module goes on after it.",
        "A module missing from an interpreter's test package (removed from CPython, or left out of",
        "that build: pyenv's 3.11 and 3.12 ship no test_concurrent_futures) is marked so.",
        "",
        "| module | python | tests | passed | failed | expected failures | skipped | seconds | status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key in sorted(kept, key=lambda k: (order.get(k[0], 99), k[1])):
        lines.append(kept[key])
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-j", type=int, default=int(os.environ.get("FASTHUB_STDLIB_JOBS", "3")),
                        help="modules run at once (default 3: most tests mostly sleep)")
    parser.add_argument("--module", action="append", help="run only these modules")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite RESULTS.md")
    parser.add_argument("-v", action="store_true", help="show the children's stderr")
    args = parser.parse_args()
    modules = args.module or MODULES
    t0 = time.monotonic()
    print(f"CPython {sys.version.split()[0]}: {len(modules)} stdlib test modules under monkey_patch()",
          flush=True)
    with ThreadPoolExecutor(max_workers=args.j) as pool:
        futures = {name: pool.submit(run_module, name, args.v) for name in modules}
        rows = []
        all_problems = []
        for name in modules:
            results, seconds, log = futures[name].result()
            if results.get(f"test.{name}", {}).get("outcome") == MISSING:
                rows.append((name, None, 0, 0, True))
                print(f"  {name:24} not in this interpreter's test package", flush=True)
                continue
            problems = judge(name, results)
            c = counts(results)
            n_expected = len(expected_failures.failures(VERSION, name))
            rows.append((name, c, n_expected, seconds, not problems))
            status = "ok" if not problems else "FAILING"
            print(f"  {name:24} {c['tests']:4} tests  {c['passed']:4} passed  {c['failed']:3} failed "
                  f"({n_expected} expected)  {c['skipped']:3} skipped  {seconds:5.0f}s  {status}",
                  flush=True)
            if log:
                print(log)
            for p in problems:
                print("    " + p.replace("\n", "\n    "))
            for test_id in sorted(t for t, rec in results.items() if rec.get("flaky")):
                print(f"    FLAKY (failed, passed when run again alone): {test_id}")
            all_problems.extend(problems)
    if not args.no_results and not args.module:
        write_results(rows)
    print(f"CPython {VERSION}: {'OK' if not all_problems else f'{len(all_problems)} problem(s)'} "
          f"in {time.monotonic() - t0:.0f}s", flush=True)
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
