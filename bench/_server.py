"""A benchmark server process: one scenario, one implementation, one case, serving until killed.

Usage (by bench/_net.py): python bench/_server.py SCENARIO_FILE IMPL CASE CPU
It pins itself to CPU, raises its open-file limit (to the scenario's NOFILE, default 4,096), and calls the
scenario's ``server(impl, case, ready)``, which binds 127.0.0.1 on a free port, calls ``ready(port)`` once
it accepts connections and then serves forever. Any exception (an ImportError too) is reported to the
driver as an error, which fails that implementation's test: nothing turns into a quiet skip.
"""

import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402


def main():
    path, impl, case, cpu = sys.argv[1:5]
    _harness.pin(int(cpu) if cpu else None)
    mod = _harness.load_scenario(path)
    readied = []

    def ready(port, note=""):
        readied.append(port)
        _harness.send({"port": port, "pid": os.getpid(), "note": note})

    try:
        _harness.raise_nofile(getattr(mod, "NOFILE", 4096))
        result = mod.server(impl, case, ready)
    except Exception:
        _harness.send({"error": traceback.format_exc()})
        return
    if not readied:
        _harness.send({"error": f"{mod.NAME} has no server for {impl}" if result is None else "server returned early"})


if __name__ == "__main__":
    main()
