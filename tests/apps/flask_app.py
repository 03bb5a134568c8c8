"""A small Flask app for the corpus: routes, a signed-cookie session, a streamed response, a
multipart upload, and a view that calls the slow REST API (``SLOW_API_URL``) with requests and with
httpx. Nothing in it knows about fasthub: the server monkey-patches before importing it."""

import hashlib
import os
import time

import flask
import httpx
import requests

SLOW_API = os.environ["SLOW_API_URL"]

app = flask.Flask(__name__)
app.secret_key = "fasthub apps corpus (a test key, not a secret)"

# One client of each kind per process, as real apps keep them: every green thread shares their
# connection pools (whose locks are green under monkey_patch).
http = requests.Session()
http.mount("http://", requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=100))
hx = httpx.Client(base_url=SLOW_API, limits=httpx.Limits(max_connections=100), timeout=10)


@app.get("/")
def index():
    return "hello from flask"


@app.get("/items/<int:n>")
def item(n):
    return {"item": n, "double": 2 * n}


@app.post("/login")
def login():
    flask.session["user"] = flask.request.form["user"]
    return {"ok": True}


@app.get("/whoami")
def whoami():
    return {"user": flask.session.get("user")}


@app.get("/stream")
def stream():
    lines = int(flask.request.args.get("lines", 5))
    pause = float(flask.request.args.get("pause", 0.1))

    def generate():
        for i in range(lines):
            yield f"line {i}\n"
            time.sleep(pause)
    return flask.Response(generate(), mimetype="text/plain")


@app.post("/upload")
def upload():
    f = flask.request.files["file"]
    data = f.read()
    return {"name": f.filename, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "note": flask.request.form.get("note")}


@app.get("/fetch/<int:n>")
def fetch(n):
    by_requests = http.get(f"{SLOW_API}/items/{n}", timeout=10).json()
    by_httpx = hx.get(f"/items/{n}").json()
    return {"requests": by_requests, "httpx": by_httpx, "pid": os.getpid()}
