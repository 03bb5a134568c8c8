"""The chat demo: a WSGI page with a little JavaScript and a WebSocket broadcast room."""

import argparse
import json
import os
import sys

from fasthub.web.websocket import ConnectionClosed, WebSocketWSGI
from fasthub.web.wsgi import WSGIServer

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>fasthub chat</title>
<style>
 body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }
 #log { border: 1px solid #ccc; height: 20em; overflow-y: auto; padding: .5em; }
 #log p { margin: .2em 0; } .sys { color: #888; }
 form { display: flex; gap: .5em; margin-top: .5em; } #text { flex: 1; }
</style></head>
<body>
<h1>fasthub chat</h1>
<p>Open this page in several tabs: every message goes to everyone, through one green thread per
connection.</p>
<div id="log"></div>
<form id="form"><input id="name" size="10" placeholder="name">
<input id="text" autocomplete="off" placeholder="say something"><button>Send</button></form>
<script>
const log = document.getElementById("log");
function show(text, cls) {
  const p = document.createElement("p");
  p.textContent = text;
  if (cls) p.className = cls;
  log.appendChild(p);
  log.scrollTop = log.scrollHeight;
}
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
ws.onopen = () => show("connected", "sys");
ws.onclose = () => show("disconnected", "sys");
ws.onmessage = (ev) => {
  const m = JSON.parse(ev.data);
  show(m.name ? m.name + ": " + m.text : m.text, m.name ? "" : "sys");
};
document.getElementById("form").onsubmit = (ev) => {
  ev.preventDefault();
  const text = document.getElementById("text");
  if (!text.value) return;
  ws.send(JSON.stringify({name: document.getElementById("name").value || "anonymous",
                          text: text.value}));
  text.value = "";
};
</script>
</body></html>
"""


class ChatRoom:
    """The connected WebSockets; broadcast() sends a message to each (dropping dead ones)."""

    def __init__(self):
        self.members = set()

    def broadcast(self, message):
        data = json.dumps(message)
        for ws in list(self.members):
            try:
                ws.send(data)
            except ConnectionClosed:
                self.members.discard(ws)

    def handle(self, ws):
        # One green thread per browser runs this until it disconnects.
        ws.timeout = 10.0        # a browser that stops reading is dropped, not waited for
        self.members.add(ws)
        self.broadcast({"text": f"someone joined ({len(self.members)} here)"})
        try:
            for raw in ws:
                try:
                    m = json.loads(raw)
                    name, text = str(m["name"])[:40], str(m["text"])[:2000]
                except (ValueError, KeyError, TypeError):
                    continue
                self.broadcast({"name": name, "text": text})
        finally:
            self.members.discard(ws)
            self.broadcast({"text": f"someone left ({len(self.members)} here)"})


def make_app(room=None):
    """The demo's WSGI application: '/' is the page, '/ws' the chat WebSocket."""
    room = room if room is not None else ChatRoom()
    ws_app = WebSocketWSGI(room.handle, max_frame_length=64 * 1024)
    page = PAGE.encode("utf-8")

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/ws":
            return ws_app(environ, start_response)
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                      ("Cache-Control", "no-store")])
            return [page]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    app.room = room
    return app


def main(argv=None):
    """Serve the chat on 127.0.0.1:PORT (``--port``, or $FASTHUB_DEMO_PORT, default 8000)."""
    p = argparse.ArgumentParser(prog="python -m fasthub.demo", description="fasthub chat demo")
    p.add_argument("--host", default=os.environ.get("FASTHUB_DEMO_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("FASTHUB_DEMO_PORT", "8000")))
    args = p.parse_args(argv)
    server = WSGIServer((args.host, args.port), make_app(), log=sys.stderr)
    server.start()
    host, port = server.address[:2]
    print(f"fasthub chat demo: open http://{host}:{port}/ in two browser tabs (Ctrl-C to stop)",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
