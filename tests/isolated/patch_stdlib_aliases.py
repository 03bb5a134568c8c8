"""Stdlib modules imported before monkey_patch() that keep an original under their own name get the
green one: socketserver._ServerSelector (serve_forever() polled with the real poll and blocked the
whole OS thread), functools.RLock (3.10-3.11 cached_property: a real RLock is owned by the OS
thread, so a second green thread computed the property again), tempfile._allocate_lock.
patched() lists them, get_original() still returns the originals and unpatch() restores them."""
import functools
import socketserver
import sys
import tempfile
import threading

import fasthub
from fasthub import patcher

before = {"selector": socketserver._ServerSelector, "rlock": functools.RLock}  # (not module globals)
fasthub.monkey_patch()

import selectors  # noqa: E402
import socket  # noqa: E402

assert socketserver._ServerSelector is selectors.PollSelector is not before["selector"]
assert functools.RLock is threading._CRLock is not before["rlock"]
assert tempfile._allocate_lock is threading._allocate_lock
assert "_ServerSelector" in fasthub.patched()["socketserver"], fasthub.patched()
assert patcher.get_original("functools", "RLock") is before["rlock"]


# serve_forever() in a green thread while the main green thread talks to it.
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(self.request.recv(100))


server = socketserver.TCPServer(("127.0.0.1", 0), Echo)
serving = fasthub.spawn(server.serve_forever, 0.05)
with socket.create_connection(server.server_address, timeout=5) as c:
    c.sendall(b"ping")
    assert c.recv(100) == b"ping"
server.shutdown()
assert serving.join(5)
server.server_close()

# cached_property (3.10-3.11 guard it with functools.RLock): two green threads, one computing.
if sys.version_info < (3, 12):
    calls = []

    class Config:
        @functools.cached_property
        def value(self):
            calls.append(1)
            fasthub.sleep(0.05)  # the other green thread reads the property meanwhile
            return 42

    cfg = Config()
    readers = [fasthub.spawn(lambda: cfg.value) for _ in range(2)]
    assert [r.get(timeout=5) for r in readers] == [42, 42]
    assert calls == [1]

# unpatch() puts the stdlib modules' own originals back too.
fasthub.patcher.unpatch()
assert socketserver._ServerSelector is before["selector"] and functools.RLock is before["rlock"]
assert "socketserver" not in fasthub.patched()
print("pass")
