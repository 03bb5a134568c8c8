"""A benchmark worker process: one scenario, one implementation, one case; rounds on request.

Usage (by bench/_harness.py): python bench/_worker.py SCENARIO_FILE IMPL CASE CPU
It pins itself to CPU (if given), calls the scenario's setup(impl, case) and answers each "run" line on
stdin with one JSON result line on stdout (prefixed, so stray prints by a library cannot confuse the
driver): wall time (perf_counter), CPU time (process_time: user + system of all threads) and the ops
the round did. Only this implementation's library is imported here.
"""

import gc
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402


def main():
    path, impl, case, cpu = sys.argv[1:5]
    _harness.pin(int(cpu) if cpu else None)
    mod = _harness.load_scenario(path)
    try:
        round_fn = mod.setup(impl, case)
    except Exception:  # an ImportError too: an implementation that does not import fails the run
        _harness.send({"error": traceback.format_exc()})
        return
    if round_fn is None:
        _harness.send({"error": f"{mod.NAME} has no {case} variant for {impl} (list it in CASE_IMPLS)"})
        return
    _harness.send({"ready": True, "note": getattr(round_fn, "note", "")})
    for line in sys.stdin:
        if line.strip() != "run":
            continue
        gc.collect()
        try:
            c0 = time.process_time()
            t0 = time.perf_counter()
            result = round_fn()
            t1 = time.perf_counter()
            c1 = time.process_time()
        except Exception:
            _harness.send({"error": traceback.format_exc()})
            return
        if isinstance(result, dict):
            result.setdefault("wall", t1 - t0)
            result.setdefault("cpu", c1 - c0)
            _harness.send(result)
        else:
            _harness.send({"wall": t1 - t0, "cpu": c1 - c0, "ops": int(result)})


if __name__ == "__main__":
    main()
