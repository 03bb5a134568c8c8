"""wrk as the HTTP load generator: one run, every response checked, any error fails the round.

wrk is pinned to the client CPU. A Lua script counts responses whose status is not 200 or whose body
differs from the expected one (wrk alone only counts non-2xx/3xx); socket errors (connect, read, write,
timeout), non-2xx/3xx responses and wrong answers each raise WorkerError with wrk's report. wrk's own
CPU time (RUSAGE_CHILDREN around the run) gives the client's busy share: near 100% would mean the rate
is the client's, not the server's.
"""

import os
import re
import resource
import shutil
import subprocess
import tempfile

import _counters
import _harness
import _net

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}

_CHECK = """
-- bench/_wrk.py: count the responses that are not "200 OK" with exactly the expected body.
local expected = "%s"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) wrong = 0; bad_status = 0 end
function response(status, headers, body)
  if status ~= 200 then bad_status = bad_status + 1
  elseif body ~= expected then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  local w, b = 0, 0
  for _, t in ipairs(threads) do w = w + t:get("wrong"); b = b + t:get("bad_status") end
  io.write(string.format("BENCH_CHECK wrong=%%d bad_status=%%d\\n", w, b))
end
"""


def parse(out):
    """requests, rate, p50/p99 (seconds), socket errors, non-2xx count and the Lua check from wrk's
    --latency report."""
    def num(pattern):
        m = re.search(pattern, out)
        return m.group(1) if m else None

    rate, requests = num(r"Requests/sec:\s+([\d.]+)"), num(r"(\d+) requests in")
    if rate is None or requests is None:
        raise _harness.WorkerError(f"unexpected wrk output:\n{out}")
    lat = {}
    for p in ("50", "99"):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
        lat[p] = float(m.group(1)) * _UNITS[m.group(2)] if m else None
    errors = {}
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors = {k: v for k, v in zip(("connect", "read", "write", "timeout"), map(int, m.groups())) if v}
    m = re.search(r"BENCH_CHECK wrong=(\d+) bad_status=(\d+)", out)
    return {"ops": int(requests), "rate": float(rate), "p50": lat["50"], "p99": lat["99"],
            "socket_errors": errors, "non_2xx": int(num(r"Non-2xx or 3xx responses: (\d+)") or 0),
            "wrong": int(m.group(1)) if m else None, "bad_status": int(m.group(2)) if m else None}


def run(port, body, conns, seconds, timeout=5):
    """One wrk run (one thread) against http://127.0.0.1:port/; the parsed report, or WorkerError."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise _harness.WorkerError("wrk is not installed (make bench installs it with apt-get)")
    lua = "".join(f"\\{b}" for b in body)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_CHECK % lua)
    cmd = [wrk, "-t1", f"-c{conns}", f"-d{seconds}s", f"--timeout={timeout}s", "--latency", "-s", f.name,
           f"http://127.0.0.1:{port}/"]
    cpu = _net.client_cpu()
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu)] + cmd
    try:
        k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
        k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        os.unlink(f.name)
    if p.returncode != 0:
        raise _harness.WorkerError(f"wrk failed ({p.returncode}): {p.stderr[-1000:]}")
    r = parse(p.stdout)
    problems = []
    if r["socket_errors"]:
        problems.append(f"socket errors {r['socket_errors']}")
    if r["non_2xx"]:
        problems.append(f"{r['non_2xx']} responses not 2xx/3xx")
    if r["wrong"] is None:
        problems.append("the response check did not report")
    elif r["wrong"] or r["bad_status"]:
        problems.append(f"{r['bad_status']} responses not 200, {r['wrong']} with a wrong body")
    if not r["ops"]:
        problems.append("no request completed")
    if problems:
        raise _harness.WorkerError("wrk: " + "; ".join(problems) + f"\n{p.stdout}")
    r["wall"] = float(seconds)
    r["client_cpu_per_op"] = (k1.ru_utime + k1.ru_stime - k0.ru_utime - k0.ru_stime) / r["ops"]
    return r


def measure_round(port, pid, body, conns, seconds, count_seconds=0, during=None):
    """A timed wrk run with the server's CPU per request; ``during(seconds)``, if given, runs in a
    thread meanwhile (e.g. to read the server's RSS mid-run). With ``count_seconds``, a second, short
    run counts the server's system calls and wake-ups per request (never during the timed one)."""
    import threading
    side = {}
    if during is not None:
        t = threading.Thread(target=lambda: side.update(during(seconds)), daemon=True)
    c0 = _net.cpu_seconds(pid)
    if during is not None:
        t.start()
    r = run(port, body, conns, seconds)
    c1 = _net.cpu_seconds(pid)
    if during is not None:
        t.join()
        r.update(side)
    r["server_cpu_per_op"] = (c1 - c0) / r["ops"]
    if count_seconds:
        counter = _counters.Counter(pid)
        counter.start()
        try:
            extra = run(port, body, conns, count_seconds)
        finally:
            counts = counter.stop()
        r.update(_counters.per_op(counts, extra["ops"]))
    return r
