"""Load generator for the network benchmarks, run in its own process pinned to the client CPU.

Written with asyncio Protocols on uvloop (plain asyncio if uvloop is missing): callbacks, no task per
message, so one process can drive a server without being the bottleneck. Modes:

  echo  CONNS connections, each sending SIZE bytes and waiting for them to come back, in a loop.
  ws    the same over WebSocket: a minimal client (handshake, then masked binary frames of SIZE bytes;
        one mask for every frame, which servers accept and which keeps the client cheap).
  hold  open CONNS HTTP/1.1 keep-alive connections, one GET each, then hold them idle; report once all
        are open and wait for a line on stdin before closing (the driver reads the server's RSS meanwhile).

echo and ws run WARMUP seconds unmeasured, then DURATION seconds measured: round trips completed, their
latencies, and the server's CPU time over that window (read from /proc with psutil, by --server-pid).
The result is one JSON line on stdout, prefixed like the workers'.
"""

import argparse
import asyncio
import base64
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402

perf_counter = time.perf_counter


def send(msg):
    sys.stdout.write(_harness.PREFIX + json.dumps(msg) + "\n")
    sys.stdout.flush()


class Stats:
    def __init__(self):
        self.measuring = False
        self.stop = False
        self.count = 0
        self.lat = []
        self.errors = []


class RoundTrip(asyncio.Protocol):
    """Sends ``message`` and waits for ``expect`` bytes back, again and again."""

    def __init__(self, stats, message, expect, handshake=None):
        self.stats = stats
        self.message = message
        self.expect = expect
        self.handshake = handshake
        self.ready = asyncio.get_event_loop().create_future()
        self.pending = 0
        self.t0 = 0.0
        self.buf = b""
        self.checked = False

    def connection_made(self, transport):
        self.transport = transport
        if self.handshake is None:
            self.ready.set_result(None)
        else:
            transport.write(self.handshake)

    def go(self):
        self.pending = self.expect
        self.t0 = perf_counter()
        self.transport.write(self.message)

    def data_received(self, data):
        if not self.ready.done():
            # WebSocket handshake response.
            self.buf += data
            if b"\r\n\r\n" in self.buf:
                head, _, rest = self.buf.partition(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 101"):
                    self.ready.set_exception(RuntimeError(f"handshake refused: {head[:200]!r}"))
                    return
                self.buf = b""
                self.ready.set_result(None)
                if rest:
                    self.stats.errors.append("data after the handshake")
            return
        if not self.checked and self.handshake is not None:
            # First echo of a WebSocket: a binary frame of len(payload), unmasked.
            self.checked = True
            if data[:1] != b"\x82":
                self.stats.errors.append(f"unexpected frame header {data[:2]!r}")
        self.pending -= len(data)
        if self.pending <= 0:
            st = self.stats
            if self.pending < 0:
                st.errors.append("more bytes came back than were sent")
            if st.measuring:
                st.count += 1
                st.lat.append(perf_counter() - self.t0)
            if not st.stop:
                self.go()

    def connection_lost(self, exc):
        if not self.stats.stop:
            self.stats.errors.append(f"connection lost: {exc!r}")
            if not self.ready.done():
                self.ready.set_exception(ConnectionError("closed during the handshake"))


def percentile(sorted_vals, p):
    if not sorted_vals:
        return None
    return sorted_vals[min(len(sorted_vals) - 1, int(p * len(sorted_vals)))]


async def _open(loop, args, factory, limit=100):
    protos = []
    sem = asyncio.Semaphore(limit)

    async def one():
        async with sem:
            _, p = await loop.create_connection(factory, "127.0.0.1", args.port)
            protos.append(p)
            await p.ready

    await asyncio.gather(*(one() for _ in range(args.conns)))
    return protos


async def round_trips(loop, args, ws):
    import psutil
    server = psutil.Process(args.server_pid) if args.server_pid else None
    stats = Stats()
    payload = os.urandom(args.size)
    if ws:
        if args.size >= 126:
            raise SystemExit("ws mode supports payloads under 126 bytes")
        mask = os.urandom(4)
        frame = bytes([0x82, 0x80 | args.size]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        expect = 2 + args.size
        key = base64.b64encode(os.urandom(16)).decode()
        handshake = (f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nUpgrade: websocket\r\n"
                     f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    else:
        frame, expect, handshake = payload, args.size, None
    protos = await _open(loop, args, lambda: RoundTrip(stats, frame, expect, handshake))
    for p in protos:
        p.go()
    await asyncio.sleep(args.warmup)
    c0 = _cpu(server)
    u0 = time.process_time()
    t0 = perf_counter()
    stats.measuring = True
    await asyncio.sleep(args.duration)
    stats.measuring = False
    t1 = perf_counter()
    c1 = _cpu(server)
    u1 = time.process_time()
    stats.stop = True
    for p in protos:
        p.transport.close()
    await asyncio.sleep(0.05)
    if stats.errors:
        raise RuntimeError("; ".join(stats.errors[:5]))
    if not stats.count:
        raise RuntimeError("no round trip completed")
    lat = sorted(stats.lat)
    wall = t1 - t0
    return {"ops": stats.count, "wall": wall, "rate": stats.count / wall,
            "p50": percentile(lat, 0.50), "p99": percentile(lat, 0.99),
            "server_cpu_per_op": (c1 - c0) / stats.count if server else None,
            "client_cpu_per_op": (u1 - u0) / stats.count, "conns": args.conns}


def _cpu(proc):
    if proc is None:
        return 0.0
    t = proc.cpu_times()
    return t.user + t.system


class HttpOnce(asyncio.Protocol):
    """One keep-alive GET; ``ready`` resolves once the whole response has arrived."""

    def __init__(self, request):
        self.request = request
        self.ready = asyncio.get_event_loop().create_future()
        self.buf = b""
        self.need = None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        if self.ready.done():
            return
        self.buf += data
        if self.need is None and b"\r\n\r\n" in self.buf:
            head, _, body = self.buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if not head.startswith(b"HTTP/1.1 200"):
                self.ready.set_exception(RuntimeError(f"bad response {head[:100]!r}"))
                return
            self.need = len(head) + 4 + length
        if self.need is not None and len(self.buf) >= self.need:
            self.ready.set_result(None)

    def connection_lost(self, exc):
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before the response: {exc!r}"))


async def hold(loop, args):
    request = (f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nConnection: keep-alive\r\n\r\n").encode()
    protos = await _open(loop, args, lambda: HttpOnce(request), limit=200)
    await asyncio.sleep(0.2)
    closed = sum(1 for p in protos if p.transport.is_closing())
    send({"holding": len(protos) - closed, "closed": closed})
    await loop.run_in_executor(None, sys.stdin.readline)
    closed = sum(1 for p in protos if p.transport.is_closing())
    for p in protos:
        p.transport.close()
    await asyncio.sleep(0.05)
    return {"done": True, "closed_meanwhile": closed}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["echo", "ws", "hold"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=100)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--path", default="/")
    ap.add_argument("--cpu", default="")
    args = ap.parse_args()
    _harness.pin(int(args.cpu) if args.cpu else None)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop
        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        if args.mode == "hold":
            result = loop.run_until_complete(hold(loop, args))
        else:
            result = loop.run_until_complete(round_trips(loop, args, args.mode == "ws"))
    except Exception as e:
        send({"error": f"{type(e).__name__}: {e}"})
        return
    send(result)


if __name__ == "__main__":
    main()
