"""The judge of the eventlet alias: eventlet's own test suite, run on fasthub.

    python tests/eventlet_compat/run.py [--fresh-reference] [-k EXPR] [--file NAME ...] [-v]

1. Downloads eventlet's sdist (EVENTLET_VERSION) from PyPI with pip, once, into a cache directory
   (FASTHUB_EVENTLET_CACHE, default ~/.cache/fasthub), and takes its tests/ directory. Nothing of
   eventlet is kept in this tree.
2. Reference: the outcome of each of those tests on the real eventlet, from
   reference-X.Y.json beside this file (committed). With EVENTLET_REF=1 (or --fresh-reference)
   the tests are run on the real eventlet in a separate venv (.venv-eventlet-ref-X.Y, same Python
   as this one, made on first use) and, on a full run, that file is rewritten.
3. Alias: runs the same tests with this interpreter, where fasthub is installed, and a
   sitecustomize that calls fasthub.compat.eventlet.install() first in the test process and in
   every subprocess the tests start; eventlet itself is never imported.
4. Compares test by test. Exit status 1 if fewer than 90% of the tests that pass on eventlet pass
   on the alias, if one of them fails without being listed in eventlet_expected_failures.py, if a listed
   one now passes (the list only shrinks) or no longer exists, or if any test hung. Every test
   has a per-test timeout (pytest-timeout, TEST_TIMEOUT s) and every module a time budget
   (MODULE_TIMEOUT s): a hang is a failure recorded by its test id (or module).
5. A full run writes RESULTS.md beside this file: the totals, then per eventlet test module the
   alias's and the real eventlet's counts, the expected failures with their reasons, the hangs.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

# A module name of its own: tests/stdlib/run.py imports its `expected_failures`, and both runners can be
# loaded into one pytest process (the first one imported would answer for both).
import eventlet_expected_failures as expected_failures  # noqa: E402

EVENTLET_VERSION = "0.41.3"
TEST_TIMEOUT = 30
MODULE_TIMEOUT = 600
THRESHOLD = 0.90
VERSION = "%d.%d" % sys.version_info[:2]
CACHE = os.environ.get("FASTHUB_EVENTLET_CACHE") or os.path.join(
    os.path.expanduser("~"), ".cache", "fasthub")
PASSED = "passed"
MESSAGES = {}   # test id -> first words of its failure message (alias run)
HUNG_MODULES = []   # modules whose time budget ran out (alias run)
REFERENCE_FILE = os.path.join(HERE, f"reference-{VERSION}.json")
RESULTS_FILE = os.path.join(HERE, "RESULTS.md")
_TIMEOUT_MESSAGE = re.compile(r"Timeout \(?>[0-9.]+s")   # pytest-timeout's failure message


def log(msg):
    print(f"[eventlet-tests] {msg}", flush=True)


def sdist_tests():
    """The directory holding eventlet's tests/ (downloaded and unpacked once)."""
    base = os.path.join(CACHE, f"eventlet-{EVENTLET_VERSION}")
    tests = os.path.join(base, "tests")
    if os.path.isdir(tests):
        return base
    os.makedirs(CACHE, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fasthub-eventlet-sdist-") as tmp:
        log(f"downloading eventlet {EVENTLET_VERSION} (sdist) from PyPI")
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
                        ":all:", "-d", tmp, f"eventlet=={EVENTLET_VERSION}"], check=True)
        archive = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".tar.gz"))
        unpack = os.path.join(tmp, "unpack")
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if "/tests/" in m.name + "/"]
            tar.extractall(unpack, members=members, filter="data")
        top = os.path.join(unpack, os.listdir(unpack)[0])
        os.makedirs(base, exist_ok=True)
        shutil.move(os.path.join(top, "tests"), tests)
    return base


def reference_python():
    """The interpreter of the reference venv with the real eventlet (made on first use)."""
    venv = os.path.join(ROOT, f".venv-eventlet-ref-{VERSION}")
    python = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, f".eventlet-{EVENTLET_VERSION}")
    if not os.path.exists(stamp):
        log(f"creating the reference venv {venv} (real eventlet {EVENTLET_VERSION})")
        subprocess.run([sys._base_executable, "-m", "venv", "--clear", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", f"eventlet=={EVENTLET_VERSION}",
                        "pytest", "pytest-timeout"], check=True)
        open(stamp, "w").close()
    return python


def test_files(base, names):
    """eventlet's test modules (or the ``names`` given), as paths relative to the sdist root."""
    if names:
        return [f"tests/{n}" for n in names]
    found = sorted(f for f in os.listdir(os.path.join(base, "tests"))
                   if f.endswith(".py") and (f.endswith("_test.py") or f.startswith("test_")))
    return [f"tests/{f}" for f in found]


def run_pytest(python, base, workdir, env, files, keyword):
    """Run eventlet's tests (copied into ``workdir``) with ``python``, one pytest process per test
    module (a test that kills its process, or raises KeyboardInterrupt, costs only its module);
    return ({test id: outcome}, combined output)."""
    tests = os.path.join(workdir, "tests")
    shutil.copytree(os.path.join(base, "tests"), tests)
    env = dict(os.environ, EVENTLET_TESTS="1", **env)
    outcomes, output = {}, []
    for i, path in enumerate(files):
        xml = os.path.join(workdir, f"results-{i}.xml")
        cmd = [python, "-m", "pytest", path, "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
               "-o", "addopts=", "-o", "filterwarnings=", f"--timeout={TEST_TIMEOUT}",
               f"--junitxml={xml}"]
        if keyword:
            cmd += ["-k", keyword]
        try:
            proc = subprocess.run(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace",
                                  timeout=MODULE_TIMEOUT)
            output.append(proc.stdout)
        except subprocess.TimeoutExpired as e:
            HUNG_MODULES.append(os.path.basename(path).split(".py")[0])
            output.append(f"{path}: module time budget of {MODULE_TIMEOUT}s exhausted\n"
                          f"{e.stdout or ''}")
        outcomes.update(parse_junit(xml))
    return outcomes, "".join(output)


def parse_junit(path):
    outcomes = {}
    if not os.path.exists(path):
        return outcomes
    for case in ET.parse(path).iter("testcase"):
        # (a module skipped as a whole has no classname: its id is the module's)
        test_id = ".".join(part for part in (case.get("classname"), case.get("name")) if part)
        if test_id.startswith("tests."):
            test_id = test_id[len("tests."):]
        kinds = {child.tag for child in case}
        if "failure" in kinds or "error" in kinds:
            message = next((c.get("message") or "" for c in case if c.tag in ("failure", "error")), "")
            MESSAGES[test_id] = " ".join(message.split())[:160]
            outcomes[test_id] = "timeout" if _TIMEOUT_MESSAGE.search(message) \
                else ("error" if "error" in kinds else "failed")
        elif "skipped" in kinds:
            outcomes[test_id] = "skipped"
        else:
            outcomes[test_id] = PASSED
    return outcomes


def rerun(base, test_ids):
    """Run the given eventlet test ids once more on the alias (one pytest process per module);
    return their outcomes."""
    by_module = {}
    for test_id in test_ids:
        module, _, rest = test_id.partition(".")
        by_module.setdefault(module, []).append(f"tests/{module}.py::{rest.replace('.', '::')}")
    with tempfile.TemporaryDirectory(prefix="fasthub-eventlet-rerun-") as work:
        site = _alias_site(work)
        outcomes = {}
        for i, nodes in enumerate(by_module.values()):
            got, _ = run_pytest(sys.executable, base, os.path.join(work, str(i)),
                                {"PYTHONPATH": site}, nodes, None)
            outcomes.update(got)
    return outcomes


def _alias_site(work):
    # A sitecustomize that installs the alias first thing in every interpreter the tests start.
    site = os.path.join(work, "site")
    os.makedirs(site, exist_ok=True)
    with open(os.path.join(site, "sitecustomize.py"), "w") as f:
        f.write("import fasthub.compat.eventlet\nfasthub.compat.eventlet.install()\n")
    return site


def reference(base, fresh, selection):
    """{test id: outcome} on the real eventlet: from REFERENCE_FILE, or run now when ``fresh``
    (a full fresh run rewrites REFERENCE_FILE); also returns the date of that run."""
    full = selection is None
    if not fresh:
        if not os.path.exists(REFERENCE_FILE):
            raise SystemExit(f"no reference results for CPython {VERSION} ({REFERENCE_FILE}): run "
                             f"once with EVENTLET_REF=1 (it runs eventlet's tests on the real eventlet)")
        with open(REFERENCE_FILE) as f:
            data = json.load(f)
        if data["eventlet"] != EVENTLET_VERSION:
            raise SystemExit(f"{REFERENCE_FILE} is for eventlet {data['eventlet']}, not "
                             f"{EVENTLET_VERSION}: rerun with EVENTLET_REF=1")
        return data["outcomes"], data["date"]
    selection = selection or (test_files(base, []), None)
    python = reference_python()
    with tempfile.TemporaryDirectory(prefix="fasthub-eventlet-ref-") as work:
        t0 = time.monotonic()
        outcomes, _ = run_pytest(python, base, work, {}, *selection)
        log(f"reference run (real eventlet): {time.monotonic() - t0:.0f}s")
    HUNG_MODULES.clear()   # the reference's own budget overruns are not the alias's hangs
    date = time.strftime("%Y-%m-%d")
    if full:
        with open(REFERENCE_FILE, "w") as f:
            json.dump({"eventlet": EVENTLET_VERSION, "python": VERSION, "date": date,
                       "outcomes": outcomes}, f, indent=0, sort_keys=True)
            f.write("\n")
    return outcomes, date


def alias(base, selection, verbose):
    with tempfile.TemporaryDirectory(prefix="fasthub-eventlet-alias-") as work:
        site = _alias_site(work)
        t0 = time.monotonic()
        MESSAGES.clear()
        outcomes, output = run_pytest(sys.executable, base, work, {"PYTHONPATH": site},
                                      *selection)
        elapsed = time.monotonic() - t0
        if verbose:
            print(output)
        with open(os.path.join(CACHE, f"alias-last-{VERSION}.log"), "w") as f:
            f.write(output)
        with open(os.path.join(CACHE, f"alias-last-{VERSION}.json"), "w") as f:
            json.dump(outcomes, f, indent=0, sort_keys=True)
        with open(os.path.join(CACHE, f"alias-last-{VERSION}-messages.json"), "w") as f:
            json.dump(MESSAGES, f, indent=0, sort_keys=True)
        log(f"alias run (fasthub): {elapsed:.0f}s")
    return outcomes, output, elapsed


def _module(test_id):
    return test_id.partition(".")[0]


def write_results(ref, ref_date, got, listed, unexpected, hangs, passing_both, passing_ref):
    """RESULTS.md: totals, then per eventlet test module the alias's and eventlet's counts, the
    expected failures with their reasons, and the hangs (generated; committed)."""
    ratio = len(passing_both) / len(passing_ref) if passing_ref else 0.0
    modules = sorted({_module(k) for k in ref} | {_module(k) for k in got})
    lines = [
        "# eventlet's own tests on fasthub's eventlet alias",
        "",
        "Generated by `tests/eventlet_compat/run.py` (`make test-eventlet`); do not edit by hand.",
        "",
        f"**{len(passing_both)} of the {len(passing_ref)} tests that pass on the real eventlet pass "
        f"on fasthub's alias ({ratio:.1%})**; the bar is {THRESHOLD:.0%}.",
        "",
        f"- CPython {platform.python_version()}, eventlet {EVENTLET_VERSION} (tests from its sdist)",
        f"- alias run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; reference run on the "
        f"real eventlet: {ref_date} (`EVENTLET_REF=1 make test-eventlet` reruns it)",
        f"- expected failures: {len(listed)} (tests/eventlet_compat/eventlet_expected_failures.py); "
        f"unexpected failures: {len(unexpected)}; hung: {len(hangs) + len(HUNG_MODULES)}",
        "",
        "Alias columns count all of a module's tests; \"expected\" are the listed ones among its "
        "failures, \"unexpected\" the failures of tests that pass on eventlet and are not listed.",
        "",
        "| module | alias passed | alias failed | expected | unexpected | hung | skipped "
        "| eventlet passed | eventlet failed | eventlet skipped |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in modules:
        mine = {k: v for k, v in got.items() if _module(k) == m}
        theirs = [v for k, v in ref.items() if _module(k) == m]
        failed = [k for k, v in mine.items() if v not in (PASSED, "skipped")]
        lines.append(
            f"| {m} | {sum(v == PASSED for v in mine.values())} | {len(failed)} "
            f"| {sum(k in listed for k in failed)} | {sum(_module(k) == m for k in unexpected)} "
            f"| {sum(_module(k) == m for k in hangs) + (m in HUNG_MODULES)} "
            f"| {sum(v == 'skipped' for v in mine.values())} "
            f"| {theirs.count(PASSED)} | {sum(v not in (PASSED, 'skipped') for v in theirs)} "
            f"| {theirs.count('skipped')} |")
    lines += ["", "## Hung", ""]
    lines += [f"- `{k}` (over {TEST_TIMEOUT}s)" for k in sorted(hangs)]
    lines += [f"- module `{m}` (over its {MODULE_TIMEOUT}s budget)" for m in HUNG_MODULES]
    if not hangs and not HUNG_MODULES:
        lines.append("None.")
    lines += ["", "## Unexpected failures", ""]
    lines += [f"- `{k}`: {got.get(k, 'missing')} {MESSAGES.get(k, '')}".rstrip() for k in unexpected]
    if not unexpected:
        lines.append("None.")
    lines += ["", "## Expected failures (with the reason each one differs)", ""]
    for m in modules:
        mine = sorted(k for k in listed if _module(k) == m)
        if mine:
            lines += [f"### {m}", ""]
            lines += [f"- `{k}`: {listed[k]}" for k in mine]
            lines.append("")
    with open(RESULTS_FILE, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
    log(f"wrote {os.path.relpath(RESULTS_FILE, ROOT)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh-reference", action="store_true")
    parser.add_argument("-k", dest="keyword")
    parser.add_argument("--file", action="append", default=[])
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    base = sdist_tests()
    partial = bool(args.file or args.keyword)
    selection = (test_files(base, args.file), args.keyword)
    fresh = args.fresh_reference or os.environ.get("EVENTLET_REF") == "1"
    ref, ref_date = reference(base, fresh, selection if partial else None)
    got, output, elapsed = alias(base, selection, args.verbose)
    selection = partial
    if selection:  # a partial run compares only what it ran
        ref = {k: v for k, v in ref.items() if k in got}
    listed = expected_failures.FAILURES
    passing_ref = sorted(k for k, v in ref.items() if v == PASSED)
    hangs = sorted(k for k, v in got.items() if v == "timeout")   # a hang counts even if a rerun passes
    retry = [k for k in passing_ref if got.get(k) not in (PASSED, None) and k not in listed]
    if retry:  # a loaded machine makes some timing-bound tests flaky: give each one more run
        again = rerun(base, retry)
        for k in retry:
            if again.get(k) == PASSED:
                print(f"FLAKY (failed, then passed on a second run): {k}")
                got[k] = PASSED
    passing_both = [k for k in passing_ref if got.get(k) == PASSED]
    unexpected = [k for k in passing_ref if got.get(k) != PASSED and k not in listed]
    fixed = [k for k in listed if got.get(k) == PASSED and (not selection or k in got)]
    stale = [k for k in listed if k not in ref and not selection]
    ratio = len(passing_both) / len(passing_ref) if passing_ref else 0.0
    for k in unexpected:
        print(f"UNEXPECTED {got.get(k, 'missing')}: {k}")
    for k in fixed:
        print(f"NOW PASSES (remove it from eventlet_expected_failures.py): {k}")
    for k in stale:
        print(f"NOT A TEST THAT PASSES ON EVENTLET (remove it from eventlet_expected_failures.py): {k}")
    for k in hangs:
        print(f"TIMEOUT ({TEST_TIMEOUT}s): {k}")
    for m in HUNG_MODULES:
        print(f"TIMEOUT (module budget {MODULE_TIMEOUT}s): {m}")
    log(f"CPython {VERSION}, eventlet {EVENTLET_VERSION}: {len(passing_both)} of "
        f"{len(passing_ref)} tests that pass on eventlet pass on fasthub ({ratio:.1%}); "
        f"{len(listed)} listed as expected failures; alias run {elapsed:.0f}s")
    if not selection:
        write_results(ref, ref_date, got, listed, unexpected, hangs, passing_both, passing_ref)
    ok = (ratio >= THRESHOLD and not unexpected and not fixed and not stale and not hangs
          and not HUNG_MODULES)
    print(f"{len(passing_both)} passed, {len(passing_ref) - len(passing_both)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
