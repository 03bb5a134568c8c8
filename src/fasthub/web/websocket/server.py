"""The WebSocket server side: a WSGI middleware that validates the opening handshake, answers 101
and runs ``handler(ws)`` in the connection's green thread (``fasthub.websocket.WebSocketWSGI``)."""

import base64

from greenlet import GreenletExit

from fasthub.core._gsocket import sendall_within
from fasthub.core._hub import FdClosedError
from fasthub.web.websocket.frames import (CLOSE_GOING_AWAY, DEFAULT_MAX_FRAME_LENGTH,
                                          DEFAULT_MAX_MESSAGE_LENGTH, ConnectionClosed, WebSocket,
                                          _accept_key, _header_tokens, _negotiate_deflate)

__all__ = ["WebSocketWSGI"]

# --- the server middleware ------------------------------------------------------------------------

class WebSocketWSGI:
    """WSGI application that accepts WebSocket connections and runs ``handler(ws)`` for each
    (eventlet.websocket.WebSocketWSGI). Needs fasthub's WSGI server (``eventlet.input``).

    ``max_frame_length`` / ``max_message_length``: limits of received frames and messages (after
    inflating), over which the connection is closed with 1009. ``supported_protocols``: the
    subprotocols to accept, in order of preference. ``origin_checker(host, origin)``: return False
    to refuse with 403. ``permessage_deflate``: accept compression offers (default True).
    """

    def __init__(self, handler, max_frame_length=DEFAULT_MAX_FRAME_LENGTH,
                 max_message_length=DEFAULT_MAX_MESSAGE_LENGTH, supported_protocols=None,
                 origin_checker=None, permessage_deflate=True, support_legacy_versions=False):
        self.handler = handler
        self.max_frame_length = max_frame_length
        self.max_message_length = max(max_message_length, max_frame_length)
        self.supported_protocols = list(supported_protocols or [])
        self.origin_checker = origin_checker
        self.permessage_deflate = permessage_deflate

    @classmethod
    def configured(cls, handler=None, supported_protocols=None, origin_checker=None,
                   support_legacy_versions=False, **kwargs):
        """eventlet's decorator form: ``@WebSocketWSGI.configured(supported_protocols=[...])``."""
        def decorator(fn):
            return cls(fn, supported_protocols=supported_protocols, origin_checker=origin_checker,
                       **kwargs)
        return decorator(handler) if handler is not None else decorator

    def __call__(self, environ, start_response):
        from fasthub.web.wsgi import ALREADY_HANDLED
        error = self._check(environ)
        if error is not None:
            status, headers, body = error
            start_response(status, headers + [("Content-Type", "text/plain"),
                                              ("Content-Length", str(len(body)))])
            return [body]
        inp = environ.get("eventlet.input") or environ.get("fasthub.input")
        if inp is None or not hasattr(inp, "get_socket"):
            raise RuntimeError("fasthub.websocket: WebSocketWSGI needs a server that hands over the "
                               "socket (environ['eventlet.input'].get_socket()): run it with "
                               "fasthub.wsgi")
        protocol = None
        offered = [p.strip() for p in environ.get("HTTP_SEC_WEBSOCKET_PROTOCOL", "").split(",") if p.strip()]
        for p in self.supported_protocols:
            if p in offered:
                protocol = p
                break
        deflate = None
        if self.permessage_deflate:
            deflate = _negotiate_deflate(environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS"))
        sock = inp.get_socket()
        buffered = getattr(inp, "buffered", b"")
        lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Accept: " + _accept_key(environ["HTTP_SEC_WEBSOCKET_KEY"].strip())]
        if protocol is not None:
            lines.append("Sec-WebSocket-Protocol: " + protocol)
        if deflate is not None:
            lines.append("Sec-WebSocket-Extensions: " + deflate.response_header())
        try:
            sendall_within(sock, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), 30.0)
        except (OSError, FdClosedError):
            return ALREADY_HANDLED
        ws = WebSocket(sock, environ, protocol=protocol, deflate=deflate,
                       max_frame_length=self.max_frame_length,
                       max_message_length=self.max_message_length, buffered=buffered)
        # This frame lives as long as the connection: keep only what it needs from here on.
        del lines, offered, buffered, start_response
        try:
            self.handler(ws)
        except ConnectionClosed:
            pass
        except GreenletExit:
            # Killed, e.g. by a server stop that ran out of grace: say "going away" and drop the
            # connection now rather than wait for the peer's close frame.
            ws._send_close(CLOSE_GOING_AWAY, "server going away")
            ws._lost()
            raise
        finally:
            if not ws._sock_closed:
                try:
                    ws.close()
                except Exception:  # noqa: BLE001 - the socket is being dropped anyway
                    ws._lost()
        return ALREADY_HANDLED

    def _check(self, environ):
        # (status, headers, body) to refuse the handshake, or None if it is acceptable.
        if environ.get("REQUEST_METHOD") != "GET":
            return "405 Method Not Allowed", [("Allow", "GET")], b"WebSocket handshakes use GET\n"
        if environ.get("SERVER_PROTOCOL") != "HTTP/1.1":
            return "400 Bad Request", [], b"WebSocket needs HTTP/1.1\n"
        if "websocket" not in _header_tokens(environ.get("HTTP_UPGRADE")):
            return "400 Bad Request", [], b"Upgrade: websocket expected\n"
        if "upgrade" not in _header_tokens(environ.get("HTTP_CONNECTION")):
            return "400 Bad Request", [], b"Connection: Upgrade expected\n"
        if environ.get("HTTP_SEC_WEBSOCKET_VERSION", "").strip() != "13":
            return ("426 Upgrade Required", [("Sec-WebSocket-Version", "13")],
                    b"unsupported WebSocket version (13 is supported)\n")
        key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "").strip()
        try:
            ok = len(base64.b64decode(key, validate=True)) == 16
        except ValueError:
            ok = False
        if not ok:
            return "400 Bad Request", [], b"bad Sec-WebSocket-Key\n"
        if self.origin_checker is not None:
            if not self.origin_checker(environ.get("HTTP_HOST"), environ.get("HTTP_ORIGIN")):
                return "403 Forbidden", [], b"origin refused\n"
        return None
