"""A plain threaded HTTP server (stdlib only, no fasthub) for client tests: GET /delay/<seconds>/<tag>
answers ``tag`` after sleeping. Run as a script; prints its port, serves until stdin closes."""

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "delay":
            self.send_error(404)
            return
        time.sleep(float(parts[1]))
        body = parts[2].encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256   # listen() backlog: 50 clients connect at once


def main():
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()      # the test closes our stdin (or dies) to stop us
    server.shutdown()


if __name__ == "__main__":
    main()
