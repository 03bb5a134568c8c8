"""A benchmark server process: one scenario, one implementation, one case, serving until killed.

Usage (by bench/_net.py): python bench/_server.py SCENARIO_FILE IMPL CASE CPU
It pins itself to CPU, raises its open-file limit, and calls the scenario's
``server(impl, case, ready)``, which binds 127.0.0.1 on a free port, calls ``ready(port)`` once it
accepts connections and then serves forever. ``server`` returns None (or raises ImportError) when the
implementation has no such server, e.g. before fasthub's side of it has landed.
"""

import json
import os
import resource
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402


def send(msg):
    sys.stdout.write(_harness.PREFIX + json.dumps(msg) + "\n")
    sys.stdout.flush()


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))


def main():
    path, impl, case, cpu = sys.argv[1:5]
    _harness.pin(int(cpu) if cpu else None)
    raise_nofile()
    mod = _harness.load_scenario(path)
    readied = []

    def ready(port, note=""):
        readied.append(port)
        send({"port": port, "pid": os.getpid(), "note": note})

    try:
        result = mod.server(impl, case, ready)
    except ImportError as e:
        send({"skip": f"{type(e).__name__}: {e}"})
        return
    except Exception:
        send({"error": traceback.format_exc()})
        return
    if not readied:
        send({"skip": f"{impl} has no {mod.NAME} server" if result is None else "server returned early"})


if __name__ == "__main__":
    main()
