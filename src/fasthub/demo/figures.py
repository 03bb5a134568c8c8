"""The demo's live figures: what ``python -m fasthub top`` shows, served to the page as JSON.

The page polls ``/stats`` every second and draws connections, green threads by state, hub
iterations (and their rate) and the monitor's longest stalls beside the chat.
"""

import json

import fasthub

__all__ = ["figures", "stats_response"]


def figures(server):
    """The figures of this process: the server's open connections plus, from fasthub.stats(), each
    hub's iterations, switches and green threads by state, and the longest stalls."""
    snap = fasthub.stats(max_threads=0, max_stalls=3)
    return {
        "connections": server.connection_count() if server is not None else None,
        "hubs": [{"thread": h["thread_name"], "iterations": h["iterations"],
                  "switches": h["switches"], "green_threads": h["green_threads"],
                  "by_wait_site": h["by_wait_site"][:3]} for h in snap["hubs"]],
        "monitor": snap["monitor"],
        "stalls": snap["stalls"],
        "time": snap["time"],
    }


def stats_response(server, start_response):
    """A WSGI response carrying figures(server) as JSON."""
    body = json.dumps(figures(server)).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                              ("Content-Length", str(len(body)))])
    return [body]
