"""import_patched('http.client') gives a green copy without patching anything: its requests run
concurrently in green threads while the real module stays untouched."""
import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fasthub
from fasthub import patcher

green_http = patcher.import_patched("http.client")
assert green_http is not http.client
assert http.client.socket is socket and socket.socket is patcher.get_original("socket", "socket")
assert green_http.socket.socket is not socket.socket
assert fasthub.patched() == {}, fasthub.patched()
import sys  # noqa: E402
assert sys.modules["http.client"] is http.client
import http  # noqa: E402
assert http.client is sys.modules["http.client"]


class Slow(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.3)
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)  # real threads: the server is not green
threading.Thread(target=server.serve_forever, daemon=True).start()
port = server.server_address[1]


def fetch(i):
    conn = green_http.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/{i}")
    body = conn.getresponse().read()
    conn.close()
    return body


t0 = time.monotonic()
gts = [fasthub.spawn(fetch, i) for i in range(10)]
bodies = [gt.wait() for gt in gts]
elapsed = time.monotonic() - t0
server.shutdown()
assert bodies == [f"/{i}".encode() for i in range(10)], bodies
assert elapsed < 2.0, f"10 requests of 0.3 s took {elapsed:.2f}s: not concurrent"
print("pass")
