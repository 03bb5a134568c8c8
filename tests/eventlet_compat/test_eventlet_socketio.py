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


def test_flask_socketio_eventlet_mode_broadcast():
    _need("flask_socketio", "Flask-SocketIO")
    sio_mod = _need("socketio", "python-socketio")
    _need("websocket", "websocket-client")
    port = _free_port()
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen([sys.executable, "-m", "fasthub", "--eventlet",
                             os.path.join(APPS, "socketio_chat.py"), str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    clients = []
    try:
        assert proc.stdout.readline().split() == ["mode", "eventlet"]
        received = {0: [], 1: []}
        got_all = threading.Event()
        for i in range(2):
            client = sio_mod.Client(reconnection=False)

            def on_chat(data, i=i):
                received[i].append(data)
                if all(received.values()):
                    got_all.set()

            client.on("chat", on_chat)
            for _ in range(50):   # the server may still be binding its port
                try:
                    client.connect(f"http://127.0.0.1:{port}", transports=["websocket"],
                                   wait_timeout=10)
                    break
                except sio_mod.exceptions.ConnectionError:
                    if proc.poll() is not None:
                        break
                    threading.Event().wait(0.1)
            assert client.connected, proc.stderr.read() if proc.poll() is not None else ""
            assert client.transport() == "websocket"
            clients.append(client)
        clients[0].emit("chat", {"name": "ann", "text": "hello"})
        assert got_all.wait(10), received
        assert received[0] == received[1] == [{"from": "ann", "text": "hello"}]
    finally:
        for c in clients:
            c.disconnect()
        proc.kill()
        proc.communicate(timeout=10)
