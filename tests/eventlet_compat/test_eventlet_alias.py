"""fasthub.compat.eventlet: the finder, and each place where the alias follows eventlet rather than
fasthub (channels, Event, semaphores, str WSGI bodies, backdoor addresses, green.zmq)."""

import io
import socket
import subprocess
import sys

import pytest

import fasthub
from fasthub.compat import eventlet as alias
from fasthub.compat.eventlet import backdoor, event, queue, semaphore, websocket, wsgi
from fasthub.green import socket as green_socket

pytestmark = pytest.mark.one_backend


def test_import_eventlet_resolves_to_fasthub_in_a_fresh_process():
    code = (
        "import fasthub.compat.eventlet as a; a.install()\n"
        "import eventlet, eventlet.green.socket, eventlet.green.urllib.request, eventlet.hubs\n"
        "from eventlet.green import threading, http\n"
        "import eventlet.green.ssl, fasthub.green.socket, fasthub.green.ssl\n"
        "import fasthub.green.urllib.request\n"
        "assert eventlet is a\n"
        "assert eventlet.green.ssl is fasthub.green.ssl\n"
        "assert issubclass(eventlet.green.socket.socket, fasthub.green.socket.socket)\n"
        "assert eventlet.green.socket.socket().fd is not None\n"
        "assert eventlet.green.urllib.request is fasthub.green.urllib.request\n"
        "assert eventlet.green.ssl.__spec__.name == 'fasthub.green.ssl'\n"
        "assert eventlet.spawn(lambda: 42).wait() == 42\n"
        "print('pass')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "pass", out.stderr


def test_install_refuses_after_the_real_eventlet_was_imported():
    code = (
        "import sys, types\n"
        "sys.modules['eventlet'] = types.ModuleType('eventlet')\n"
        "import fasthub.compat.eventlet as a\n"
        "try:\n    a.install()\nexcept RuntimeError as e:\n    print('refused', 'before anything imports eventlet' in str(e))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "refused True", out.stderr


def test_python_m_fasthub_eventlet_runs_a_module(tmp_path):
    (tmp_path / "evmod.py").write_text(
        "import eventlet\nimport socket\n"
        "print(eventlet.__name__, socket.socket.__module__, eventlet.Queue(0).full())\n")
    out = subprocess.run([sys.executable, "-m", "fasthub", "--eventlet", "-m", "evmod"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.stdout.split() == ["fasthub.compat.eventlet", "fasthub.green.socket", "True"], out.stderr


def test_queue_zero_is_a_channel():
    q = queue.Queue(0)
    log = []

    def put():
        q.put("item")
        log.append("put returned")

    fasthub.spawn(put)
    fasthub.sleep(0.01)
    assert log == [] and q.putting() == 1 and q.qsize() == 0 and q.full()
    assert q.get() == "item"
    fasthub.sleep(0.01)
    assert log == ["put returned"]
    with pytest.raises(queue.Full):
        q.put_nowait("nobody is waiting")
    with pytest.raises(queue.Full):
        q.put("nobody comes", timeout=0.05)
    assert q.putting() == 0 and q.unfinished_tasks == 1   # only the put that was taken counts
    assert queue.Queue().maxsize == 0 and not queue.Queue().full()   # None: unbounded


def test_channel_put_nowait_skips_getters_that_die_before_the_hand_off(hub, hub_errors):
    # eventlet's pools_test.test_put_with_timed_out_getters: the waiting getters are about to be
    # thrown out of get() by callbacks already due; put(block=False) must not hand its item to one
    # of them (it would be lost): with no getter left it raises Full and keeps the item.
    q = queue.Queue(0)
    getters = [fasthub.spawn(q.get) for _ in range(3)]
    fasthub.sleep(0)
    for g in getters:
        hub.call_soon(g.throw, RuntimeError("timed out"))
    with pytest.raises(queue.Full):
        q.put_nowait("kept")
    assert all(g.dead and isinstance(g.exception, RuntimeError) for g in getters)
    assert len(hub_errors.take()) == 3
    # A live getter still gets the item at once.
    live = fasthub.spawn(q.get)
    fasthub.sleep(0)
    q.put_nowait("taken")
    assert live.wait() == "taken"


def test_rfc6455_websocket_extensions_can_be_set_in_eventlets_form():
    a, b = green_socket.socketpair()
    try:
        ws = websocket.RFC6455WebSocket(a, {}, client=True)
        assert ws.extensions == []
        ws.extensions = {"permessage-deflate": {"client_no_context_takeover": False,
                                                "server_no_context_takeover": False}}
        assert ws.extensions and "permessage-deflate" in ws.extensions[0]
        ws.extensions = {}
        assert ws.extensions == []
    finally:
        a.close()
        b.close()


def test_event_follows_eventlet():
    e = event.Event()
    with pytest.raises(AssertionError):
        e.reset()                       # a fresh Event
    assert e.wait(0.01) is None         # timeout: None, no exception
    fasthub.spawn(e.send, 5)
    assert e.wait() == 5 and e.ready()
    with pytest.raises(AssertionError):
        e.send(6)
    e.reset()
    e.send_exception(ValueError("boom"))
    with pytest.raises(ValueError):
        e.wait()


def test_semaphores():
    s = semaphore.Semaphore(0)
    assert s.acquire(timeout=0.01) is False
    assert s.release() == 1 and s.balance == 1
    b = semaphore.BoundedSemaphore(1)
    with pytest.raises(ValueError):
        b.release()
    c = semaphore.CappedSemaphore(1, 1)
    assert c.acquire() and c.release() and c.balance == 1
    with pytest.raises(ValueError):
        semaphore.Semaphore(-1)


def test_wsgi_encodes_str_bodies_as_ascii():
    listener = alias.listen(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        if environ["PATH_INFO"] == "/bad":
            return ["caf\u00e9"]
        return ["str ", b"and bytes"]

    server = fasthub.spawn(wsgi.server, listener, app, log_output=False, log=io.StringIO())
    from fasthub.green.http import client
    try:
        conn = client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/ok")
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, b"str and bytes")
        conn.request("GET", "/bad")
        assert conn.getresponse().status == 500
        conn.close()
    finally:
        server.kill(KeyboardInterrupt)
    assert server.dead and listener.fileno() == -1   # stopped, socket closed, as eventlet does


def test_backdoor_only_on_loopback_or_unix(tmp_path):
    with pytest.raises(ValueError, match="127.0.0.1"):
        backdoor.backdoor(("0.0.0.0", 0))
    gt = backdoor.backdoor(("127.0.0.1", 0), locals={"answer": 42})
    fasthub.sleep(0)
    path = str(tmp_path / "bd.sock")
    unix_gt = backdoor.backdoor(path, locals={"answer": 42})
    fasthub.sleep(0)
    from fasthub.green import socket as gsocket
    client = gsocket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.sendall(b"print(answer * 2)\r\n")
    seen = ""
    with fasthub.Timeout(10):
        while "84" not in seen:
            seen += client.recv(4096).decode()
    client.close()
    gt.kill()
    unix_gt.kill()


def test_green_zmq_says_why_it_is_missing():
    with pytest.raises(ImportError, match="pyzmq is not made green"):
        import fasthub.compat.eventlet.green.zmq  # noqa: F401
