"""Real HTTP clients under monkey_patch(): urllib.request, http.client and requests.

One fresh interpreter patches everything first, then serves HTTP on 127.0.0.1 with the stdlib's own
ThreadingHTTPServer (green once patched: its threads are green threads) and, for each client, runs
100 requests from 100 threading.Thread objects (green threads). Each request waits 0.2 s in the
server, so in series they would take 20 s; concurrently they take a little over 0.2 s. Every body is
checked. (requests is a test dependency: pip install requests.)
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(r"""
    import fasthub
    fasthub.monkey_patch()

    import http.client
    import json
    import threading
    import time
    import urllib.request
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import requests

    N = 100
    DELAY = 0.2


    class Slow(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            time.sleep(DELAY)
            body = ("reply to " + self.path).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass


    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # 100 clients connect at once
        daemon_threads = True


    server = Server(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]


    def via_urllib(i):
        with urllib.request.urlopen(f"{base}/urllib/{i}", timeout=30) as resp:
            return resp.status, resp.read()


    def via_http_client(i):
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
        try:
            conn.request("GET", f"/http.client/{i}")
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


    def via_requests(i):
        resp = requests.get(f"{base}/requests/{i}", timeout=30)
        return resp.status_code, resp.content


    for name, fetch in (("urllib.request", via_urllib), ("http.client", via_http_client),
                        ("requests", via_requests)):
        results = [None] * N

        def run(i):
            try:
                results[i] = fetch(i)
            except BaseException as e:
                results[i] = repr(e)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        prefix = {"urllib.request": "/urllib/", "http.client": "/http.client/",
                  "requests": "/requests/"}[name]
        wrong = [(i, r) for i, r in enumerate(results)
                 if r != (200, ("reply to " + prefix + str(i)).encode())]
        print(json.dumps({"client": name, "seconds": round(elapsed, 3), "wrong": repr(wrong[:3]),
                          "n_wrong": len(wrong)}), flush=True)
    server.shutdown()
    print("done")
""")


_runs = {}


def _client_runs(backend):
    # One interpreter per hub backend, shared by the three client tests of that backend.
    if backend not in _runs:
        pytest.importorskip("requests")
        env = dict(os.environ, FASTHUB_BACKEND=backend)
        proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                              timeout=120, env=env)
        assert proc.returncode == 0 and proc.stdout.rstrip().endswith("done"), (
            f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr[-5000:]}")
        _runs[backend] = {rec["client"]: rec
                          for rec in map(json.loads, proc.stdout.splitlines()[:-1])}
    return _runs[backend]


@pytest.mark.parametrize("client", ["urllib.request", "http.client", "requests"])
def test_100_slow_requests_run_concurrently_with_correct_bodies(hub, client):
    run = _client_runs(hub.backend)[client]
    assert run["n_wrong"] == 0, run["wrong"]
    # 100 x 0.2 s: 20 s in series; concurrent they need ~0.2 s plus overhead. 2.5 s leaves room for a
    # loaded 2-core machine and still proves the requests overlapped (at least 8 at a time).
    assert run["seconds"] < 2.5, run
