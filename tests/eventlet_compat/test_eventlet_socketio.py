"""Flask-SocketIO with async_mode="eventlet" on fasthub's eventlet alias: the app runs under
``python -m fasthub --eventlet``; python-socketio clients connect over WebSocket and get a
broadcast."""

import os
import socket
import subprocess
import sys
import threading

import pytest

APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")
pytestmark = pytest.mark.one_backend


def _need(module, package):
    try:
        return __import__(module)
    except ImportError:
        pytest.fail(f"{package} is not installed (make build installs the test dependencies)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chat(mode_args, transports):
    """Run apps/socketio_chat.py under the alias; connect one python-socketio client per entry of
    ``transports``; the first one's 'chat' event must reach every client. Returns the mode the app
    printed and the transports the clients ended up on."""
    _need("flask_socketio", "Flask-SocketIO")
    sio_mod = _need("socketio", "python-socketio")
    _need("websocket", "websocket-client")
    port = _free_port()
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen([sys.executable, "-m", "fasthub", "--eventlet",
                             os.path.join(APPS, "socketio_chat.py"), str(port), *mode_args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    clients = []
    try:
        line = proc.stdout.readline().split()
        assert line[:1] == ["mode"], proc.communicate(timeout=10)[1][-2000:]
        received = {i: [] for i in range(len(transports))}
        got_all = threading.Event()
        for i, transport in enumerate(transports):
            client = sio_mod.Client(reconnection=False)

            def on_chat(data, i=i):
                received[i].append(data)
                if all(received.values()):
                    got_all.set()

            client.on("chat", on_chat)
            for _ in range(50):   # the server may still be binding its port
                try:
                    client.connect(f"http://127.0.0.1:{port}", transports=[transport],
                                   wait_timeout=10)
                    break
                except sio_mod.exceptions.ConnectionError:
                    if proc.poll() is not None:
                        break
                    threading.Event().wait(0.1)
            assert client.connected, proc.stderr.read() if proc.poll() is not None else ""
            clients.append(client)
        clients[0].emit("chat", {"name": "ann", "text": "hello"})
        assert got_all.wait(10), received
        assert all(r == [{"from": "ann", "text": "hello"}] for r in received.values()), received
        return line[1], [c.transport() for c in clients]
    finally:
        for c in clients:
            c.disconnect()
        proc.kill()
        proc.communicate(timeout=10)


def test_flask_socketio_eventlet_mode_broadcast():
    mode, used = _chat([], ["websocket", "websocket"])
    assert mode == "eventlet" and used == ["websocket", "websocket"]


def test_flask_socketio_async_mode_unset_picks_eventlet_and_serves_both_transports():
    # async_mode left unset: engineio finds eventlet importable (the alias) and picks it; a
    # WebSocket client and a long-polling client both get the broadcast.
    mode, used = _chat(["auto"], ["websocket", "polling"])
    assert mode == "eventlet" and used == ["websocket", "polling"]
