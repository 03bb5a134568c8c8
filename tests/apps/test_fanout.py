"""A fan-out client under monkey_patch: 100 green threads each call the slow REST API (served by
fasthub, 0.2 s per call) with requests, with httpx and with urllib3; each batch finishes in about
0.2 s instead of 20 s, and every answer is the right one."""

import json

import pytest

from apps_support import need, run_python

pytestmark = pytest.mark.one_backend

SCRIPT = r"""
import json, sys, time
import fasthub
fasthub.monkey_patch()
import httpx, requests, urllib3

base = sys.argv[1]
session = requests.Session()
session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=100))
pool = urllib3.PoolManager(maxsize=100)
client = httpx.Client(limits=httpx.Limits(max_connections=100), timeout=10)
clients = {
    "requests.get": lambda url: requests.get(url, timeout=10).json(),   # a connection per call
    "requests.Session": lambda url: session.get(url, timeout=10).json(),
    "urllib3": lambda url: json.loads(pool.request("GET", url, timeout=10).data),
    "httpx": lambda url: client.get(url).json(),
}
report = {}
for name, get in clients.items():
    t0 = time.monotonic()
    calls = [fasthub.spawn(get, f"{base}/items/{i}?delay=0.2") for i in range(100)]
    results = [gt.wait() for gt in calls]
    report[name] = time.monotonic() - t0
    assert results == [{"item": i, "square": i * i} for i in range(100)], (name, results[:3])
print(json.dumps(report))
"""


def test_fan_out_100_calls_per_client_library(slow_api):
    for module in ("requests", "httpx", "urllib3"):
        need(module)
    report = json.loads(run_python(SCRIPT, args=[slow_api], timeout=90).strip().splitlines()[-1])
    for name, elapsed in report.items():
        # Serially 100 x 0.2 s = 20 s; concurrently about 0.2 s plus connection set-up.
        assert elapsed < 3.0, f"{name}: 100 calls took {elapsed:.1f}s: not concurrent"
