"""Run one CPython regression-test module under fasthub.monkey_patch() (started by run.py).

    python _child.py MODULE RESULTS_FILE [SKIP_FILE]

Patches everything first, then imports ``test.<MODULE>`` from this interpreter's own ``test``
package and runs it with unittest. Streams one JSON line per event to RESULTS_FILE: ``{"start": id}``
before a test, then ``{"id", "outcome", "seconds", "detail"}`` after it; outcome is one of pass,
fail, error, skip, xfail (an expectedFailure of CPython's) or xpass. Tests listed in SKIP_FILE (one
id per line, followed by a tab and the reason) are skipped with that reason. A test that runs longer
than FASTHUB_STDLIB_TEST_TIMEOUT seconds makes faulthandler dump every stack and exit; run.py then
records it as a timeout and starts a new child for the tests after it.
"""

import fasthub

fasthub.monkey_patch()

import faulthandler  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import unittest  # noqa: E402

from test import support  # noqa: E402

# Offline and bounded: no test may use the Internet or allocate huge memory; CPU-heavy ones run.
# test_socketserver only talks to 127.0.0.1 but marks its whole module "network".
RESOURCES = ["cpu", "subprocess", "walltime"]
EXTRA_RESOURCES = {"test_socketserver": ["network"]}

_clock = fasthub.patcher.get_original("time", "monotonic")


class StreamingResult(unittest.TestResult):
    def __init__(self, out, per_test_timeout):
        super().__init__()
        self.out = out
        self.per_test_timeout = per_test_timeout
        self.started = {}

    def _write(self, record):
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()

    def startTest(self, test):
        super().startTest(test)
        self._write({"start": test.id()})
        self.started[test.id()] = _clock()
        faulthandler.dump_traceback_later(self.per_test_timeout, exit=True)

    def _done(self, test, outcome, detail=""):
        seconds = _clock() - self.started.pop(test.id(), _clock())
        self._write({"id": test.id(), "outcome": outcome, "seconds": round(seconds, 3),
                     "detail": detail[-4000:]})

    def addSuccess(self, test):
        self._done(test, "pass")

    def addFailure(self, test, err):
        self._done(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        # Errors of setUpClass/setUpModule arrive with a _ErrorHolder, never started.
        if not hasattr(test, "_testMethodName"):
            self._write({"id": test.id(), "outcome": "error", "seconds": 0,
                         "detail": self._exc_info_to_string(err, test)[-4000:]})
            return
        self._done(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        if test.id() in self.started:
            self._done(test, "skip", str(reason))
        else:  # a whole skipped class: unittest reports each test without startTest
            self._write({"id": test.id(), "outcome": "skip", "seconds": 0, "detail": str(reason)})

    def addExpectedFailure(self, test, err):
        self._done(test, "xfail")

    def addUnexpectedSuccess(self, test):
        self._done(test, "xpass")

    def addSubTest(self, test, subtest, err):
        if err is not None:
            outcome = "fail" if issubclass(err[0], test.failureException) else "error"
            self._write({"id": test.id(), "subtest": str(subtest), "outcome": outcome,
                         "detail": self._exc_info_to_string(err, test)[-4000:]})
        super().addSubTest(test, subtest, err)

    def stopTest(self, test):
        faulthandler.cancel_dump_traceback_later()
        super().stopTest(test)


def _apply_skips(suite, skips):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            _apply_skips(test, skips)
            continue
        reason = skips.get(test.id()) or skips.get(test.id().rpartition(".")[0])
        if reason is not None:
            method = getattr(test, test._testMethodName)
            setattr(test, test._testMethodName,
                    unittest.skip("fasthub: " + reason)(method))


def main():
    name, results_file = sys.argv[1], sys.argv[2]
    skips = {}
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            for line in f:
                test_id, _, reason = line.rstrip("\n").partition("\t")
                if test_id:
                    skips[test_id] = reason or "skipped"
    support.use_resources = RESOURCES + EXTRA_RESOURCES.get(name, [])
    per_test_timeout = float(os.environ.get("FASTHUB_STDLIB_TEST_TIMEOUT", "20"))
    with open(results_file, "a") as out:
        try:
            module = importlib.import_module("test." + name)
            suite = unittest.defaultTestLoader.loadTestsFromModule(module)
        except BaseException:
            out.write(json.dumps({"id": f"test.{name}", "outcome": "error", "seconds": 0,
                                  "detail": traceback.format_exc()[-4000:]}) + "\n")
            return 1
        _apply_skips(suite, skips)
        result = StreamingResult(out, per_test_timeout)
        suite.run(result)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # do not wait for threads a failed test left behind
