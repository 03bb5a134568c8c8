"""WebSocket (RFC 6455, with permessage-deflate from RFC 7692): a WSGI middleware for servers and a
client, on fasthub green threads.

Server side, eventlet's shape (so code written for ``eventlet.websocket`` and python-engineio's
eventlet driver work with a rename)::

    @fasthub.websocket.WebSocketWSGI
    def echo(ws):
        for message in ws:          # str for text, bytes for binary; ends when the peer closes
            ws.send(message)

    fasthub.wsgi.server(fasthub.listen(("127.0.0.1", 8000)), echo)

The middleware validates the opening handshake (400 for a bad request, 426 for an unsupported
version, 403 when ``origin_checker`` refuses), takes the connection's socket from the WSGI server with
``environ['eventlet.input'].get_socket()``, answers 101 and runs ``handler(ws)`` in the connection's
green thread. Client side: ``ws = fasthub.websocket.connect("ws://host:port/path")``.

The code: ``frames`` (the protocol and the WebSocket connection), ``server`` (the WSGI middleware),
``client`` (``connect``). ``fasthub.websocket`` is the public path of this package.
"""

from fasthub.web.websocket.client import connect
from fasthub.web.websocket.frames import (DEFAULT_MAX_FRAME_LENGTH, ConnectionClosed, HandshakeError,
                                          ProtocolError, WebSocket, WebSocketError)
from fasthub.web.websocket.server import WebSocketWSGI

__all__ = ["WebSocketWSGI", "WebSocket", "connect", "WebSocketError", "ProtocolError",
           "ConnectionClosed", "HandshakeError", "DEFAULT_MAX_FRAME_LENGTH"]
