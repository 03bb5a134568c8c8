"""Load generator for the network benchmarks, run in its own process pinned to the client CPU.

Written with asyncio Protocols on uvloop (required: a slower loop could make the client the bottleneck,
so there is no quiet fallback): callbacks, no task per message. Modes:

  echo    CONNS connections, each sending SIZE bytes and waiting for exactly those bytes back, in a loop.
  ws      the same over WebSocket: a minimal client (handshake, then masked binary frames of SIZE bytes;
          one mask for every frame, which servers accept and which keeps the client cheap); the answer
          must be the same payload in an unmasked binary frame.
  hold    open CONNS HTTP/1.1 keep-alive connections, one GET each (checked: 200 and the expected body),
          then hold them idle; report once all are open and wait for a line on stdin before closing (the
          driver reads the server's RSS, or runs wrk, meanwhile).
  fanout  c10k: open CONNS WebSocket connections, report, wait for "go" on stdin, ask the server (text
          message "start N PERIOD" on the first connection) for N broadcasts PERIOD seconds apart, and
          check that every connection gets every broadcast, in order. Each broadcast carries its sequence
          number and the server's time.monotonic() when the fan-out began (CLOCK_MONOTONIC is one clock
          for every process on the machine), so each delivery's fan-out latency is measured here.

echo and ws run WARMUP seconds unmeasured, then DURATION seconds measured: round trips completed, their
latencies, and the server's CPU time over that window (read from /proc with psutil, by --server-pid).
With --count-seconds S they then count the server's system calls and wake-ups over S more seconds
(bench/_counters.py), outside the timed window. fanout counts them over --count-broadcasts extra
broadcasts after the timed ones. Any error (a wrong answer, a lost connection, a missing broadcast) fails
the round. --sources K spreads the client side over 127.0.0.2 .. 127.0.0.(K+1), each with its own
ephemeral ports, when one address would run short of them. The result is one JSON line on stdout,
prefixed like the workers'.
"""

import argparse
import array
import asyncio
import base64
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _counters  # noqa: E402
import _harness  # noqa: E402

perf_counter = time.perf_counter
monotonic = time.monotonic

# A c10k broadcast: sequence number and the server's time.monotonic() at the start of its fan-out.
BROADCAST = struct.Struct("!Id")


def send(msg):
    sys.stdout.write(_harness.PREFIX + json.dumps(msg) + "\n")
    sys.stdout.flush()


def percentile(sorted_vals, p):
    if not sorted_vals:
        return None
    return sorted_vals[min(len(sorted_vals) - 1, int(p * len(sorted_vals)))]


def ws_handshake(args):
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


def ws_frame(opcode, payload, mask=None):
    """A masked client frame (payloads under 126 bytes)."""
    if len(payload) >= 126:
        raise SystemExit("the load generator's frames carry payloads under 126 bytes")
    mask = mask or os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Client(asyncio.Protocol):
    """Connection set-up shared by the modes: an optional WebSocket handshake, ``ready`` once done,
    and every loss of the connection before ``stats.stop`` recorded as an error."""

    def __init__(self, stats, handshake=None):
        self.stats = stats
        self.handshake = handshake
        self.ready = asyncio.get_event_loop().create_future()
        self.head = b""

    def connection_made(self, transport):
        self.transport = transport
        if self.handshake is None:
            self.ready.set_result(None)
        else:
            transport.write(self.handshake)

    def handshake_data(self, data):
        """Feed bytes while the handshake is pending; returns what followed the response head."""
        self.head += data
        if b"\r\n\r\n" not in self.head:
            return b""
        head, _, rest = self.head.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            self.ready.set_exception(RuntimeError(f"handshake refused: {head[:200]!r}"))
        else:
            self.ready.set_result(None)
        self.head = b""
        return rest

    def connection_lost(self, exc):
        if not self.stats.stop:
            self.stats.errors.append(f"connection lost: {exc!r}")
            if not self.ready.done():
                self.ready.set_exception(ConnectionError(f"closed during set-up: {exc!r}"))


class Stats:
    def __init__(self):
        self.phase = "warmup"   # warmup -> timed -> counted -> done
        self.stop = False
        self.ops = {"warmup": 0, "timed": 0, "counted": 0, "done": 0}
        self.lat = []
        self.errors = []


class RoundTrip(Client):
    """Sends ``message`` and waits for exactly ``answer`` to come back, again and again."""

    def __init__(self, stats, message, answer, handshake=None):
        super().__init__(stats, handshake)
        self.message = message
        self.answer = answer
        self.got = bytearray()
        self.t0 = 0.0

    def go(self):
        self.t0 = perf_counter()
        self.transport.write(self.message)

    def data_received(self, data):
        if not self.ready.done():
            data = self.handshake_data(data)
            if data:
                self.stats.errors.append("data after the handshake")
            return
        got = self.got
        got += data
        if len(got) < len(self.answer):
            return
        st = self.stats
        if got != self.answer:
            st.errors.append(f"wrong answer: {bytes(got[:80])!r} for {self.answer[:80]!r}")
            st.stop = True
            return
        got.clear()
        st.ops[st.phase] += 1
        if st.phase == "timed":
            st.lat.append(perf_counter() - self.t0)
        if not st.stop:
            self.go()


async def _open(loop, args, factory, limit=100, timeout=120):
    """Open args.conns connections (``limit`` set-ups at a time), spread over args.sources addresses;
    RuntimeError if they are not all set up within ``timeout`` seconds."""
    protos = []
    sem = asyncio.Semaphore(limit)

    async def one(i):
        local = (f"127.0.0.{2 + i % args.sources}", 0) if args.sources > 1 else None
        async with sem:
            _, p = await loop.create_connection(factory, "127.0.0.1", args.port, local_addr=local)
            protos.append(p)
            await p.ready

    try:
        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(args.conns))), timeout)
    except asyncio.TimeoutError:
        raise RuntimeError(f"only {len(protos)} of {args.conns} connections were set up in {timeout} s") from None
    return protos


def _cpu(proc):
    if proc is None:
        return 0.0
    t = proc.cpu_times()
    return t.user + t.system


async def counted(loop, args, stats, wait):
    """Count the server's system calls and wake-ups while ``await wait()`` runs, in the "counted" phase."""
    counter = _counters.Counter(args.server_pid)
    await loop.run_in_executor(None, counter.start)
    stats.phase = "counted"
    try:
        await wait()
    finally:
        stats.phase = "done"
        counts = await loop.run_in_executor(None, counter.stop)
    return _counters.per_op(counts, stats.ops["counted"])


async def round_trips(loop, args, ws):
    import psutil
    server = psutil.Process(args.server_pid) if args.server_pid else None
    stats = Stats()
    payload = os.urandom(args.size)
    if ws:
        message = ws_frame(0x2, payload, os.urandom(4))
        answer = bytes([0x82, args.size]) + payload
        handshake = ws_handshake(args)
    else:
        message, answer, handshake = payload, payload, None
    protos = await _open(loop, args, lambda: RoundTrip(stats, message, answer, handshake))
    for p in protos:
        p.go()
    await asyncio.sleep(args.warmup)
    c0, u0, t0 = _cpu(server), time.process_time(), perf_counter()
    stats.phase = "timed"
    await asyncio.sleep(args.duration)
    stats.phase = "done"
    t1, c1, u1 = perf_counter(), _cpu(server), time.process_time()
    counts = {}
    if args.count_seconds and not stats.errors:
        counts = await counted(loop, args, stats, lambda: asyncio.sleep(args.count_seconds))
    stats.stop = True
    for p in protos:
        p.transport.close()
    await asyncio.sleep(0.05)
    if stats.errors:
        raise RuntimeError("; ".join(stats.errors[:5]))
    n = stats.ops["timed"]
    if not n:
        raise RuntimeError("no round trip completed")
    lat = sorted(stats.lat)
    wall = t1 - t0
    return dict({"ops": n, "wall": wall, "rate": n / wall,
                 "p50": percentile(lat, 0.50), "p99": percentile(lat, 0.99),
                 "server_cpu_per_op": (c1 - c0) / n if server else None,
                 "client_cpu_per_op": (u1 - u0) / n, "conns": args.conns}, **counts)


class HttpOnce(Client):
    """One keep-alive GET; ``ready`` resolves once the whole response has arrived and is right."""

    def __init__(self, stats, request, body):
        super().__init__(stats)
        self.request = request
        self.body = body
        self.buf = b""
        self.need = None
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        if self.ready.done():
            self.stats.errors.append(f"unexpected data on an idle connection: {data[:80]!r}")
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
            body = self.buf[self.need - len(self.body):]
            if body != self.body:
                self.ready.set_exception(RuntimeError(f"wrong body {body[:80]!r}"))
            else:
                self.ready.set_result(None)

    def connection_lost(self, exc):
        self.closed = True
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before the response: {exc!r}"))


async def hold(loop, args):
    stats = Stats()
    request = (f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nConnection: keep-alive\r\n\r\n").encode()
    body = args.expect_body.encode()
    protos = await _open(loop, args, lambda: HttpOnce(stats, request, body), limit=200)
    await asyncio.sleep(0.2)
    closed = sum(1 for p in protos if p.closed)
    send({"holding": len(protos) - closed, "closed": closed})
    await loop.run_in_executor(None, sys.stdin.readline)
    closed = sum(1 for p in protos if p.closed)
    stats.stop = True
    for p in protos:
        p.transport.close()
    await asyncio.sleep(0.05)
    if stats.errors:
        raise RuntimeError("; ".join(stats.errors[:5]))
    return {"done": True, "closed_meanwhile": closed}


class Fan:
    """What the c10k connections received: per broadcast, how many got it and (timed ones) how late."""

    def __init__(self, loop, conns, timed, total):
        self.conns = conns
        self.timed = timed
        self.got = [0] * total
        self.lat = [array.array("d") for _ in range(timed)]
        self.complete = [loop.create_future() for _ in range(total)]
        self.stats = Stats()

    def arrived(self, seq, latency):
        st = self.stats
        if seq >= len(self.got):
            st.errors.append(f"broadcast {seq} was not asked for")
            return
        self.got[seq] += 1
        st.ops[st.phase] += 1
        if seq < self.timed:
            self.lat[seq].append(latency)
        if self.got[seq] == self.conns:
            self.complete[seq].set_result(monotonic())


class FanoutClient(Client):
    """One c10k connection: the handshake, then broadcast frames (unmasked, 12-byte payload) in order."""

    def __init__(self, fan, handshake):
        super().__init__(fan.stats, handshake)
        self.fan = fan
        self.buf = bytearray()
        self.next_seq = 0

    def data_received(self, data):
        if not self.ready.done():
            data = self.handshake_data(data)
            if not data:
                return
        now = monotonic()
        buf = self.buf
        buf += data
        pos, end = 0, len(buf)
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            if b0 not in (0x81, 0x82) or b1 != BROADCAST.size:
                self.stats.errors.append(f"unexpected frame {bytes(buf[pos:pos + 16])!r}")
                self.transport.close()
                return
            if end - pos < 2 + BROADCAST.size:
                break
            seq, sent = BROADCAST.unpack_from(buf, pos + 2)
            if seq != self.next_seq:
                self.stats.errors.append(f"broadcast {seq} arrived where {self.next_seq} was due")
            self.next_seq = seq + 1
            self.fan.arrived(seq, now - sent)
            pos += 2 + BROADCAST.size
        del buf[:pos]


async def fanout(loop, args):
    import psutil
    server = psutil.Process(args.server_pid)
    total = args.broadcasts + args.count_broadcasts
    fan = Fan(loop, args.conns, args.broadcasts, total)
    handshake = ws_handshake(args)
    t_open = perf_counter()
    protos = await _open(loop, args, lambda: FanoutClient(fan, handshake), limit=200)
    send({"open": len(protos), "open_seconds": perf_counter() - t_open})
    line = await loop.run_in_executor(None, sys.stdin.readline)
    if line.strip() != "go":
        raise RuntimeError(f"expected 'go' from the driver, got {line!r}")
    if fan.stats.errors:
        raise RuntimeError("; ".join(fan.stats.errors[:5]))
    fan.stats.phase = "timed"
    c0, u0 = _cpu(server), time.process_time()
    protos[0].transport.write(ws_frame(0x1, f"start {total} {args.period}".encode()))

    async def delivered(seq):
        try:
            return await asyncio.wait_for(asyncio.shield(fan.complete[seq]), args.period * 3 + 30)
        except asyncio.TimeoutError:
            raise RuntimeError(f"broadcast {seq} reached {fan.got[seq]} of {args.conns} connections; "
                               f"errors: {fan.stats.errors[:3]}") from None

    for seq in range(args.broadcasts):
        await delivered(seq)
        if fan.stats.errors:
            break
    c1, u1 = _cpu(server), time.process_time()
    counts = {}
    if args.count_broadcasts and not fan.stats.errors:
        async def rest():
            for seq in range(args.broadcasts, total):
                await delivered(seq)
        counts = await counted(loop, args, fan.stats, rest)
    fan.stats.stop = True
    for p in protos:
        p.transport.close()
    await asyncio.sleep(0.1)
    if fan.stats.errors:
        raise RuntimeError("; ".join(fan.stats.errors[:5]))
    lat = sorted(x for a in fan.lat for x in a)
    completion = sorted(max(a) for a in fan.lat)
    b = args.broadcasts
    return dict({"conns": args.conns, "broadcasts": b, "deliveries": len(lat),
                 "p50": percentile(lat, 0.5), "p99": percentile(lat, 0.99), "max": lat[-1],
                 "completion_median": percentile(completion, 0.5), "completion_max": completion[-1],
                 "server_cpu_per_broadcast": (c1 - c0) / b, "client_cpu_per_broadcast": (u1 - u0) / b},
                **counts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["echo", "ws", "hold", "fanout"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=100)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--count-seconds", type=float, default=0.0)
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--path", default="/")
    ap.add_argument("--expect-body", default="Hello, world!\n")
    ap.add_argument("--broadcasts", type=int, default=60)
    ap.add_argument("--count-broadcasts", type=int, default=0)
    ap.add_argument("--period", type=float, default=1.0)
    ap.add_argument("--sources", type=int, default=1)
    ap.add_argument("--cpu", default="")
    args = ap.parse_args()

    def main_coro(loop):
        if args.mode == "hold":
            return hold(loop, args)
        if args.mode == "fanout":
            return fanout(loop, args)
        return round_trips(loop, args, args.mode == "ws")
    run(main_coro, args.cpu, args.conns + 256)


def run(main_coro, cpu, nofile=1024):
    """Pin to ``cpu``, allow ``nofile`` open files, run main_coro(loop) on uvloop and send its result
    (or the error) as the one JSON line the driver reads."""
    try:
        _harness.pin(int(cpu) if cpu else None)
        _harness.raise_nofile(nofile)
        try:
            import uvloop
        except ImportError:
            raise RuntimeError("the load generator needs uvloop (make bench installs it)") from None
        loop = uvloop.new_event_loop()
        asyncio.set_event_loop(loop)
        result = loop.run_until_complete(main_coro(loop))
    except Exception as e:
        send({"error": f"{type(e).__name__}: {e}"})
        return
    send(result)


if __name__ == "__main__":
    main()
