"""fasthub.stats(), the FASTHUB_STATS socket and ``python -m fasthub top``, and the demo's figures."""

import json
import os
import stat
import subprocess
import sys
import threading
import time

import pytest

import fasthub
from fasthub import tpool
from fasthub.core.originals import get_original
from fasthub.web import websocket

HERE = os.path.abspath(__file__)


def _sleeper(seconds):
    fasthub.sleep(seconds)   # the wait site of the sleepers below


def _line_of(fn, text):
    import inspect
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


def _my_hub(snap, hub):
    return next(h for h in snap["hubs"] if h["thread"] == hub.thread_ident)


def test_green_threads_by_state_and_by_wait_site(hub):
    sleepers = [fasthub.spawn(_sleeper, 10) for _ in range(3)]
    ev = fasthub.Event()
    waiter = fasthub.spawn(ev.wait)
    fasthub.sleep(0)
    pending = fasthub.spawn(lambda: None)   # spawned, not started yet
    first = _my_hub(fasthub.stats(), hub)
    g = first["green_threads"]
    assert (g["running"], g["parked"], g["pending"], g["ready"]) == (1, 4, 1, 0), g
    assert g["total"] == 6
    site = f"tests/test_stats.py:{_line_of(_sleeper, 'fasthub.sleep(seconds)')} in _sleeper"
    assert {"site": site, "count": 3} in first["by_wait_site"], first["by_wait_site"]
    rows = first["threads"]
    assert rows[0]["state"] == "running" and rows[0]["name"] == "the main greenlet"
    assert rows[0]["site"].startswith("tests/test_stats.py:")
    assert [r["waits_on"] for r in rows if r["site"] == site] == ["sleep"] * 3
    assert any(r["state"] == "pending" and "<lambda>" in r["name"] for r in rows)
    assert first["timers"] >= 3 and first["thread_name"] == "MainThread"
    assert first["backend"] == hub.backend
    fasthub.sleep(0.01)
    second = _my_hub(fasthub.stats(), hub)
    assert second["iterations"] > first["iterations"] and second["switches"] > first["switches"]
    assert second["green_threads"]["pending"] == 0
    # At most max_threads rows; the counts stay complete.
    small = _my_hub(fasthub.stats(max_threads=2), hub)
    assert len(small["threads"]) == 2 and small["threads_omitted"] == 3
    assert small["green_threads"]["total"] == 5
    ev.set()
    waiter.wait()
    for s in sleepers:
        s.kill()
    json.dumps(fasthub.stats())   # plain data


def test_one_entry_per_os_thread_hub(hub):
    started = threading.Event()
    done = threading.Event()

    def other():
        fasthub.spawn(_sleeper, 5)
        fasthub.sleep(0)
        started.set()
        while not done.is_set():
            fasthub.sleep(0.01)

    t = threading.Thread(target=other, name="second-hub")
    t.start()
    try:
        assert tpool.execute(started.wait, 5)
        snap = fasthub.stats()
        names = {h["thread_name"]: h for h in snap["hubs"]}
        assert "MainThread" in names and "second-hub" in names, list(names)
        other_hub = names["second-hub"]
        assert other_hub["thread"] == t.ident
        assert other_hub["green_threads"]["parked"] >= 1
        assert any(r["site"] and "_sleeper" in r["site"] for r in other_hub["threads"])
    finally:
        done.set()
        tpool.execute(t.join, 5)


def test_a_plain_os_thread_sees_the_green_thread_that_holds_the_hub(hub):
    # The stats socket answers from an OS thread of its own, even while a green thread holds the hub.
    seen = []

    def watcher():
        time.sleep(0.1)   # the original sleep: this is a plain OS thread
        seen.append(fasthub.stats())

    def busy():
        end = time.monotonic() + 0.4
        while time.monotonic() < end:   # never yields
            pass

    get_original("_thread", "start_new_thread")(watcher, ())
    fasthub.spawn(busy).wait()
    assert seen, "the watcher thread did not run"
    mine = _my_hub(seen[0], hub)
    running = [r for r in mine["threads"] if r["state"] == "running"]
    assert len(running) == 1 and "busy" in running[0]["name"], mine["threads"]
    assert running[0]["site"].startswith("tests/test_stats.py:") and "in busy" in running[0]["site"]


def test_stalls_come_from_the_monitor(hub):
    real_sleep = get_original("time", "sleep")
    mon = fasthub.monitor.start(threshold=0.05, action=lambda report: None)
    try:
        other = fasthub.spawn(fasthub.sleep, 1)   # someone who wants the hub meanwhile
        fasthub.sleep(0)
        fasthub.spawn(lambda: real_sleep(0.2)).wait()   # a Python frame for the monitor to name
        snap = fasthub.stats()
        assert snap["monitor"] == {"active": True, "threshold": 0.05, "deadlocks": []}
        assert snap["stalls"] and snap["stalls"][0]["longest"] >= 0.1, snap["stalls"]
        assert "test_stats.py" in snap["stalls"][0]["location"]
        other.kill()
    finally:
        fasthub.monitor.stop()
    assert mon is not None and fasthub.stats()["monitor"]["active"] is False


# --- the socket and `python -m fasthub top` ------------------------------------------------------

def _env(tmp_path, **extra):
    env = dict(os.environ, FASTHUB_STATS_DIR=str(tmp_path / "stats"))
    env.pop("FASTHUB_STATS", None)
    env.pop("FASTHUB_MONITOR", None)
    env.update(extra)
    return env


def _top(env, *args):
    return tpool.execute(subprocess.run, [sys.executable, "-m", "fasthub", "top", *args],
                         env=env, capture_output=True, text=True, timeout=60)


PROGRAM = """
import sys, fasthub
lock = fasthub.Lock()
lock.acquire()
fasthub.spawn(lock.acquire)
fasthub.sleep(0)
print("ready", flush=True)
sys.stdin.readline()
"""


def _start(env, code=PROGRAM):
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = tpool.execute(proc.stdout.readline)
    assert line.strip() == "ready", (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc


def _finish(proc):
    out, err = tpool.execute(proc.communicate, "\n", 30)
    return proc.returncode, err


@pytest.mark.one_backend
def test_stats_socket_is_private_and_top_json_reads_it(tmp_path):
    env = _env(tmp_path, FASTHUB_STATS="1")
    proc = _start(env)
    try:
        path = tmp_path / "stats" / f"{proc.pid}.sock"
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(tmp_path / "stats").st_mode) == 0o700
        res = _top(env, str(proc.pid), "--json")
        assert res.returncode == 0, res.stderr
        snap = json.loads(res.stdout)
        assert snap["pid"] == proc.pid and len(snap["hubs"]) == 1
        hub = snap["hubs"][0]
        # The main greenlet blocks the OS thread in stdin.readline(): it holds the hub, running.
        assert hub["green_threads"]["parked"] == 1 and hub["green_threads"]["running"] == 1
        running, parked = hub["threads"]
        assert running["state"] == "running" and running["site"] == "<string>:8 in <module>"
        assert parked["state"] == "parked" and "Lock.acquire" in parked["name"], hub["threads"]
    finally:
        rc, err = _finish(proc)
    assert rc == 0, err
    assert not path.exists()   # removed at exit


@pytest.mark.one_backend
def test_without_fasthub_stats_nothing_listens(tmp_path):
    env = _env(tmp_path)
    proc = _start(env)
    try:
        assert not (tmp_path / "stats").exists()
        res = _top(env, str(proc.pid), "--json")
        assert res.returncode == 1
        assert "FASTHUB_STATS=1" in res.stderr and str(proc.pid) in res.stderr
    finally:
        rc, err = _finish(proc)
    assert rc == 0, err


@pytest.mark.one_backend
def test_a_directory_open_to_others_is_refused(tmp_path):
    (tmp_path / "stats").mkdir(mode=0o755)
    os.chmod(tmp_path / "stats", 0o755)
    env = _env(tmp_path, FASTHUB_STATS="1")
    proc = _start(env)   # the program runs anyway; stats are not served
    rc, err = _finish(proc)
    assert rc == 0
    assert "not served" in err and "open to other users" in err, err
    assert os.listdir(tmp_path / "stats") == []
    res = _top(env, "12345", "--json")
    assert res.returncode == 1 and "open to other users" in res.stderr


@pytest.mark.one_backend
def test_top_shows_the_green_threads_of_the_demo_server(tmp_path):
    env = _env(tmp_path, FASTHUB_STATS="1")
    proc = subprocess.Popen([sys.executable, "-m", "fasthub.demo", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = tpool.execute(proc.stdout.readline)
        assert "http://127.0.0.1:" in line, line
        port = int(line.split("open ")[1].split()[0].rsplit(":", 1)[1].strip("/"))
        ws = websocket.connect(f"ws://127.0.0.1:{port}/ws")
        assert "joined" in json.loads(ws.wait(timeout=10))["text"]

        res = _top(env, str(proc.pid), "--json")
        assert res.returncode == 0, res.stderr
        hub = json.loads(res.stdout)["hubs"][0]
        rows = hub["threads"]
        accept = [r for r in rows if "_accept_loop" in (r["site"] or "")]
        assert len(accept) == 1 and accept[0]["waits_on"].endswith("(read)"), rows
        conns = [r for r in rows if r["state"] == "parked" and
                 (r["site"] or "").startswith("fasthub/demo/chat.py:") and "in handle" in r["site"]]
        assert len(conns) == 1 and conns[0]["waits_on"].startswith("fd "), rows
        assert hub["green_threads"]["total"] >= 3 and hub["iterations"] > 0

        # The live view: two screens a fifth of a second apart, the second with rates.
        res = _top(env, str(proc.pid), "--count", "2", "--interval", "0.2")
        assert res.returncode == 0, res.stderr
        assert res.stdout.count("hub of thread MainThread (") == 2
        assert "/s)" in res.stdout and "_accept_loop" in res.stdout
        assert "monitor on (threshold 0.1 s)" in res.stdout

        # The page's own figures, at /stats.
        figures = json.loads(_http_get(port, "/stats"))
        assert figures["connections"] >= 1
        assert figures["hubs"][0]["green_threads"]["total"] >= 3
        assert figures["monitor"]["active"] is True and isinstance(figures["stalls"], list)
        page = _http_get(port, "/")
        assert "Inside the server" in page and 'fetch("/stats")' in page
        ws.close()
    finally:
        proc.terminate()
        tpool.execute(proc.wait, 10)
        proc.stdout.close()


def _http_get(port, path):
    from fasthub.green.urllib import request   # green: only this green thread waits
    with request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        assert resp.status == 200
        return resp.read().decode()
