"""Run one CPython regression-test module under fasthub.monkey_patch() (started by run.py).

    python _child.py MODULE RESULTS_FILE [SKIP_FILE [SELECT]]

Patches everything first, then imports ``test.<MODULE>`` (a module or a package of them) from this
interpreter's own ``test`` package (or, for the runner's own tests, the file MODULE if it ends in
``.py``) and runs it with unittest. Streams one JSON line per event to
RESULTS_FILE: ``{"start": id}`` before a test, then exactly one ``{"id", "outcome", "seconds",
"detail"}`` after it; outcome is one of pass, fail, error, skip, xfail (an expectedFailure of
CPython's), xpass or timeout. A test whose subTests failed is one failed test whose detail lists
each failing subTest. Tests listed in SKIP_FILE (one id per line, then a tab and the reason) are
skipped with that reason; SELECT (a regular expression) keeps only the tests whose id it matches.

The watchdog: a real OS thread (it must run while the hub's thread is stuck) that, when a test runs
longer than FASTHUB_STDLIB_TEST_TIMEOUT seconds (default 20), writes that test's ``timeout`` record
with every OS thread's stack and every green thread's, then ends the process; run.py starts a new
child for the tests after it. Time spent outside tests (class and module fixtures) is watched too,
and a hang there is recorded under the fixture's name.
"""

import signal

import fasthub

# CPython's tests expect Python's own SIGINT handler (KeyboardInterrupt), which Python installs only
# when SIGINT is not ignored at start-up; a run launched in the background by a non-interactive shell
# or nohup inherits SIGINT ignored, and test_threading's interrupt_main tests then fail (with or
# without fasthub). Give the child what an ordinary `python` started from a terminal has.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

fasthub.monkey_patch()

import faulthandler  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402
import unittest  # noqa: E402

from test import support  # noqa: E402

# Offline and bounded: no test may use the Internet or allocate huge memory; CPU-heavy ones run.
# Some modules that only talk to 127.0.0.1 still mark themselves "network".
RESOURCES = ["cpu", "subprocess", "walltime"]
EXTRA_RESOURCES = {m: ["network"] for m in ("test_socketserver", "test_xmlrpc", "test_timeout",
                                             "test_logging", "test_httpservers")}

_original = fasthub.patcher.get_original
_clock = _original("time", "monotonic")
_real_sleep = _original("time", "sleep")
_real_lock = _original("_thread", "allocate_lock")
_real_start = _original("_thread", "start_new_thread")

EXIT_TIMEOUT = 3  # run.py: the watchdog ended the child after recording a timeout
DONE = "__done__"  # SKIP_FILE reason of the tests an earlier child already ran


class Watchdog:
    """Times the running test (or fixture) from a real OS thread; see the module docstring."""

    def __init__(self, out, limit):
        self.out = out
        self.limit = limit
        self.write_lock = _real_lock()
        self.label = None       # the test id (or fixture name) being timed, None when idle
        self.deadline = None
        self.generation = 0
        _real_start(self._run, ())

    def write(self, record):
        # The main thread and the watchdog both write: one line at a time.
        if not self.write_lock.acquire(True, 5):
            return
        try:
            self.out.write(json.dumps(record) + "\n")
            self.out.flush()
        finally:
            self.write_lock.release()

    def arm(self, label):
        self.label = label
        self.deadline = _clock() + self.limit
        self.generation += 1

    def disarm(self):
        self.label = None
        self.deadline = None
        self.generation += 1

    def _run(self):
        from fasthub.core._hub import register_internal_thread

        register_internal_thread(_original("_thread", "get_ident")())  # not one of the tests' threads
        while True:
            _real_sleep(0.1)
            generation, label, deadline = self.generation, self.label, self.deadline
            if deadline is None or _clock() < deadline:
                continue
            if generation != self.generation:
                continue  # the test ended meanwhile
            self._expire(label)

    def _expire(self, label):
        detail = (f"fasthub watchdog: still running after {self.limit:.0f} s "
                  f"(FASTHUB_STDLIB_TEST_TIMEOUT)\n" + _stacks())
        self.write({"id": label, "outcome": "timeout", "seconds": self.limit, "detail": detail[-6000:]})
        sys.stderr.write(detail)
        sys.stderr.flush()
        os._exit(EXIT_TIMEOUT)


def _stacks():
    # Every OS thread's stack (faulthandler: safe from this thread) and every suspended green
    # thread's (their frames do not move while the main thread is stuck).
    with tempfile.TemporaryFile("w+") as f:
        faulthandler.dump_traceback(f, all_threads=True)
        f.seek(0)
        text = "--- OS threads\n" + f.read()
    try:
        import greenlet

        green = []
        for obj in gc.get_objects():
            if isinstance(obj, greenlet.greenlet) and obj.gr_frame is not None:
                green.append(f"{obj!r}\n" + "".join(traceback.format_stack(obj.gr_frame)))
        if green:
            text += "--- green threads\n" + "\n".join(green[:20])
    except Exception as e:  # noqa: BLE001 - best effort: the OS stacks are already there
        text += f"(green thread stacks unavailable: {e!r})\n"
    return text


_ORDER = {"pass": 0, "skip": 0, "xfail": 0, "xpass": 1, "fail": 2, "error": 3}


class StreamingResult(unittest.TestResult):
    """Writes one start record and one final record per test (see the module docstring)."""

    def __init__(self, watchdog):
        super().__init__()
        self.watchdog = watchdog
        self.current = None  # {id, start, outcome, detail, subtests} of the running test

    def startTest(self, test):
        super().startTest(test)
        self.watchdog.write({"start": test.id()})
        self.current = {"id": test.id(), "start": _clock(), "outcome": None, "detail": "",
                        "subtests": []}
        self.watchdog.arm(test.id())

    def _set(self, test, outcome, detail=""):
        cur = self.current
        if cur is None or cur["id"] != test.id():
            # Reported without startTest: a whole skipped class, or an error of setUpClass /
            # setUpModule (an _ErrorHolder whose id names the fixture).
            self.watchdog.write({"id": test.id(), "outcome": outcome, "seconds": 0,
                                 "detail": detail[-4000:]})
            return
        if cur["outcome"] is None or _ORDER[outcome] > _ORDER[cur["outcome"]]:
            cur["outcome"] = outcome
            cur["detail"] = detail

    def addSuccess(self, test):
        self._set(test, "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        self._set(test, "skip", str(reason))

    def addExpectedFailure(self, test, err):
        self._set(test, "xfail")

    def addUnexpectedSuccess(self, test):
        self._set(test, "xpass")

    def addSubTest(self, test, subtest, err):
        if err is not None and self.current is not None and self.current["id"] == test.id():
            outcome = "fail" if issubclass(err[0], test.failureException) else "error"
            self.current["subtests"].append(
                (outcome, f"{subtest}: " + self._exc_info_to_string(err, test)))
        super().addSubTest(test, subtest, err)

    def stopTest(self, test):
        cur, self.current = self.current, None
        if cur is not None and cur["id"] == test.id():
            outcome, detail = cur["outcome"], cur["detail"]
            for sub_outcome, sub_detail in cur["subtests"]:
                if outcome is None or _ORDER[sub_outcome] > _ORDER[outcome]:
                    outcome = sub_outcome
                detail += ("\n" if detail else "") + sub_detail
            if outcome is None:  # no outcome reported at all: unittest itself went wrong
                outcome, detail = "error", "fasthub: the test reported no outcome"
            self.watchdog.write({"id": cur["id"], "outcome": outcome,
                                 "seconds": round(_clock() - cur["start"], 3),
                                 "detail": detail[-4000:]})
        # Between tests (class and module fixtures) the watchdog keeps timing, under this name.
        self.watchdog.arm(f"{test.id()} (fixtures after it)")
        super().stopTest(test)


def _filter(suite, skips, select):
    kept = unittest.TestSuite()
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            sub = _filter(test, skips, select)
            if sub.countTestCases():
                kept.addTest(sub)
            continue
        if not hasattr(test, "_testMethodName"):  # a load error (_FailedTest) or a fixture holder
            kept.addTest(test)
            continue
        if select and not select.search(test.id()):
            continue
        reason = skips.get(test.id()) or skips.get(test.id().rpartition(".")[0])
        if reason == DONE:
            continue  # recorded by an earlier child of this module
        if reason is not None:
            method = getattr(test, test._testMethodName)
            setattr(test, test._testMethodName, unittest.skip("fasthub: " + reason)(method))
        kept.addTest(test)
    return kept


def _import(name):
    # A path to a .py file is the runner's own tests (tests/test_stdlib_runner.py).
    if name.endswith(".py"):
        spec = importlib.util.spec_from_file_location(os.path.basename(name)[:-3], name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return importlib.import_module("test." + name)


def main():
    name, results_file = sys.argv[1], sys.argv[2]
    skips = {}
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            for line in f:
                test_id, _, reason = line.rstrip("\n").partition("\t")
                if test_id:
                    skips[test_id] = reason or "skipped"
    select = re.compile(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
    support.use_resources = RESOURCES + EXTRA_RESOURCES.get(name.partition(".")[0], [])
    limit = float(os.environ.get("FASTHUB_STDLIB_TEST_TIMEOUT", "20"))
    with open(results_file, "a") as out:
        watchdog = Watchdog(out, limit)
        watchdog.arm(f"test.{name} (import and setUpModule)")
        try:
            module = _import(name)
            suite = unittest.defaultTestLoader.loadTestsFromModule(module)
        except BaseException:
            watchdog.write({"id": f"test.{name}", "outcome": "error", "seconds": 0,
                            "detail": traceback.format_exc()[-4000:]})
            return 1
        suite = _filter(suite, skips, select)
        result = StreamingResult(watchdog)
        suite.run(result)
        watchdog.disarm()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # do not wait for threads a failed test left behind
