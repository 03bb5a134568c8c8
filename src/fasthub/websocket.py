"""``fasthub.websocket``: the public path of the WebSocket server middleware and client.

The code lives in ``fasthub.web.websocket``: ``frames`` (the protocol and the connection), ``server``
(``WebSocketWSGI``) and ``client`` (``connect``).
"""

from fasthub.web.websocket import *  # noqa: F401,F403
from fasthub.web.websocket import (  # noqa: F401
    DEFAULT_MAX_FRAME_LENGTH, ConnectionClosed, HandshakeError, ProtocolError, WebSocket, WebSocketError,
    WebSocketWSGI, __all__, connect,
)
