"""keepalive_10k: 10,000 open keep-alive HTTP connections to one WSGI server, 1,000 of them active.

The load generator (bench/_loadgen.py hold) opens 9,000 connections, one checked GET each, and leaves
them idle; meanwhile `wrk -t1 -c1000 -d10s` drives the other 1,000 with a hello-world request (every
response checked, bench/_wrk.py). Servers: fasthub.wsgi, gevent.pywsgi, eventlet.wsgi, the same app and
listener as wsgi_hello (WSGI servers only: asyncio's and uvloop's cost per idle connection is idle_conns'
row; tried here with idle_conns' minimal responder, uvloop's left 40 of 263,000 requests over wrk's 5 s
timeout on this shared 2-CPU machine, which fails a strict round). Reported: requests/s, p99 latency, server CPU per request, system calls and
wake-ups per request (a separate 2 s wrk run), and RSS per connection: the server's RSS read halfway
through the wrk run, minus its RSS after one warm-up request, over the 10,000 connections. Any idle
connection the server closes, any wrk error or wrong response fails the round.

Run alone: `.venv/bin/python bench/test_keepalive_10k.py [impl ...]` or `pytest bench/test_keepalive_10k.py`.
"""

import os
import time

import pytest

import _harness
import _net
import _wrk
from test_wsgi_hello import BODY, app

NAME = "keepalive_10k"
KIND = "rate"
IDLE = 9_000
ACTIVE = 1_000
DURATION = int(os.environ.get("BENCH_WRK_SECONDS", "10"))
CASES = {"keepalive_10k": f"{IDLE + ACTIVE:,} keep-alive connections, {ACTIVE:,} active under wrk for {DURATION} s"}
IMPLS = ("fasthub", "gevent", "eventlet")
UNIT = "request"
ROUNDS = 2
COUNT_SECONDS = 2
SOURCES = 4           # the idle connections come from 127.0.0.2-5, wrk's from 127.0.0.1
NOFILE = IDLE + ACTIVE + 1024
measure = _net.measure


def load(port, pid, case, count=False):
    _net.check_get(port, BODY)
    time.sleep(0.3)
    before = _net.rss(pid)

    def halfway(seconds):
        time.sleep(seconds / 2)
        return {"rss_mid": _net.rss(pid)}

    holder = _net.Holder(port, IDLE, BODY, sources=SOURCES)
    try:
        r = _wrk.measure_round(port, pid, BODY, ACTIVE, DURATION, COUNT_SECONDS if count else 0, during=halfway)
    finally:
        holder.close()
    r["rss_per_conn"] = (r.pop("rss_mid") - before) / (IDLE + ACTIVE)
    r["conns"] = IDLE + ACTIVE
    return r


def server(impl, case, ready):
    return _net.serve_wsgi(impl, app, ready, pool=IDLE + ACTIVE + 100, backlog=4096) or None


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", IMPLS)
def test_keepalive_10k(measured, impl, case):
    res = measured(__file__, case, impl)
    for r in res["rounds"]:
        assert r["ops"] > 0 and r["rss_per_conn"] > 0, r


if __name__ == "__main__":
    _harness.main_alone(os.path.abspath(__file__))
