"""``eventlet.websocket``: WebSocketWSGI and WebSocket are fasthub.websocket's (``ws.wait()``
returns the next message, None once closed; ``ws.send(str or bytes)``; ``ws.close()``)."""

from fasthub.websocket import WebSocket, WebSocketWSGI, WebSocketError

__all__ = ["WebSocketWSGI", "WebSocket"]

ProtocolError = WebSocketError
RFC6455WebSocket = WebSocket
