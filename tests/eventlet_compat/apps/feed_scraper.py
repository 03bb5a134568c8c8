"""A WSGI service that fetches the feeds POSTed to it concurrently (GreenPile) and returns their
titles (eventlet's feed scraper example, with the stdlib's XML parser instead of feedparser)."""
import xml.etree.ElementTree as ET

import eventlet
from eventlet import wsgi
from eventlet.green.urllib.request import urlopen

pool = eventlet.GreenPool()


def fetch_title(url):
    with urlopen(url, timeout=10) as response:
        return ET.fromstring(response.read()).findtext("channel/title")


def app(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":
        start_response("403 Forbidden", [])
        return []
    size = int(environ.get("CONTENT_LENGTH") or 0)
    pile = eventlet.GreenPile(pool)
    for url in environ["wsgi.input"].read(size).decode().split():
        pile.spawn(fetch_title, url)
    titles = "\n".join(pile)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [titles.encode()]


sock = eventlet.listen(("127.0.0.1", 0))
print("listening", sock.getsockname()[1], flush=True)
wsgi.server(sock, app, log_output=False)
