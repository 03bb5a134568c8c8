"""Programs written against eventlet's API (apps/), each run unchanged with
``python -m fasthub --eventlet`` in its own process, driven over 127.0.0.1 from here."""

import http.client
import os
import socket
import subprocess
import sys
import time

import pytest

import fasthub
from fasthub import websocket

APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")
pytestmark = pytest.mark.one_backend


def _env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


class App:
    """A program started with ``python -m fasthub --eventlet``; ``port`` once it listens."""

    def __init__(self, name, *args):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fasthub", "--eventlet", os.path.join(APPS, name), *map(str, args)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        self.port = None

    def wait_listening(self):
        line = self.proc.stdout.readline()
        if not line.startswith("listening"):
            self.proc.kill()
            out, err = self.proc.communicate(timeout=10)
            pytest.fail(f"the app did not start: {line}{out}\n{err}")
        self.port = int(line.split()[1])
        return self

    def finish(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, f"exit {self.proc.returncode}\n{out}\n{err}"
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)


@pytest.fixture
def app():
    started = []

    def start(name, *args):
        a = App(name, *args)
        started.append(a)
        return a

    yield start
    for a in started:
        a.stop()


def _client(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.makefile("rw")


def test_echo_server(app):
    a = app("echo_server.py", 3).wait_listening()
    clients = [_client(a.port) for _ in range(3)]
    for i, (s, f) in enumerate(clients):   # all three connected at once: served concurrently
        f.write(f"hello {i}\n")
        f.flush()
    for i, (s, f) in enumerate(clients):
        assert f.readline() == f"hello {i}\n"
        f.write("quit\n")
        f.flush()
        s.close()
    assert a.finish().splitlines()[-1] == "done 3"


def test_chat_server(app):
    a = app("chat_server.py").wait_listening()
    clients = [_client(a.port) for _ in range(3)]
    time.sleep(0.2)  # let the server register all three
    clients[0][1].write("hi all\n")
    clients[0][1].flush()
    assert clients[1][1].readline() == "hi all\n"
    assert clients[2][1].readline() == "hi all\n"
    clients[0][0].settimeout(0.3)
    with pytest.raises(socket.timeout):
        clients[0][0].recv(1)   # the sender does not get its own line
    for s, f in clients:
        s.close()


def test_web_crawler_fetches_concurrently(app, slow_http_site):
    urls = [f"{slow_http_site}/p{i}" for i in range(10)]
    out = app("web_crawler.py", *urls).finish().splitlines()
    assert [line.split()[0] for line in out[:-1]] == urls
    assert all(line.split()[2] == "page" for line in out[:-1])
    elapsed = float(out[-1].split()[1])
    assert elapsed < 2.0, f"10 fetches of 0.3 s took {elapsed}s: not concurrent"


def test_producer_consumer(app):
    out = app("producer_consumer.py").finish().strip()
    assert out == "60 ['a0', 'a1', 'a10'] ['x', 'y', 'z']"


def test_wsgi_server_str_bodies_and_concurrency(app):
    a = app("wsgi_server.py").wait_listening()
    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
    conn.request("GET", "/x")
    r = conn.getresponse()
    assert (r.status, r.read()) == (200, b"hello /x\n")
    conn.close()

    def get_slow(_):
        c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
        c.request("GET", "/slow")
        body = c.getresponse().read()
        c.close()
        return body

    start = time.monotonic()
    with __import__("concurrent.futures").futures.ThreadPoolExecutor(10) as ex:
        bodies = list(ex.map(get_slow, range(10)))
    assert bodies == [b"hello /slow\n"] * 10
    assert time.monotonic() - start < 2.0


def test_websocket_chat(app):
    a = app("websocket_chat.py").wait_listening()
    url = f"ws://127.0.0.1:{a.port}/chat"
    one = websocket.connect(url, timeout=10)
    two = websocket.connect(url, timeout=10)
    fasthub.sleep(0.2)
    one.send("hello")
    assert one.wait(timeout=10) == "hello"
    assert two.wait(timeout=10) == "hello"
    one.close()
    two.close()


def test_feed_scraper(app, slow_http_site):
    a = app("feed_scraper.py").wait_listening()
    feeds = " ".join(f"{slow_http_site}/feed{i}" for i in range(8))
    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=20)
    start = time.monotonic()
    conn.request("POST", "/", body=feeds.encode())
    r = conn.getresponse()
    body = r.read().decode()
    elapsed = time.monotonic() - start
    conn.close()
    assert r.status == 200, body
    assert body.splitlines() == [f"feed {i}" for i in range(8)]
    assert elapsed < 2.0, f"8 feeds of 0.3 s took {elapsed:.2f}s: not concurrent"
