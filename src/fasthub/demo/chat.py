"""The chat demo: a WSGI page with a little JavaScript and a WebSocket broadcast room."""

import argparse
import json
import os
import sys

from fasthub import monitor
from fasthub.demo.figures import stats_response
from fasthub.web.websocket import ConnectionClosed, WebSocketWSGI
from fasthub.web.wsgi import WSGIServer

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>fasthub chat</title>
<style>
 body { font-family: sans-serif; max-width: 62em; margin: 2em auto; }
 main { display: flex; gap: 2em; } #chat { flex: 1; min-width: 0; }
 #figures { width: 20em; font-size: 90%; } #figures td { padding: 0 .4em; } .num { text-align: right; }
 #log { border: 1px solid #ccc; height: 20em; overflow-y: auto; padding: .5em; }
 #log p { margin: .2em 0; } .sys { color: #888; }
 form { display: flex; gap: .5em; margin-top: .5em; } #text { flex: 1; }
</style></head>
<body>
<h1>fasthub chat</h1>
<p>Open this page in several tabs: every message goes to everyone, through one green thread per
connection.</p>
<main><div id="chat">
<div id="log"></div>
<form id="form"><input id="name" size="10" placeholder="name">
<input id="text" autocomplete="off" placeholder="say something"><button>Send</button></form>
</div>
<div id="figures"><h3>Inside the server</h3><div id="stats">loading...</div>
<p class="sys">The same figures as <code>python -m fasthub top PID</code>, updated every second.</p>
</div></main>
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
let previous = null;
function esc(t) { const d = document.createElement("div"); d.textContent = t; return d.innerHTML; }
async function refresh() {
  try {
    const f = await (await fetch("/stats")).json();
    let html = "<table><tr><td>connections</td><td class=num>" + f.connections + "</td></tr>";
    for (const h of f.hubs) {
      const g = h.green_threads;
      let rate = "";
      if (previous) {
        const p = previous.hubs.find((x) => x.thread === h.thread);
        if (p) rate = " (" + Math.round((h.iterations - p.iterations) / (f.time - previous.time)) + "/s)";
      }
      html += "<tr><th colspan=2>hub of " + esc(h.thread) + "</th></tr>" +
        "<tr><td>iterations</td><td class=num>" + h.iterations + rate + "</td></tr>" +
        "<tr><td>green threads</td><td class=num>" + g.total + "</td></tr>" +
        ["running", "ready", "parked", "pending"].map((s) =>
          "<tr><td>&nbsp; " + s + "</td><td class=num>" + g[s] + "</td></tr>").join("");
    }
    html += "</table><h4>Stalls</h4>";
    if (!f.monitor.active) html += "<p class=sys>monitor off</p>";
    else if (!f.stalls.length) html += "<p class=sys>none longer than " + f.monitor.threshold + " s</p>";
    else html += f.stalls.map((s) => "<p>" + s.longest.toFixed(3) + " s x" + s.count + " " +
                                     esc(s.location) + "</p>").join("");
    document.getElementById("stats").innerHTML = html;
    previous = f;
  } catch (e) { document.getElementById("stats").textContent = "figures unavailable"; }
}
refresh();
setInterval(refresh, 1000);
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
    """The demo's WSGI application: '/' is the page, '/ws' the chat WebSocket, '/stats' the live
    figures (see fasthub.demo.figures; set ``app.server`` to count its connections)."""
    room = room if room is not None else ChatRoom()
    ws_app = WebSocketWSGI(room.handle, max_frame_length=64 * 1024)
    page = PAGE.encode("utf-8")

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/ws":
            return ws_app(environ, start_response)
        if path == "/stats":
            return stats_response(app.server, start_response)
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                      ("Cache-Control", "no-store")])
            return [page]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    app.room = room
    app.server = None
    return app


def main(argv=None):
    """Serve the chat on 127.0.0.1:PORT (``--port``, or $FASTHUB_DEMO_PORT, default 8000)."""
    p = argparse.ArgumentParser(prog="python -m fasthub.demo", description="fasthub chat demo")
    p.add_argument("--host", default=os.environ.get("FASTHUB_DEMO_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("FASTHUB_DEMO_PORT", "8000")))
    args = p.parse_args(argv)
    if monitor.active() is None:
        monitor.start(threshold=0.1)   # so the page and `top` have stall figures
    app = make_app()
    server = WSGIServer((args.host, args.port), app, log=sys.stderr)
    app.server = server
    server.start()
    host, port = server.address[:2]
    print(f"fasthub chat demo: open http://{host}:{port}/ in two browser tabs (Ctrl-C to stop)",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
