"""The soak's traffic (bench/test_soak.py): mixed HTTP, WebSocket and database requests with connects and
disconnects, for a fixed time, every answer checked.

WORKERS asyncio tasks (uvloop, pinned to the client CPU) each repeat the same cycle of sessions, pausing
PAUSE seconds between them, so the load is steady and moderate (a soak looks for growth, not speed):

  hello      a new connection, GET /, close                       (connect/disconnect churn)
  keepalive  one connection, 4 x (GET / and GET /db?n=i), close   (keep-alive, PostgreSQL queries)
  db         a new connection, GET /db?n=i, close                 (the server's connection pool)
  ws         a WebSocket, 3 echoed messages, then a close handshake (or, every other time, the TCP
             connection dropped without one)
  abandon    a connection that sends half a request head and goes away (the server must clean up)

Every response is checked (status, body; /db answers n+1; echoes come back intact). The first error
ends the run with an error. The result: sessions per kind and requests in total, one JSON line.
"""

import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _loadgen import run, ws_frame  # noqa: E402

BODY = b"Hello, world!\n"
KINDS = ("hello", "keepalive", "db", "ws", "abandon")


class SoakError(Exception):
    pass


async def _get(reader, writer, path, expect):
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SoakError(f"GET {path}: {head[:100]!r}")
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise SoakError(f"GET {path}: no Content-Length in {head[:200]!r}")
    body = await reader.readexactly(length)
    if body != expect:
        raise SoakError(f"GET {path}: {body[:100]!r} instead of {expect[:100]!r}")


async def _close(writer):
    writer.close()
    try:
        await writer.wait_closed()
    except ConnectionError:
        pass


async def session(kind, port, i):
    """One session of ``kind``; returns the requests it made. Raises SoakError on a wrong answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if kind == "hello":
            await _get(reader, writer, "/", BODY)
            return 1
        if kind == "db":
            await _get(reader, writer, f"/db?n={i}", str(i + 1).encode())
            return 1
        if kind == "keepalive":
            for k in range(4):
                await _get(reader, writer, "/", BODY)
                await _get(reader, writer, f"/db?n={i + k}", str(i + k + 1).encode())
            return 8
        if kind == "abandon":
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.")
            await writer.drain()
            writer.transport.abort()
            return 0
        # ws
        writer.write(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise SoakError(f"WebSocket handshake: {head[:100]!r}")
        for k in range(3):
            payload = f"soak {i} {k}".encode()
            writer.write(ws_frame(0x2, payload))
            got = await reader.readexactly(2 + len(payload))
            if got != bytes([0x82, len(payload)]) + payload:
                raise SoakError(f"WebSocket echo: {got!r} for {payload!r}")
        if i % 2:
            writer.transport.abort()
            return 3
        writer.write(ws_frame(0x8, b"\x03\xe8"))   # close, 1000
        got = await reader.readexactly(4)
        if got[:2] != b"\x88\x02":
            raise SoakError(f"WebSocket close: {got!r}")
        return 3
    finally:
        await _close(writer)


async def soak(args):
    deadline = time.monotonic() + args.seconds
    sessions = dict.fromkeys(KINDS, 0)
    requests = [0]

    async def worker(w):
        i = w
        while time.monotonic() < deadline:
            kind = KINDS[i % len(KINDS)]
            try:
                n = await asyncio.wait_for(session(kind, args.port, i), 30)
            except (SoakError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
                raise SoakError(f"{kind} session {i}: {type(e).__name__}: {e}") from None
            requests[0] += n
            sessions[kind] += 1
            i += args.workers
            await asyncio.sleep(args.pause)

    await asyncio.gather(*(worker(w) for w in range(args.workers)))
    return {"sessions": sessions, "requests": requests[0]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--pause", type=float, default=0.02)
    ap.add_argument("--cpu", default="")
    args = ap.parse_args()
    run(lambda loop: soak(args), args.cpu)


if __name__ == "__main__":
    main()
