"""Flask-SocketIO in threading mode on fasthub (no eventlet): a broadcast chat with 20
python-socketio clients each sending 10 messages; every client must receive all 200. Over WebSocket
with two worker processes (broadcasts through Redis), and over long-polling with one (polling needs
sticky sessions), each served the three ways."""

import os
import threading
import time

import pytest

from apps_support import HERE, WAYS, need, serve, service

pytestmark = pytest.mark.one_backend

CLIENTS = 20
MESSAGES = 10

SETUPS = [(way, transport) for way in WAYS
          for transport in ("websocket", "polling")]


def _setup_param(way, transport):
    # Two workers share the broadcast through Redis: those setups need scripts/services.sh.
    marks = [pytest.mark.services("Redis")] if transport == "websocket" and way != "wsgi.server" else []
    return pytest.param((way, transport), marks=marks, id=f"{way}-{transport}")


@pytest.fixture(scope="module", params=[_setup_param(w, t) for w, t in SETUPS])
def chat(request):
    need("flask_socketio")
    need("simple_websocket")
    way, transport = request.param
    # eventlet is made unimportable in the servers: nothing of eventlet's is used, or even present.
    env = {"PYTHONPATH": os.path.join(HERE, "without_eventlet")}
    workers = 1
    if transport == "websocket" and way != "wsgi.server":
        workers = 2
        env["SOCKETIO_MESSAGE_QUEUE"] = service("FASTHUB_TEST_REDIS_URL", "Redis")
        # A channel of this run's own: another run's chat servers on the same Redis (two test runs at
        # once) would otherwise broadcast into these clients (seen: duplicates from a parallel run).
        env["SOCKETIO_CHANNEL"] = f"fasthub-chat-{os.getpid()}-{way}"
    for served in serve(way, "chat_app:app", workers=workers, env=env):
        served.transport = transport
        yield served


class ChatClient:
    """A python-socketio client that records every chat message it receives."""

    def __init__(self, socketio, url, transport, index):
        self.index = index
        self.received = []
        self.hellos = threading.Event()
        self.worker = None
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("chat", self.received.append)
        self.sio.on("hello", lambda message: self.hellos.set())
        self.sio.on("welcome", self._welcome)
        self.sio.connect(url, transports=[transport], wait_timeout=10)

    def _welcome(self, message):
        self.worker = message["pid"]

    def send_all(self):
        for k in range(MESSAGES):
            self.sio.emit("chat", {"from": self.index, "k": k})


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}", pytrace=False)
        time.sleep(0.05)


def test_broadcast_chat(chat, monkeypatch):
    socketio = need("socketio")
    # python-engineio's client refuses a long-polling response of more than 16 packets (a decoder
    # guard, Payload.max_decode_packets), while every Engine.IO server answers a poll with all the
    # packets queued for that client; 20 clients chatting queue up to 200. Browsers' client has no
    # such cap: lift it for the test's clients (this process only).
    monkeypatch.setattr(need("engineio.payload").Payload, "max_decode_packets", 1000)
    requests = need("requests")
    assert requests.get(chat.url + "/", timeout=10).json() == \
        {"async_mode": "threading", "eventlet_importable": False}
    clients = []
    try:
        for i in range(CLIENTS):
            clients.append(ChatClient(socketio, chat.url, chat.transport, i))
        _wait(lambda: all(c.worker for c in clients), 10, "every client's welcome")
        # With two workers the broadcast must cross processes: should the kernel have given every
        # connection to one worker (unlikely), connect a few more until the other has one.
        while len({c.worker for c in clients}) < chat.workers and len(clients) < 2 * CLIENTS:
            clients.append(ChatClient(socketio, chat.url, chat.transport, len(clients)))
            _wait(lambda: clients[-1].worker, 10, "the welcome")
        assert len({c.worker for c in clients}) == chat.workers
        assert all(c.sio.transport() == chat.transport for c in clients)
        # With two workers, each must be subscribed to the broadcast channel before the test
        # counts messages: say hello until every client heard one.
        deadline = time.monotonic() + 15
        while not all(c.hellos.is_set() for c in clients):
            if time.monotonic() > deadline:
                pytest.fail(f"{sum(not c.hellos.is_set() for c in clients)} clients never "
                            f"received a broadcast", pytrace=False)
            clients[0].sio.emit("hello", "anyone there?")
            time.sleep(0.2)
        senders = [threading.Thread(target=c.send_all) for c in clients]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        expected = sorted((i, k) for i in range(len(clients)) for k in range(MESSAGES))
        _wait(lambda: all(len(c.received) >= len(expected) for c in clients), 30,
              "every client to receive every message")
        time.sleep(0.2)   # a duplicate would arrive now
        for c in clients:
            got = sorted((m["from"], m["k"]) for m in c.received)
            assert got == expected, f"client {c.index}: {len(got)} messages"
    finally:
        for c in clients:
            c.sio.disconnect()
