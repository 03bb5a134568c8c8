"""pytest glue for the benchmarks: measure each scenario case once (all implementations interleaved),
feed every implementation's rounds to pytest-benchmark, and at the end write the results table.

`make bench` passes --bench-results=bench/RESULTS.md: the generated part of that file (between the
BEGIN/END GENERATED markers) is replaced by this run's tables, the hand-written analysis around it is kept,
and the raw rounds go to bench/results.json.
"""

import datetime
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402
import _report  # noqa: E402

_CACHE = {}
_START = {}


def pytest_addoption(parser):
    parser.addoption("--bench-results", default=None,
                     help="write the results table into this markdown file (and raw rounds to results.json)")


def pytest_collection_modifyitems(config, items):
    # The first test of a scenario measures every implementation (minutes on a loaded machine), so the
    # project's 120 s per-test timeout does not fit; keep a bound all the same.
    for item in items:
        item.add_marker(pytest.mark.timeout(1800))


def pytest_sessionstart(session):
    _START["when"] = datetime.datetime.now().astimezone()
    _START["machine"] = _harness.machine_note()
    _START["argv"] = "python -m pytest " + " ".join(sys.argv[1:])


@pytest.fixture
def measured(request):
    """measured(path, case, impl, benchmark=None) -> that implementation's results.

    The first call for a (scenario, case) measures every implementation, interleaved; later calls reuse it.
    Skips when the implementation is unavailable, fails when its worker failed.
    """

    capman = request.config.pluginmanager.getplugin("capturemanager")

    def log(line):
        # Progress of the long measurement, shown live even though pytest captures output.
        with capman.global_and_fixture_disabled():
            sys.stderr.write("  " + line + "\n")
            sys.stderr.flush()

    def get(path, case, impl, benchmark=None):
        key = (os.path.abspath(path), case)
        if key not in _CACHE:
            log(f"measuring {os.path.basename(path)} {case} ...")
            _CACHE[key] = _harness.measure(key[0], case, log=log)
        mod = _harness.load_scenario(key[0])
        res = _CACHE[key].get(impl)
        if res is None:
            pytest.skip(f"{impl} is not part of {mod.NAME}")
        if "skip" in res:
            pytest.skip(res["skip"])
        if "error" in res:
            pytest.fail(res["error"], pytrace=False)
        if not res["rounds"]:
            pytest.fail(f"{impl}: no round completed")
        if benchmark is not None:
            s = _harness.summary(res)
            benchmark.group = f"{mod.NAME}:{case} (seconds per {mod.UNIT})"
            benchmark.extra_info.update({
                "cpu_per_op_best": s["cpu_best"], "cpu_per_op_median": s["cpu_median"],
                "ops_per_round": s["ops"], "note": res.get("note", ""),
            })
            _harness.feed_benchmark(benchmark, [r["wall"] / r["ops"] for r in res["rounds"]])
        return res

    return get


def pytest_sessionfinish(session, exitstatus):
    path = session.config.getoption("--bench-results", default=None)
    if not path or not _CACHE:
        return
    _report.write(path, _CACHE, _START)
