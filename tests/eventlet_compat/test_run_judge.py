"""tests/eventlet_compat/run.py (the eventlet judge) on a small test directory written here: a
hanging test is recorded as a hang by its id (pytest-timeout) and shows in RESULTS.md, a module
skipped as a whole keeps its module name as id, and a passing test passes."""

import os
import sys

import pytest

pytestmark = pytest.mark.one_backend

RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.py")

FAKE = '''
import time


def test_passes():
    pass


def test_hangs():
    time.sleep(60)
'''

SKIPPED = '''
import pytest
pytest.skip("not here", allow_module_level=True)
'''


def test_a_hang_is_recorded_by_test_id_and_written_to_the_results(tmp_path, monkeypatch,
                                                                 load_script):
    judge = load_script(RUN, "eventlet_judge")
    base = tmp_path / "sdist"
    (base / "tests").mkdir(parents=True)
    (base / "tests" / "fake_test.py").write_text(FAKE)
    (base / "tests" / "skipped_test.py").write_text(SKIPPED)
    monkeypatch.setattr(judge, "TEST_TIMEOUT", 2)
    monkeypatch.setattr(judge, "RESULTS_FILE", str(tmp_path / "RESULTS.md"))
    got, _ = judge.run_pytest(sys.executable, str(base), str(tmp_path / "work"), {},
                              ["tests/fake_test.py", "tests/skipped_test.py"], None)
    assert got == {"fake_test.test_passes": "passed", "fake_test.test_hangs": "timeout",
                   "skipped_test": "skipped"}, got
    ref = {"fake_test.test_passes": "passed", "fake_test.test_hangs": "passed",
           "skipped_test": "skipped"}
    judge.write_results(ref, "2026-01-01", got, {}, ["fake_test.test_hangs"],
                        ["fake_test.test_hangs"], ["fake_test.test_passes"],
                        ["fake_test.test_hangs", "fake_test.test_passes"])
    text = (tmp_path / "RESULTS.md").read_text()
    assert "**1 of the 2 tests that pass on the real eventlet pass" in text
    assert "## Hung\n\n- `fake_test.test_hangs` (over 2s)" in text
    assert "| fake_test | 1 | 1 | 0 | 1 | 1 | 0 | 2 | 0 | 0 |" in text
    assert "| skipped_test | 0 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 1 |" in text
