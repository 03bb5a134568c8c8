"""tests/stdlib/run.py and _child.py on a small unittest module written here: a hanging test is
recorded by its id and the module goes on after it, a failing subTest makes one failed test, and a
test that fails only once is reported flaky rather than failed."""

import os
import textwrap

import pytest

pytestmark = pytest.mark.one_backend

RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stdlib", "run.py")

MODULE = '''
import os
import unittest

from fasthub.patcher import get_original


class T(unittest.TestCase):
    def test_a_passes(self):
        pass

    def test_b_fails_in_a_subtest(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertNotEqual(i, 1)

    def test_c_hangs(self):
        get_original("time", "sleep")(60)  # blocks the whole OS thread: only the watchdog sees it

    def test_d_runs_after_the_hang(self):
        pass

    def test_e_fails_once(self):
        marker = os.environ["RUNNER_TEST_MARKER"]
        if not os.path.exists(marker):
            open(marker, "w").close()
            self.fail("first run")
'''


def test_hang_subtest_and_flaky_are_recorded_by_test_id(tmp_path, monkeypatch, load_script):
    path = tmp_path / "runner_selftest.py"
    path.write_text(textwrap.dedent(MODULE))
    monkeypatch.setenv("FASTHUB_STDLIB_TEST_TIMEOUT", "2")
    monkeypatch.setenv("RUNNER_TEST_MARKER", str(tmp_path / "marker"))
    run = load_script(RUN, "fasthub_stdlib_run")
    results, seconds, _log = run.run_module(str(path))
    outcome = {test_id.rpartition(".")[2]: rec for test_id, rec in results.items()}
    assert outcome["test_a_passes"]["outcome"] == "pass"
    sub = outcome["test_b_fails_in_a_subtest"]
    assert sub["outcome"] == "fail" and "(i=1)" in sub["detail"]
    hang = outcome["test_c_hangs"]
    assert hang["outcome"] == "timeout" and "test_c_hangs" in hang["detail"], hang
    assert outcome["test_d_runs_after_the_hang"]["outcome"] == "pass"
    flaky = outcome["test_e_fails_once"]
    assert flaky["outcome"] == "pass" and flaky.get("flaky") and "first run" in flaky["detail"]
    assert seconds < 60
    problems = run.judge(str(path), results)
    assert len(problems) == 2 and all("UNEXPECTED" in p for p in problems), problems
