"""Scale-out: WebSocket broadcast across processes through Redis pub/sub
(fasthub.integrations.redis_broadcast), against a real Redis."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

import fasthub
from fasthub.integrations.redis_broadcast import Broadcast, RedisError

from integ_support import ROOT


@pytest.fixture
def channel():
    return "fh-bc-" + uuid.uuid4().hex[:12]


def _collect(broadcast):
    got = []
    broadcast.join(got.append)
    return got


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        fasthub.sleep(0.01)
    return True


def test_publish_reaches_every_subscriber_in_order(redis_url, channel):
    # Two Broadcasts stand for two processes: each has its own Redis connections and listener.
    a, b = Broadcast(redis_url, channel), Broadcast(redis_url, channel)
    try:
        got_a, got_b = _collect(a), _collect(b)
        assert a.publish("one") == 2      # two listening connections
        b.publish("two")
        for i in range(100):
            a.publish(f"m{i}")
        expected = ["one", "two"] + [f"m{i}" for i in range(100)]
        assert _wait_for(lambda: len(got_a) == len(got_b) == len(expected))
        assert got_a == expected and got_b == expected
    finally:
        a.close()
        b.close()


def test_listener_reconnects_after_redis_drops_it(redis_url, channel, hub_errors):
    a, b = Broadcast(redis_url, channel), Broadcast(redis_url, channel)
    try:
        got = _collect(b)
        a.start()      # a listens too (publishing alone needs no subscription)
        a.publish("before")
        assert _wait_for(lambda: got == ["before"])
        # Redis kicks every pub/sub connection (as a restart or failover would).
        from fasthub.integrations.redis_broadcast import _Resp
        admin = _Resp(redis_url, 5)
        try:
            assert admin.command("CLIENT", "KILL", "TYPE", "pubsub") >= 2
        finally:
            admin.close()
        assert _wait_for(lambda: b.reconnects >= 1 and b._subscribed.is_set(), timeout=10)
        assert _wait_for(lambda: a._subscribed.is_set(), timeout=10)
        a.publish("after")
        assert _wait_for(lambda: got == ["before", "after"])
    finally:
        a.close()
        b.close()


def test_slow_client_is_dropped_without_delaying_others(redis_url, channel):
    a = Broadcast(redis_url, channel, max_queue=5)
    try:
        fast = _collect(a)
        stuck = []
        closed = []

        class Stuck:
            def send(self, message):
                stuck.append(message)
                fasthub.sleep(60)     # a client whose socket buffer is full

            def close(self, code, reason):
                closed.append((code, reason))

        a.join(Stuck())
        for i in range(20):
            a.publish(str(i))
        assert _wait_for(lambda: len(fast) == 20)
        assert _wait_for(lambda: closed == [(1008, "too slow")])
        assert stuck == ["0"] and a.local_clients == 1
    finally:
        a.close()


def test_redis_errors_are_reported(channel):
    nowhere = Broadcast("redis://127.0.0.1:1/0", channel, timeout=0.2)
    with pytest.raises(ConnectionRefusedError):
        nowhere.publish("x")
    with pytest.raises(TimeoutError, match="not subscribed"):
        nowhere.join(print)
    nowhere.close()
    with pytest.raises(RuntimeError, match="closed"):
        nowhere.publish("x")
    with pytest.raises(ValueError, match="redis://"):
        from fasthub.integrations.redis_broadcast import _Resp
        _Resp("http://127.0.0.1:80/", 1)
    assert issubclass(RedisError, Exception)


def test_message_reaches_clients_of_another_worker_process(redis_url, channel, backend):
    """python -m fasthub.wsgi --workers 2 (SO_REUSEPORT): a message sent by a client of one worker
    process reaches the clients of the other."""
    from fasthub.websocket import connect

    env = dict(os.environ, FASTHUB_BROADCAST_REDIS_URL=redis_url, FASTHUB_BROADCAST_CHANNEL=channel,
               FASTHUB_BACKEND=backend, PYTHONPATH=os.path.join(ROOT, "src"))
    out = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "fasthub.wsgi",
                             "fasthub.integrations.redis_broadcast:demo_app", "--workers", "2",
                             "--bind", "127.0.0.1:0", "--graceful-timeout", "2"],
                            env=env, stdout=out, stderr=subprocess.STDOUT)
    clients = []
    try:
        deadline = time.monotonic() + 20
        port = None
        while port is None:
            out.seek(0)
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", out.read())
            if m:
                port = int(m.group(1))
            assert proc.poll() is None and time.monotonic() < deadline, "supervisor did not start"
            fasthub.sleep(0.05)
        # Connect until both workers have two clients. The kernel spreads connections by hash among
        # the sockets listening at that moment, so until the second worker is up all go to the first:
        # surplus connections are closed and we retry shortly.
        by_pid = {}
        while len(by_pid) < 2 or min(len(v) for v in by_pid.values()) < 2:
            assert time.monotonic() < deadline, f"connections reached one worker only: {by_pid}"
            try:
                ws = connect(f"ws://127.0.0.1:{port}/chat", timeout=5)
            except OSError:
                fasthub.sleep(0.1)    # workers still starting
                continue
            pid = int(ws.wait(timeout=5).split()[1])
            if len(by_pid.get(pid, ())) >= 2:
                ws.close()
                fasthub.sleep(0.05)
                continue
            clients.append(ws)
            by_pid.setdefault(pid, []).append(ws)
        (pid_a, group_a), (pid_b, group_b) = list(by_pid.items())[:2]
        # A worker says hello once the client joined, so both workers are subscribed by now.
        group_a[0].send("hi from A")
        for ws in clients:
            assert ws.wait(timeout=5) == f"{pid_a}: hi from A"
        group_b[0].send("hi from B")
        for ws in clients:
            assert ws.wait(timeout=5) == f"{pid_b}: hi from B"
    finally:
        for ws in clients:
            try:
                ws.close()
            except Exception:
                pass
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()
