"""``make demo`` / ``python -m fasthub.demo``: a chat room served by fasthub.

One WSGI application serves a small HTML page and, at ``/ws``, a WebSocket; every message a browser
sends is broadcast to every connected browser. Run it and open the printed URL in two tabs.
"""

from fasthub.demo.chat import ChatRoom, make_app, main

__all__ = ["ChatRoom", "make_app", "main"]
