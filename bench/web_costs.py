"""What one connection and one request cost fasthub's web servers: a script, not a test.

    .venv/bin/python bench/web_costs.py memory [--conns 5000] [--runs 3]
    .venv/bin/python bench/web_costs.py cpu [--seconds 10] [--runs 3]

memory: a fresh fasthub.wsgi server process (pinned to one CPU) serves either a hello-world app
(``http``) or a WebSocket echo (``ws``); after one warm-up exchange its RSS is read, then a client
process (pinned to the other CPU) opens N connections, makes one exchange on each (a keep-alive GET, or
the WebSocket handshake and one echoed message) and leaves them all idle; RSS is read again. Bytes per
idle connection = growth / N. The client checks that every connection is still open at the end.

cpu: a fresh server process pinned to one CPU with the hello-world app, ``wrk -t1 -c100`` pinned to the
other; server CPU time (user + system, /proc/<pid>/stat) around wrk's run divided by the requests wrk
completed.

Each figure is the median of ``--runs`` runs, each in a new server process. RSS and CPU are the server
process's own (/proc), so the client's speed does not enter them. Linux only.
"""

import argparse
import asyncio
import base64
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

BODY = b"Hello, world!\n"
SERVER_CPU, CLIENT_CPU = 0, 1


# --- the server process ------------------------------------------------------------------------------

def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


def serve(kind):
    """Run in the server process: listen on 127.0.0.1, print the port, serve until killed."""
    _raise_nofile()
    from fasthub.green.socket import socket as gsocket
    from fasthub.wsgi import WSGIServer
    lsock = gsocket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4096)
    if kind == "ws":
        import fasthub.websocket as fws

        def echo(ws):
            for message in ws:
                ws.send(message)
        app = fws.WebSocketWSGI(echo)
    else:
        app = _hello
    srv = WSGIServer(lsock, app, log=None, pool=20_000, keepalive=600)
    srv.start()
    print(lsock.getsockname()[1], flush=True)
    srv.serve_forever()


def _raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class _Server:
    def __init__(self, kind):
        self.proc = subprocess.Popen(["taskset", "-c", str(SERVER_CPU), sys.executable, __file__, "serve", kind],
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.pid = self.proc.pid

    def rss(self):
        with open(f"/proc/{self.pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def cpu(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


# --- the client process (memory) ---------------------------------------------------------------------

def _ws_frame(payload):
    # A masked binary frame (clients mask); a zero key keeps the payload as is.
    return bytes([0x82, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


async def _one(kind, port, conns):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    if kind == "ws":
        key = base64.b64encode(os.urandom(16)).decode()
        w.write((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await r.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"handshake refused: {head[:80]!r}")
        w.write(_ws_frame(b"ping"))
        if await r.readexactly(6) != b"\x82\x04ping":
            raise RuntimeError("wrong echo")
    else:
        w.write(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        head = await r.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"bad response {head[:80]!r}")
        await r.readexactly(len(BODY))
    conns.append((r, w))


async def _hold(kind, port, n):
    conns = []
    sem = asyncio.Semaphore(100)

    async def one():
        async with sem:
            await _one(kind, port, conns)
    await asyncio.gather(*(one() for _ in range(n)))
    await asyncio.sleep(0.5)
    print("holding", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    closed = sum(1 for r, _ in conns if r.at_eof())
    for _, w in conns:
        w.close()
    print("closed_meanwhile", closed, flush=True)


def hold(kind, port, n):
    """Run in the client process: open n connections, report, wait for a line on stdin, close."""
    _raise_nofile()
    asyncio.run(_hold(kind, int(port), int(n)))


def memory_run(kind, n):
    srv = _Server(kind)
    try:
        asyncio.run(_warm(kind, srv.port))
        time.sleep(0.3)
        before = srv.rss()
        client = subprocess.Popen(["taskset", "-c", str(CLIENT_CPU), sys.executable, __file__, "hold", kind,
                                   str(srv.port), str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        if client.stdout.readline().strip() != "holding":
            raise RuntimeError("the client failed")
        time.sleep(0.5)
        after = srv.rss()
        client.stdin.write("\n")
        client.stdin.flush()
        tail = client.stdout.readline().split()
        client.wait()
        client.stdin.close()
        client.stdout.close()
        if tail != ["closed_meanwhile", "0"]:
            raise RuntimeError(f"the server closed idle connections: {tail}")
        return (after - before) / n
    finally:
        srv.stop()


async def _warm(kind, port):
    conns = []
    await _one(kind, port, conns)
    conns[0][1].close()


# --- cpu ---------------------------------------------------------------------------------------------

def cpu_run(seconds):
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("web_costs: wrk is not installed (apt-get install -y wrk)")
    srv = _Server("http")
    try:
        c0 = srv.cpu()
        out = subprocess.run(["taskset", "-c", str(CLIENT_CPU), wrk, "-t1", "-c100", f"-d{seconds}s",
                              f"http://127.0.0.1:{srv.port}/"], capture_output=True, text=True, check=True).stdout
        c1 = srv.cpu()
    finally:
        srv.stop()
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return (c1 - c0) / requests * 1e6, requests / seconds


def main():
    if sys.argv[1:2] == ["serve"]:
        return serve(sys.argv[2])
    if sys.argv[1:2] == ["hold"]:
        return hold(*sys.argv[2:5])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["memory", "cpu"])
    ap.add_argument("--conns", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--kinds", default="http,ws")
    args = ap.parse_args()
    if args.what == "memory":
        for kind in args.kinds.split(","):
            runs = [memory_run(kind, args.conns) for _ in range(args.runs)]
            print(f"idle {kind} connection: median {statistics.median(runs):,.0f} bytes "
                  f"(runs: {', '.join(f'{r:,.0f}' for r in runs)}; {args.conns:,} connections)")
    else:
        runs = [cpu_run(args.seconds) for _ in range(args.runs)]
        us = [r[0] for r in runs]
        print(f"server CPU per request: median {statistics.median(us):.1f} us "
              f"(runs: {', '.join(f'{u:.1f}' for u in us)}; rates: {', '.join(f'{r[1]:,.0f}/s' for r in runs)})")


if __name__ == "__main__":
    main()
