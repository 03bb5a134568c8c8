"""``eventlet.websocket``: WebSocketWSGI, WebSocket (the legacy drafts) and RFC6455WebSocket.

As in eventlet, ``WebSocketWSGI`` speaks RFC 6455 (``RFC6455WebSocket``, which is fasthub's
``WebSocket``: ``wait()`` returns the next message or None once closed, ``send(str or bytes)``,
``close()``) and, for old clients that send no ``Sec-WebSocket-Version``, the pre-standard
hixie-75 and hixie-76 drafts (``WebSocket``: text frames ``0x00 ... 0xFF``, hixie-76's MD5
challenge and ``0xFF 0x00`` close). ``support_legacy_versions=False`` refuses the drafts.
"""

import collections
import errno
import hashlib
import re
import struct

from fasthub.sync.locks import Semaphore
from fasthub.websocket import WebSocket as _RFC6455WebSocket
from fasthub.websocket import WebSocketError
from fasthub.websocket import WebSocketWSGI as _WebSocketWSGI
from fasthub.wsgi import ALREADY_HANDLED

__all__ = ["WebSocketWSGI", "WebSocket", "RFC6455WebSocket"]

ProtocolError = WebSocketError


def _deflate_from(extensions, client):
    # eventlet's extensions dict -> fasthub's permessage-deflate state (private to
    # fasthub.websocket; same project), or None without permessage-deflate.
    params = (extensions or {}).get("permessage-deflate")
    if params is None:
        return None
    from fasthub.web.websocket.frames import _Deflate
    return _Deflate(not client, bool(params.get("server_no_context_takeover")),
                    bool(params.get("client_no_context_takeover")),
                    int(params.get("server_max_window_bits") or 15),
                    int(params.get("client_max_window_bits") or 15))


class RFC6455WebSocket(_RFC6455WebSocket):
    """fasthub's RFC 6455 WebSocket; also takes eventlet's ``extensions`` argument, a dict like
    ``{'permessage-deflate': {'client_no_context_takeover': True, ...}}`` for a connection whose
    handshake negotiated compression, and lets ``extensions`` be set to such a dict later (as
    eventlet's tests do)."""

    def __init__(self, sock, environ=None, version=13, protocol=None, client=False,
                 extensions=None, **kwargs):
        deflate = kwargs.pop("deflate", None)
        if deflate is None:
            deflate = _deflate_from(extensions, client)
        super().__init__(sock, environ, version=version, client=client, protocol=protocol,
                         deflate=deflate, **kwargs)

    @property
    def extensions(self):
        """The negotiated extensions, as the Sec-WebSocket-Extensions header names them; set it to
        eventlet's dict form to switch permessage-deflate on or off."""
        return _RFC6455WebSocket.extensions.__get__(self)

    @extensions.setter
    def extensions(self, value):
        self._deflate = _deflate_from(value, self.client)


class WebSocket:
    """A connection in the hixie-75/76 drafts: ``wait()`` (the next text message, None once the
    peer closed), ``send(message)`` (str, bytes, or anything str() accepts), ``close()``."""

    def __init__(self, sock, environ, version=76):
        self.socket = sock
        self.origin = environ.get("HTTP_ORIGIN")
        self.protocol = environ.get("HTTP_WEBSOCKET_PROTOCOL")
        self.path = environ.get("PATH_INFO")
        self.environ = environ
        self.version = version
        self.websocket_closed = False
        self._buf = b""
        self._msgs = collections.deque()
        self._sendlock = Semaphore(1)

    @staticmethod
    def _pack_message(message):
        if isinstance(message, str):
            data = message.encode("utf-8")
        elif isinstance(message, (bytes, bytearray)):
            data = bytes(message)
        else:
            data = str(message).encode("utf-8")
        return b"\x00" + data + b"\xff"

    def _parse_messages(self):
        # Complete messages out of self._buf; what is left stays for the next read.
        msgs = []
        buf = self._buf
        while buf:
            kind = buf[0]
            if kind == 0x00:
                end = buf.find(b"\xff")
                if end == -1:
                    break
                msgs.append(buf[1:end].decode("utf-8", "replace"))
                buf = buf[end + 1:]
            elif kind == 0xFF and len(buf) >= 2 and buf[1] == 0x00:
                self.websocket_closed = True   # hixie-76 closing handshake
                buf = b""
                break
            elif kind == 0xFF and len(buf) < 2:
                break
            else:
                raise ValueError(f"Don't understand how to parse this type of message: {buf!r}")
        self._buf = buf
        return msgs

    def send(self, message):
        """Send one text message."""
        packed = self._pack_message(message)
        with self._sendlock:
            self.socket.sendall(packed)

    def wait(self):
        """The next message, or None once the peer closed the connection."""
        while not self._msgs:
            if self.websocket_closed:
                return None
            data = self.socket.recv(8096)
            if not data:
                return None
            self._buf += data
            self._msgs.extend(self._parse_messages())
        return self._msgs.popleft()

    def _send_closing_frame(self, ignore_send_errors=False):
        if self.version == 76 and not self.websocket_closed:
            try:
                self.socket.sendall(b"\xff\x00")
            except OSError:
                if not ignore_send_errors:
                    raise
            self.websocket_closed = True

    def close(self):
        """Send the closing frame (hixie-76) and close the socket."""
        try:
            self._send_closing_frame(True)
            self.socket.shutdown(True)
        except OSError as e:
            if e.errno != errno.ENOTCONN:
                pass  # the peer is gone already: nothing to tell it
        finally:
            self.socket.close()


def _key_number(key):
    # hixie-76: the digits of the key, divided by its number of spaces.
    digits = int(re.sub(r"\D", "", key) or "0")
    spaces = key.count(" ")
    if spaces == 0:
        raise ValueError("hixie-76 key without spaces")
    return digits // spaces


class WebSocketWSGI(_WebSocketWSGI):
    """Accepts WebSocket connections and runs ``handler(ws)`` for each: RFC 6455 clients get
    fasthub's WebSocket, hixie-75/76 clients the legacy WebSocket (unless
    ``support_legacy_versions=False``)."""

    def __init__(self, handler, *args, support_legacy_versions=True, **kwargs):
        super().__init__(handler, *args, **kwargs)
        self.support_legacy_versions = support_legacy_versions

    def __call__(self, environ, start_response):
        if "HTTP_SEC_WEBSOCKET_VERSION" in environ or not self.support_legacy_versions:
            if not self._complete(environ):
                # eventlet answers an incomplete handshake with an empty 400 and closes.
                start_response("400 Bad Request", [("Connection", "close"),
                                                   ("Content-Length", "0")])
                return []
            return super().__call__(environ, start_response)
        return self._legacy(environ, start_response)

    @staticmethod
    def _complete(environ):
        connection = [t.strip().lower() for t in environ.get("HTTP_CONNECTION", "").split(",")]
        return (environ.get("HTTP_UPGRADE", "").lower() == "websocket"
                and "upgrade" in connection and bool(environ.get("HTTP_SEC_WEBSOCKET_KEY")))

    def _legacy(self, environ, start_response):
        upgrade = environ.get("HTTP_UPGRADE", "").lower()
        connection = [t.strip().lower() for t in environ.get("HTTP_CONNECTION", "").split(",")]
        key1 = environ.get("HTTP_SEC_WEBSOCKET_KEY1")
        key2 = environ.get("HTTP_SEC_WEBSOCKET_KEY2")
        if upgrade != "websocket" or "upgrade" not in connection or (key1 is None) != (key2 is None):
            start_response("400 Bad Request", [("Connection", "close"), ("Content-Length", "0")])
            return []
        inp = environ.get("eventlet.input") or environ.get("fasthub.input")
        sock = inp.get_socket()
        early = inp.buffered
        scheme = "wss" if environ.get("wsgi.url_scheme") == "https" else "ws"
        location = f"{scheme}://{environ.get('HTTP_HOST')}{environ.get('RAW_PATH_INFO') or environ.get('PATH_INFO', '')}"
        if environ.get("QUERY_STRING") or environ.get("REQUEST_URI", "").endswith("?"):
            location += "?" + environ.get("QUERY_STRING", "")
        if key1 is None:   # hixie-75
            version = 75
            response = ("HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
                        "Upgrade: WebSocket\r\n"
                        "Connection: Upgrade\r\n"
                        f"WebSocket-Origin: {environ.get('HTTP_ORIGIN')}\r\n"
                        f"WebSocket-Location: {location}\r\n\r\n").encode("latin-1")
        else:              # hixie-76: answer the challenge in the 8 bytes after the headers
            version = 76
            while len(early) < 8:
                more = sock.recv(8 - len(early))
                if not more:
                    sock.close()
                    return ALREADY_HANDLED
                early += more
            key3, early = early[:8], early[8:]
            try:
                challenge = struct.pack(">II", _key_number(key1), _key_number(key2)) + key3
            except (ValueError, struct.error):
                sock.close()
                return ALREADY_HANDLED
            lines = ["HTTP/1.1 101 WebSocket Protocol Handshake", "Upgrade: WebSocket",
                     "Connection: Upgrade", f"Sec-WebSocket-Origin: {environ.get('HTTP_ORIGIN')}"]
            if environ.get("HTTP_SEC_WEBSOCKET_PROTOCOL"):
                lines.append(f"Sec-WebSocket-Protocol: {environ['HTTP_SEC_WEBSOCKET_PROTOCOL']}")
            lines.append(f"Sec-WebSocket-Location: {location}")
            response = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + \
                hashlib.md5(challenge).digest()
        sock.sendall(response)
        ws = WebSocket(sock, environ, version)
        ws._buf = early
        try:
            self.handler(ws)
        except OSError as e:
            if e.errno not in (errno.EPIPE, errno.ECONNRESET, errno.EBADF):
                raise
        finally:
            try:
                ws.close()
            except OSError:
                pass
        return ALREADY_HANDLED
