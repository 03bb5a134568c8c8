"""pytest glue for the benchmarks: measure each scenario case once (all implementations interleaved),
feed every implementation's rounds to pytest-benchmark, and at the end write the results.

`make bench` passes --bench-results=bench/RESULTS.md: the generated part of that file (between the
BEGIN/END GENERATED markers) is replaced by this run's tables, the hand-written text around it is kept,
and the raw rounds go to bench/results.json. Nothing else writes them, and a run that did not measure
every scenario (pytest -k, a file given on the command line) refuses to: RESULTS.md shows whole runs only.
--bench-exclude (make bench BENCH_EXCLUDE=...) leaves implementations out on purpose; RESULTS.md says so.
"""

import datetime
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402
import _machine  # noqa: E402
import _report  # noqa: E402

_CACHE = {}    # (scenario path, case) -> {impl: result}
_META = {}     # (scenario path, case) -> {"load": ..., "seconds": ...}
_RECORDS = {}  # name -> result of a scenario that is not an implementation comparison
_RUN = {}


def pytest_addoption(parser):
    parser.addoption("--bench-results", default=None,
                     help="write the results into this markdown file's generated block (and the raw "
                          "rounds to results.json beside it); make bench only")
    parser.addoption("--bench-exclude", default="",
                     help="comma-separated implementations to leave out on purpose (BENCH_EXCLUDE)")


def pytest_configure(config):
    exclude = config.getoption("--bench-exclude", default="")
    if exclude:
        os.environ["BENCH_EXCLUDE"] = exclude  # the harness and the worker processes read it there
    try:
        _harness.excluded()
    except ValueError as e:
        raise pytest.UsageError(str(e))


def pytest_collection_modifyitems(config, items):
    # The first test of a scenario measures every implementation (minutes on a loaded machine), so the
    # project's 120 s per-test timeout does not fit; keep a bound all the same.
    for item in items:
        if not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(1800))


def pytest_sessionstart(session):
    _RUN["when"] = datetime.datetime.now().astimezone()
    _RUN["argv"] = "python -m pytest " + " ".join(sys.argv[1:])
    _RUN["t0"] = time.monotonic()
    if session.config.getoption("--bench-results", default=None):
        _RUN.update(_machine.describe())   # calibrates: a few seconds
    else:
        _RUN.update(git=_machine.git_state(), versions=_machine.versions(), cpu_model=_machine.cpu_model(),
                    cpus=os.cpu_count(), load_start=_machine.load(), bench_cpu=_harness.bench_cpu())
    _RUN["excluded"] = sorted(_harness.excluded())


def _log(request):
    capman = request.config.pluginmanager.getplugin("capturemanager")

    def log(line):
        # Progress of the long measurement, shown live even though pytest captures output.
        with capman.global_and_fixture_disabled():
            sys.stderr.write("  " + line + "\n")
            sys.stderr.flush()
    return log


@pytest.fixture
def measured(request):
    """measured(path, case, impl, benchmark=None) -> that implementation's results.

    The first call for a (scenario, case) measures every implementation, interleaved; later calls reuse it.
    Skips an implementation excluded on purpose (BENCH_EXCLUDE); fails one that could not run.
    """
    log = _log(request)

    def get(path, case, impl, benchmark=None):
        key = (os.path.abspath(path), case)
        if key not in _CACHE:
            log(f"measuring {os.path.basename(path)} {case} ...")
            load, t0 = _machine.load(), time.monotonic()
            _CACHE[key] = _harness.measure(key[0], case, log=log)
            _META[key] = {"load": load, "seconds": time.monotonic() - t0}
        mod = _harness.load_scenario(key[0])
        res = _CACHE[key].get(impl)
        if res is None:
            pytest.fail(f"{impl} is not part of {mod.NAME}:{case}")
        if "skip" in res:
            pytest.skip(f"{impl}: {res['skip']}")
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


@pytest.fixture
def record(request):
    """record(name, result): keep the result of a scenario that compares no implementations (the
    monitor's overhead, the soak) for RESULTS.md."""
    def put(name, result):
        _RECORDS[name] = result
    return put


def pytest_sessionfinish(session, exitstatus):
    path = session.config.getoption("--bench-results", default=None)
    if not path:
        return
    missing = _report.missing_scenarios(session, _CACHE, _RECORDS)
    if missing:
        sys.stderr.write(f"\nbench: not writing {path}: this run did not measure {', '.join(missing)} "
                         f"(RESULTS.md shows whole `make bench` runs only)\n")
        return
    _RUN["load_end"] = _machine.load()
    _RUN["calibration_end"] = _machine.calibrate()
    _RUN["seconds"] = time.monotonic() - _RUN["t0"]
    _RUN["exitstatus"] = int(exitstatus)
    _report.write(path, _CACHE, _META, _RECORDS, _RUN)
