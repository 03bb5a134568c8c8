"""The slow REST API the apps call out to: a plain WSGI app served by fasthub
(``python -m fasthub.wsgi slow_api:app``). ``GET /items/<n>`` answers ``{"item": n, "square": n*n}``
as JSON after waiting ``?delay=`` seconds (default 0.2) with ``time.sleep``, which is green because
the server monkey-patches before importing this module: one process holds hundreds of such calls.
"""

import json
import time
import urllib.parse


def app(environ, start_response):
    parts = environ["PATH_INFO"].strip("/").split("/")
    if parts == [""]:
        return _reply(start_response, "200 OK", {"ok": True})
    if len(parts) != 2 or parts[0] != "items" or not parts[1].isdigit():
        return _reply(start_response, "404 Not Found", {"error": "no such resource"})
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    try:
        delay = float(query.get("delay", ["0.2"])[0])
    except ValueError:
        return _reply(start_response, "400 Bad Request", {"error": "delay must be a number"})
    time.sleep(min(max(delay, 0.0), 5.0))
    n = int(parts[1])
    return _reply(start_response, "200 OK", {"item": n, "square": n * n})


def _reply(start_response, status, obj):
    body = json.dumps(obj).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]
