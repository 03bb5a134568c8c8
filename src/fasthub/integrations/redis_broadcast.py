"""Broadcast messages to WebSocket clients across processes through Redis pub/sub.

One fasthub process holds thousands of WebSockets, but a deployment runs several processes
(``python -m fasthub.wsgi --workers N``, gunicorn workers, several machines), and a message sent by a
client connected to one process must reach clients connected to all the others. Each process keeps a
``Broadcast``: ``publish()`` sends a message to a Redis channel, and every process's listener green
thread receives it and hands it to its own local clients.

    from fasthub.integrations.redis_broadcast import Broadcast
    from fasthub.websocket import WebSocketWSGI

    hub = Broadcast("redis://127.0.0.1:6379/0", channel="chat")

    @WebSocketWSGI
    def chat(ws):
        with hub.joined(ws):            # this client now receives every broadcast
            for message in ws:
                hub.publish(message)    # reaches the clients of every process

Serve it with ``python -m fasthub.wsgi app:chat --workers 4`` (``demo_app`` below is a runnable
version). No monkey patching is needed: the module speaks Redis's protocol (RESP) itself over fasthub
green sockets, two connections per process (one subscribed, one to publish).

Delivery: each local client has a bounded queue drained by its own green thread, so one slow client
never delays the others; a client whose queue is full (``max_queue`` messages behind) is disconnected
with close code 1008. Redis pub/sub is at-most-once: messages published while a process is
reconnecting to Redis (it retries with back-off) are not delivered to that process's clients.
"""

import logging
import os
from urllib.parse import unquote, urlsplit

from fasthub.core._greenthread import spawn
from fasthub.core._hub import sleep
from fasthub.green.socket import create_connection
from fasthub.sync.event import Event
from fasthub.sync.locks import Lock
from fasthub.sync.queue import Full, LightQueue

__all__ = ["Broadcast", "RedisError", "demo_app"]

log = logging.getLogger("fasthub.integrations.redis_broadcast")


class RedisError(Exception):
    """Redis answered a command with an error, or the reply was not RESP."""


class _Resp:
    """A minimal RESP2 connection: enough for AUTH, SELECT, PUBLISH and SUBSCRIBE."""

    def __init__(self, url, timeout):
        u = urlsplit(url)
        if u.scheme not in ("redis", ""):
            raise ValueError(f"fasthub.integrations.redis_broadcast: need a redis:// URL, not {url!r}")
        self.sock = create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout)
        self.sock.settimeout(None)
        self.file = self.sock.makefile("rb")
        try:
            if u.password is not None:
                args = ([unquote(u.username)] if u.username else []) + [unquote(u.password)]
                self.command("AUTH", *args)
            db = (u.path or "/").strip("/")
            if db and db != "0":
                self.command("SELECT", db)
        except BaseException:
            self.close()
            raise

    def send(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(parts))

    def reply(self):
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("fasthub.integrations.redis_broadcast: Redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)
            if len(data) != n + 2:
                raise ConnectionError("fasthub.integrations.redis_broadcast: truncated reply")
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RedisError(f"fasthub.integrations.redis_broadcast: not a RESP reply: {line[:80]!r}")

    def command(self, *args):
        self.send(*args)
        return self.reply()

    def close(self):
        # The socket first: a green thread parked in a read on it wakes with an error. The buffered
        # reader refuses to close under a read in progress ("reentrant call"); that reader's owner
        # closes it when its read fails.
        self.sock.close()
        try:
            self.file.close()
        except RuntimeError:
            pass


class _Client:
    """One local receiver: a bounded queue and the green thread that drains it into ``send``."""

    def __init__(self, send, on_overflow, max_queue):
        self.queue = LightQueue(max_queue)
        self.send = send
        self.on_overflow = on_overflow
        self.task = spawn(self._drain)

    def _drain(self):
        while True:
            message = self.queue.get()
            if message is None:
                return
            try:
                self.send(message)
            except Exception:   # the client went away: its own handler notices and leaves
                return

    def offer(self, message):
        try:
            self.queue.put_nowait(message)
        except Full:
            self.on_overflow()


class Broadcast:
    """Process-local end of a Redis pub/sub channel (see the module docstring).

    ``redis_url``: ``redis://[user:password@]host:port/db``. ``channel``: the Redis channel name.
    ``max_queue``: messages a local client may fall behind before it is disconnected.
    ``timeout``: seconds to connect to Redis (and for start() to see the subscription confirmed).
    """

    def __init__(self, redis_url="redis://127.0.0.1:6379/0", channel="fasthub", max_queue=256,
                 timeout=10.0):
        self.redis_url = redis_url
        self.channel = channel
        self.max_queue = max_queue
        self.timeout = timeout
        self._clients = {}           # key -> _Client
        self._listener = None
        self._subscribed = Event()
        self._sub = None
        self._pub = None
        self._pub_lock = Lock()
        self._closed = False
        self.reconnects = 0          #: times the listener had to reconnect to Redis

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self):
        """Start the listener green thread (once) and park until Redis confirmed the subscription.
        Raises TimeoutError if that takes longer than ``timeout``. join() calls it."""
        if self._closed:
            raise RuntimeError("fasthub.integrations.redis_broadcast: this Broadcast is closed")
        if self._listener is None:
            self._listener = spawn(self._listen)
        if not self._subscribed.wait(self.timeout):
            raise TimeoutError(f"fasthub.integrations.redis_broadcast: not subscribed to "
                               f"{self.channel!r} at {self.redis_url} within {self.timeout} s")

    def close(self):
        """Stop listening, close both Redis connections and every local client's sender."""
        self._closed = True
        if self._listener is not None:
            self._listener.kill(block=True, timeout=2.0)
        for conn in (self._sub, self._pub):
            if conn is not None:
                conn.close()
        for key in list(self._clients):
            self.leave(key)

    def _listen(self):
        delay = 0.1
        while not self._closed:
            try:
                self._sub = _Resp(self.redis_url, self.timeout)
                self._sub.send("SUBSCRIBE", self.channel)
                while True:
                    msg = self._sub.reply()
                    if not isinstance(msg, list) or len(msg) < 3:
                        continue
                    kind = msg[0]
                    if kind == b"subscribe":
                        self._subscribed.set()
                        delay = 0.1
                    elif kind == b"message":
                        self._deliver(msg[2].decode("utf-8", "replace"))
                        # A burst arrives from one buffered read: let the senders run between
                        # messages so only clients that really stall fill their queues.
                        sleep(0)
            except (OSError, RedisError, ValueError) as e:
                if self._closed:
                    return
                self._subscribed.clear()
                self.reconnects += 1
                log.warning("redis_broadcast: lost the subscription to %r (%s); reconnecting in "
                            "%.1f s", self.channel, e, delay)
                sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                sub, self._sub = self._sub, None
                if sub is not None:
                    sub.close()

    # -- local clients ------------------------------------------------------------------------------

    def join(self, ws_or_send, key=None):
        """Deliver every broadcast message to a local client from now on. ``ws_or_send``: a
        WebSocket (its ``send`` is used and it is closed with 1008 if it falls behind) or a
        callable ``send(message)``. Returns the key to leave() with."""
        self.start()
        send = getattr(ws_or_send, "send", ws_or_send)
        key = ws_or_send if key is None else key
        self._clients[key] = _Client(send, lambda: self._overflow(key, ws_or_send), self.max_queue)
        return key

    def leave(self, key):
        """Stop delivering to a client (idempotent)."""
        client = self._clients.pop(key, None)
        if client is not None:
            try:
                client.queue.put_nowait(None)   # let it finish the message it is sending
            except Full:
                client.task.kill(block=False)

    def joined(self, ws_or_send):
        """Context manager: join() for the duration of a ``with`` block."""
        broadcast = self

        class _Joined:
            def __enter__(self):
                self.key = broadcast.join(ws_or_send)
                return broadcast

            def __exit__(self, *exc):
                broadcast.leave(self.key)

        return _Joined()

    def _overflow(self, key, target):
        log.warning("redis_broadcast: a client fell %d messages behind; disconnecting it",
                    self.max_queue)
        self.leave(key)
        close = getattr(target, "close", None)
        if close is not None:
            spawn(close, 1008, "too slow")

    def _deliver(self, message):
        for client in list(self._clients.values()):
            client.offer(message)

    @property
    def local_clients(self):
        return len(self._clients)

    # -- publishing ---------------------------------------------------------------------------------

    def publish(self, message):
        """Send ``message`` (str or bytes) to every process's clients, this one's included. Parks
        the calling green thread for one Redis round trip; returns how many processes listen.
        Raises OSError/RedisError if Redis cannot be reached (after one reconnect attempt)."""
        if self._closed:
            raise RuntimeError("fasthub.integrations.redis_broadcast: this Broadcast is closed")
        with self._pub_lock:
            for attempt in (1, 2):
                try:
                    if self._pub is None:
                        self._pub = _Resp(self.redis_url, self.timeout)
                    return self._pub.command("PUBLISH", self.channel, message)
                except OSError:
                    if self._pub is not None:
                        self._pub.close()
                        self._pub = None
                    if attempt == 2:
                        raise


# -- a runnable demo: python -m fasthub.wsgi fasthub.integrations.redis_broadcast:demo_app -w 2 ----------

_demo = None


def demo_app(environ, start_response):
    """WSGI app for the demo and the tests: a WebSocket at any path; the server first sends
    ``hello <pid>``, then every message a client sends is broadcast to all clients of all processes
    as ``<pid>: <message>``. Redis from FASTHUB_BROADCAST_REDIS_URL (default redis://127.0.0.1:6379/0),
    channel FASTHUB_BROADCAST_CHANNEL (default fasthub-demo)."""
    global _demo
    from fasthub.web.websocket import WebSocketWSGI
    if _demo is None:
        broadcast = Broadcast(os.environ.get("FASTHUB_BROADCAST_REDIS_URL", "redis://127.0.0.1:6379/0"),
                              os.environ.get("FASTHUB_BROADCAST_CHANNEL", "fasthub-demo"))
        pid = os.getpid()

        def chat(ws):
            with broadcast.joined(ws):      # subscribed (in this process) once this returns
                ws.send(f"hello {pid}")
                for message in ws:
                    broadcast.publish(f"{pid}: {message}")

        _demo = WebSocketWSGI(chat)
    return _demo(environ, start_response)
