"""WebSocket frames and the connection that speaks them (RFC 6455, with permessage-deflate from
RFC 7692), shared by the server middleware (``.server``) and the client (``.client``).

Protocol rules enforced on what is received (the connection is then closed with the code in brackets):
masking (client frames masked, server frames not) [1002], reserved bits without a negotiated
extension [1002], unknown opcodes [1002], control frames fragmented or over 125 bytes [1002],
continuation frames out of order [1002], close frame syntax and codes [1002], text and close reasons
must be UTF-8, checked by an incremental decoder as the bytes arrive, inside a frame too [1007],
frames, messages and inflated messages over the limits [1009]. Pings are answered with pongs
automatically, even in the middle of a fragmented message. ``send()`` holds a lock, so any number of
green threads may send on one WebSocket; one green thread at a time should receive.

An idle WebSocket is small: no receive buffer of its own (bytes arrive in the OS thread's buffer,
``fasthub.core._gsocket.recv_within``, and only unparsed ones are kept), ``__slots__``, the
compression streams are made when first needed, and the send lock only when a send has to wait.
"""

import base64
import codecs
import hashlib
import os
import socket
import struct
import zlib

from fasthub.core._gsocket import recv_within, sendall_within
from fasthub.core._hub import FdClosedError, get_hub

__all__ = ["WebSocket", "WebSocketError", "ProtocolError", "ConnectionClosed", "HandshakeError",
           "DEFAULT_MAX_FRAME_LENGTH"]

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MSG_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
DEFAULT_MAX_FRAME_LENGTH = 8 << 20       # eventlet's default max_frame_length
DEFAULT_MAX_MESSAGE_LENGTH = 16 << 20

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA_OPS = (OP_TEXT, OP_BINARY)
_CONTROL_OPS = (OP_CLOSE, OP_PING, OP_PONG)

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_NO_STATUS = 1005
CLOSE_ABNORMAL = 1006
CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011

_DEFLATE_TAIL = b"\x00\x00\xff\xff"
_COMPRESS_MIN = 64     # smaller messages are sent uncompressed (RSV1 is per message)


class WebSocketError(Exception):
    """Base class of fasthub.websocket errors."""


class ProtocolError(WebSocketError):
    """The peer broke RFC 6455; ``code`` is the close code sent to it."""

    def __init__(self, message, code=CLOSE_PROTOCOL_ERROR):
        super().__init__(message)
        self.code = code


class ConnectionClosed(WebSocketError, ConnectionError):
    """Raised by send() on a closed WebSocket."""


class HandshakeError(WebSocketError):
    """The opening handshake failed (client side)."""


def _accept_key(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def _mask(data, key, offset=0):
    # XOR with the 4-byte key (as if ``data`` started ``offset`` bytes into the payload), done on one
    # big integer: C speed, no per-byte Python loop.
    n = len(data)
    if not n:
        return b""
    if offset & 3:
        key = key[offset & 3:] + key[:offset & 3]
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def _header_tokens(value):
    return {t.strip().lower() for t in (value or "").split(",") if t.strip()}


def _valid_close_code(code):
    return (1000 <= code <= 1003 or 1007 <= code <= 1014) or 3000 <= code <= 4999


# --- permessage-deflate ---------------------------------------------------------------------------

class _Deflate:
    """Negotiated permessage-deflate parameters and the zlib streams of one connection."""

    def __init__(self, server_side, server_no_context_takeover, client_no_context_takeover,
                 server_max_window_bits, client_max_window_bits):
        if server_side:
            self.send_bits, self.recv_bits = server_max_window_bits, client_max_window_bits
            self.send_reset, self.recv_reset = server_no_context_takeover, client_no_context_takeover
        else:
            self.send_bits, self.recv_bits = client_max_window_bits, server_max_window_bits
            self.send_reset, self.recv_reset = client_no_context_takeover, server_no_context_takeover
        self.params = (server_no_context_takeover, client_no_context_takeover,
                       server_max_window_bits, client_max_window_bits)
        self._c = None
        self._d = None

    def compress(self, data):
        c = self._c
        if c is None or self.send_reset:
            c = self._c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -self.send_bits)
        out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
        return out[:-4] if out.endswith(_DEFLATE_TAIL) else out

    def decompressor(self):
        # Called at the start of each compressed message.
        d = self._d
        if d is None or self.recv_reset:
            d = self._d = zlib.decompressobj(-self.recv_bits)
        return d

    def response_header(self):
        snct, cnct, smwb, cmwb = self.params
        parts = ["permessage-deflate"]
        if snct:
            parts.append("server_no_context_takeover")
        if cnct:
            parts.append("client_no_context_takeover")
        if smwb != 15:
            parts.append(f"server_max_window_bits={smwb}")
        if cmwb != 15:
            parts.append(f"client_max_window_bits={cmwb}")
        return "; ".join(parts)


def _parse_extensions(header):
    """'a; x=1, b' -> [('a', {'x': '1'}), ('b', {})]; None for a syntax error."""
    out = []
    for offer in header.split(","):
        items = [p.strip() for p in offer.split(";")]
        if not items[0]:
            continue
        params = {}
        for item in items[1:]:
            if not item:
                return None
            name, eq, value = item.partition("=")
            name = name.strip().lower()
            value = value.strip().strip('"') if eq else None
            if name in params:
                return None   # a parameter given twice makes the offer invalid (RFC 7692 5.1)
            params[name] = value
        out.append((items[0].lower(), params))
    return out


def _window_bits(value, allow_none):
    if value is None:
        return 15 if allow_none else -1
    if not value.isdigit() or not 9 <= int(value) <= 15:
        return -1   # zlib cannot do raw deflate with an 8-bit window: such offers are declined
    return int(value)


def _negotiate_deflate(header):
    """Pick the first acceptable permessage-deflate offer of a client; None if there is none."""
    offers = _parse_extensions(header or "")
    if not offers:
        return None
    for name, params in offers:
        if name != "permessage-deflate":
            continue
        known = {"server_no_context_takeover", "client_no_context_takeover",
                 "server_max_window_bits", "client_max_window_bits"}
        if set(params) - known:
            continue
        if params.get("server_no_context_takeover", None) is not None or \
                params.get("client_no_context_takeover", None) is not None:
            continue
        smwb = _window_bits(params["server_max_window_bits"], False) \
            if "server_max_window_bits" in params else 15
        if "client_max_window_bits" in params:
            cmwb = _window_bits(params["client_max_window_bits"], True)
        else:
            cmwb = 15
        if smwb < 0 or cmwb < 0:
            continue
        return _Deflate(True, "server_no_context_takeover" in params,
                        "client_no_context_takeover" in params, smwb, cmwb)
    return None


# --- the connection -------------------------------------------------------------------------------

class WebSocket:
    """One WebSocket connection (RFC 6455), server or client side.

    ``send(message)``: str as text, bytes-like as binary; blocks while the socket is full; raises
    ConnectionClosed once closed. ``wait()`` (alias ``receive()``): the next message, or None once
    the connection is closed; iterate the WebSocket for the same. ``close(code, reason)``: the
    closing handshake. ``ping(data)`` / ``pong(data)``. Attributes: ``environ``, ``path``,
    ``origin``, ``protocol`` (negotiated subprotocol), ``extensions``, ``close_code``,
    ``close_reason``, ``closed``.
    """

    __slots__ = ("socket", "environ", "version", "client", "protocol", "max_frame_length",
                 "max_message_length", "timeout", "close_timeout", "path", "origin", "close_code",
                 "close_reason", "url", "_deflate", "_sent_close", "_got_close", "_sock_closed", "_lock",
                 "_tls", "_buf", "_pos", "_consumed", "__weakref__")

    def __init__(self, sock, environ=None, version=13, client=False, protocol=None,
                 deflate=None, max_frame_length=DEFAULT_MAX_FRAME_LENGTH,
                 max_message_length=DEFAULT_MAX_MESSAGE_LENGTH, buffered=b"", timeout=None,
                 close_timeout=5.0):
        self.socket = sock
        self.environ = environ if environ is not None else {}
        self.version = version
        self.client = client
        self.protocol = protocol
        self._deflate = deflate
        self.max_frame_length = max_frame_length
        self.max_message_length = max_message_length
        self.timeout = timeout
        self.close_timeout = close_timeout
        self.path = self.environ.get("PATH_INFO")
        self.origin = self.environ.get("HTTP_ORIGIN")
        self.close_code = None
        self.close_reason = None
        self.url = None
        self._sent_close = False
        self._got_close = False
        self._sock_closed = False
        self._lock = None      # made when a send has to wait (see _send_frame)
        self._tls = None       # the socket is a TLS one (known at the first send)
        self._buf = bytes(buffered)   # received bytes not parsed yet (from _pos on)
        self._pos = 0
        self._consumed = 0     # bytes parsed so far: tells a timeout between frames from one inside

    @property
    def extensions(self):
        """The negotiated extensions, as the Sec-WebSocket-Extensions header names them."""
        return [self._deflate.response_header()] if self._deflate is not None else []

    @property
    def closed(self):
        """True once a close frame was sent or received, or the socket was lost."""
        return self._sent_close or self._got_close or self._sock_closed

    # -- sending ------------------------------------------------------------------------------------

    def _frame(self, opcode, payload, fin=True, rsv1=False):
        n = len(payload)
        b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
        mask_bit = 0x80 if self.client else 0
        if n < 126:
            header = struct.pack("!BB", b0, mask_bit | n)
        elif n < 65536:
            header = struct.pack("!BBH", b0, mask_bit | 126, n)
        else:
            header = struct.pack("!BBQ", b0, mask_bit | 127, n)
        if self.client:
            key = os.urandom(4)
            return header + key + _mask(payload, key)
        return header + payload

    def _send_frame(self, opcode, payload, fin=True, rsv1=False, compress=False):
        # Frames go out whole and in order, whichever green threads send. A frame the kernel takes at
        # once cannot interleave with another (nothing switches green threads meanwhile), so the send
        # lock is only made, and held, when a frame has to wait for buffer space; a sender that finds
        # it held queues behind it. Compressing happens in the same turn as sending: the compressor's
        # state follows the order frames go out in.
        lock = self._lock
        if lock is not None and lock.locked():
            with lock:
                self._put(self._encode(opcode, payload, fin, rsv1, compress), True)
        else:
            self._put(self._encode(opcode, payload, fin, rsv1, compress), False)

    def _encode(self, opcode, payload, fin, rsv1, compress):
        if self._sock_closed:
            raise ConnectionClosed("fasthub.websocket: the connection is closed")
        if compress:
            payload = self._deflate.compress(payload)
            rsv1 = True
        return self._frame(opcode, payload, fin, rsv1)

    def _put(self, data, locked):
        try:
            if not locked:
                if self._tls is None:
                    self._tls = getattr(self.socket, "_sslobj", None) is not None
                if not self._tls:
                    try:
                        sent = self.socket.send(data, _MSG_DONTWAIT)
                    except BlockingIOError:
                        sent = 0
                    if sent == len(data):
                        return
                    data = memoryview(data)[sent:]
                lock = self._lock
                if lock is None:
                    from fasthub.sync.locks import Lock
                    lock = self._lock = Lock()
                with lock:
                    sendall_within(self.socket, data, self.timeout)
            else:
                sendall_within(self.socket, data, self.timeout)
        except (OSError, FdClosedError) as e:
            self._lost()
            raise ConnectionClosed(f"fasthub.websocket: connection lost while sending: {e}") from None

    def send(self, message, binary=None):
        """Send one message: str as a text frame, bytes/bytearray/memoryview as binary (or force
        with ``binary=``). Blocks the calling green thread until written; raises ConnectionClosed
        if the WebSocket is closed. Safe to call from several green threads at once."""
        if isinstance(message, str):
            payload = message.encode("utf-8")
            opcode = OP_BINARY if binary else OP_TEXT
        elif isinstance(message, (bytes, bytearray, memoryview)):
            payload = bytes(message)
            opcode = OP_TEXT if binary is False else OP_BINARY
        else:
            raise TypeError(f"fasthub.websocket: send() takes str or bytes, not {type(message).__name__}")
        if self._sent_close or self._sock_closed:
            raise ConnectionClosed("fasthub.websocket: the connection is closed")
        self._send_frame(opcode, payload, compress=self._deflate is not None and len(payload) >= _COMPRESS_MIN)

    def ping(self, data=b""):
        """Send a ping (payload up to 125 bytes); the peer's pong is consumed by wait()."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if len(data) > 125:
            raise ValueError("fasthub.websocket: a ping payload is at most 125 bytes")
        self._send_frame(OP_PING, bytes(data))

    def pong(self, data=b""):
        """Send an unsolicited pong (a one-way heartbeat)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if len(data) > 125:
            raise ValueError("fasthub.websocket: a pong payload is at most 125 bytes")
        self._send_frame(OP_PONG, bytes(data))

    def _send_close(self, code, reason=""):
        if self._sent_close or self._sock_closed:
            return
        self._sent_close = True
        payload = b""
        if code is not None and code != CLOSE_NO_STATUS:
            payload = struct.pack("!H", code) + reason.encode("utf-8")[:123]
        try:
            self._send_frame(OP_CLOSE, payload)
        except ConnectionClosed:
            pass

    def close(self, code=CLOSE_NORMAL, reason="", close_data=None):
        """Start (or finish) the closing handshake, wait up to ``close_timeout`` seconds for the
        peer's close frame, then close the socket. ``close_data=(code, reason)`` is eventlet's form.
        Blocks the calling green thread; never raises for a connection already gone."""
        if close_data is not None:
            code, reason = close_data
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        if self._sock_closed:
            return
        if not self._sent_close:
            self._send_close(code, reason)
            if self.close_code is None:
                self.close_code, self.close_reason = code, reason
        if not self._got_close and not self._sock_closed:
            # Read (and drop) until the peer's close frame: the other side may still be sending.
            hub = get_hub()
            deadline = hub.now() + self.close_timeout
            try:
                while not self._got_close and not self._sock_closed:
                    remaining = deadline - hub.now()
                    if remaining <= 0:
                        break
                    self._read_frame(remaining)
            except (ProtocolError, OSError, TimeoutError, FdClosedError):
                pass
        self._lost()

    def _lost(self):
        if not self._sock_closed:
            self._sock_closed = True
            if self.close_code is None:
                self.close_code = CLOSE_ABNORMAL
            self._buf = b""
            try:
                self.socket.close()   # a green socket wakes its waiters (FdClosedError) first
            except OSError:
                pass

    # -- receiving ----------------------------------------------------------------------------------

    def _fill(self, timeout):
        # Receive what has arrived (at least one byte) after the unparsed bytes; False at EOF.
        data = recv_within(self.socket, timeout)
        if not data:
            return False
        buf, pos = self._buf, self._pos
        self._buf = data if pos >= len(buf) else buf[pos:] + data
        self._pos = 0
        return True

    def _need(self, n, timeout):
        # Make sure n unparsed bytes are buffered; returns False at EOF.
        while len(self._buf) - self._pos < n:
            if not self._fill(timeout):
                return False
        return True

    def _take(self, n):
        # Up to n buffered bytes (all of them if fewer are buffered), consumed.
        buf, p = self._buf, self._pos
        end = min(p + n, len(buf))
        self._consumed += end - p
        if end == len(buf):
            self._buf, self._pos = b"", 0   # nothing left: keep no buffer at all
            return buf if p == 0 else buf[p:]
        self._pos = end
        return buf[p:end]

    def _read_header(self, timeout=None):
        """Read one frame header: (fin, rsv1, opcode, length, mask key). A control frame is read
        whole and handled here (None is returned). Raises ProtocolError, or OSError/EOFError for a
        lost connection."""
        if not self._need(2, timeout):
            raise EOFError("fasthub.websocket: the peer closed the connection")
        b0, b1 = self._buf[self._pos], self._buf[self._pos + 1]
        self._take(2)
        fin = b0 & 0x80
        rsv1 = b0 & 0x40
        if b0 & 0x30 or (rsv1 and self._deflate is None):
            raise ProtocolError("reserved bits set without a negotiated extension")
        opcode = b0 & 0x0F
        masked = b1 & 0x80
        if masked != (0 if self.client else 0x80):
            raise ProtocolError("client frames must be masked, server frames must not be"
                                if not self.client else "the server sent a masked frame")
        n = b1 & 0x7F
        # Everything the first two bytes can break is refused now, before waiting for an extended
        # length or a mask key that a broken peer may never send (126/127 mean an extended length,
        # which a control frame cannot have).
        if opcode >= 8:
            if opcode not in _CONTROL_OPS:
                raise ProtocolError(f"reserved control opcode {opcode:#x}")
            if not fin:
                raise ProtocolError("fragmented control frame")
            if n > 125:
                raise ProtocolError("control frame payload over 125 bytes")
            if rsv1:
                raise ProtocolError("RSV1 set on a control frame")
        elif opcode not in (OP_CONT, OP_TEXT, OP_BINARY):
            raise ProtocolError(f"reserved data opcode {opcode:#x}")
        if n == 126:
            if not self._need(2, timeout):
                raise EOFError("fasthub.websocket: connection lost mid-frame")
            n = struct.unpack("!H", self._take(2))[0]
        elif n == 127:
            if not self._need(8, timeout):
                raise EOFError("fasthub.websocket: connection lost mid-frame")
            n = struct.unpack("!Q", self._take(8))[0]
            if n >> 63:
                raise ProtocolError("frame length with the most significant bit set")
        if n > self.max_frame_length:
            raise ProtocolError(f"frame of {n} bytes over the limit of {self.max_frame_length}",
                                CLOSE_TOO_BIG)
        key = None
        if masked:
            if not self._need(4, timeout):
                raise EOFError("fasthub.websocket: connection lost mid-frame")
            key = self._take(4)
        if opcode >= 8:
            if not self._need(n, timeout):
                raise EOFError("fasthub.websocket: connection lost mid-frame")
            payload = self._take(n)
            self._control(opcode, _mask(payload, key) if key is not None else payload)
            return None
        return fin, rsv1, opcode, n, key

    def _read_frame(self, timeout=None):
        """Read one whole frame: (fin, rsv1, opcode, payload), or None for a control frame (handled)."""
        head = self._read_header(timeout)
        if head is None:
            return None
        fin, rsv1, opcode, n, key = head
        if not self._need(n, timeout):
            raise EOFError("fasthub.websocket: connection lost mid-frame")
        payload = self._take(n)
        return fin, rsv1, opcode, _mask(payload, key) if key is not None else payload

    def _control(self, opcode, payload):
        if opcode == OP_PING:
            if not self._sent_close:
                try:
                    self._send_frame(OP_PONG, payload)
                except ConnectionClosed:
                    pass
        elif opcode == OP_CLOSE:
            self._got_close = True
            if len(payload) == 1:
                raise ProtocolError("close frame with a 1-byte payload")
            if payload:
                code = struct.unpack("!H", payload[:2])[0]
                if not _valid_close_code(code):
                    raise ProtocolError(f"invalid close code {code}")
                try:
                    reason = payload[2:].decode("utf-8")
                except UnicodeDecodeError:
                    raise ProtocolError("close reason is not UTF-8", CLOSE_INVALID_DATA) from None
            else:
                code, reason = CLOSE_NO_STATUS, ""
            if self.close_code is None:
                self.close_code, self.close_reason = code, reason
            if not self._sent_close:
                # Echo the code (RFC 6455 5.5.1); then the handshake is complete on our side.
                self._send_close(CLOSE_NORMAL if code == CLOSE_NO_STATUS else code, "")
            self._lost()
        # OP_PONG: nothing to do (a reply to our ping, or a heartbeat)

    def wait(self, timeout=None):
        """Block the calling green thread until a whole message arrives; return it (str for text,
        bytes for binary), or None once the connection is closed (see ``close_code``). With
        ``timeout`` (seconds), raise TimeoutError if no frame arrives in time."""
        if self._got_close or self._sock_closed:
            return None
        start = self._consumed
        try:
            return self._read_message(timeout if timeout is not None else self.timeout)
        except ProtocolError as e:
            self._fail(e.code, str(e))
        except (EOFError, OSError, FdClosedError) as e:
            if isinstance(e, TimeoutError) and not self._sock_closed and self._consumed == start:
                raise   # nothing of a message was read: the WebSocket is still usable
            self._lost()
        return None

    receive = wait

    def _fail(self, code, reason):
        # A protocol violation: say why with a close frame, then drop the connection at once.
        self.close_code, self.close_reason = code, reason
        self._send_close(code, reason)
        self._lost()

    def _read_message(self, timeout):
        opcode = None
        parts = None   # made with the first piece: an idle WebSocket waits here for its next message
        size = 0
        decoder = None
        inflate = None
        while True:
            head = self._read_header(timeout)
            if head is None:
                if self._got_close or self._sock_closed:
                    return None
                continue
            fin, rsv1, op, n, key = head
            if op == OP_CONT:
                if opcode is None:
                    raise ProtocolError("continuation frame without a message to continue")
                if rsv1:
                    raise ProtocolError("RSV1 set on a continuation frame")
            else:
                if opcode is not None:
                    raise ProtocolError("new data frame before the fragmented message ended")
                opcode = op
                if rsv1:
                    inflate = self._deflate.decompressor()
                if op == OP_TEXT:
                    decoder = codecs.getincrementaldecoder("utf-8")()
            # The payload is handled as it arrives, piece by piece: text is validated (and a
            # compressed message inflated) before the rest of the frame is even received.
            offset = 0
            while True:
                if offset < n and self._pos >= len(self._buf) and not self._fill(timeout):
                    raise EOFError("fasthub.websocket: connection lost mid-frame")
                piece = self._take(n - offset)
                if key is not None:
                    piece = _mask(piece, key, offset)
                offset += len(piece)
                last = fin and offset == n
                if inflate is not None:
                    piece = self._inflate(inflate, piece, size, last)
                size += len(piece)
                if size > self.max_message_length:
                    raise ProtocolError(f"message over the limit of {self.max_message_length} bytes",
                                        CLOSE_TOO_BIG)
                if decoder is not None:
                    try:
                        piece = decoder.decode(piece, final=last)
                    except UnicodeDecodeError:
                        raise ProtocolError("text message is not valid UTF-8", CLOSE_INVALID_DATA) from None
                if piece or parts is None:
                    if parts is None:
                        parts = [piece]
                    else:
                        parts.append(piece)
                if offset == n:
                    break
            if fin:
                if decoder is not None:
                    return parts[0] if len(parts) == 1 else "".join(parts)
                return parts[0] if len(parts) == 1 else b"".join(parts)

    def _inflate(self, inflate, data, size, last):
        # Inflate a piece of a compressed message; at its end, the deflate tail the sender dropped.
        limit = self.max_message_length - size + 1
        try:
            out = inflate.decompress(data, limit)
            if inflate.unconsumed_tail or len(out) >= limit:
                raise ProtocolError("inflated message over the limit", CLOSE_TOO_BIG)
            if last:
                out += inflate.decompress(_DEFLATE_TAIL, limit - len(out))
                if inflate.unconsumed_tail:
                    raise ProtocolError("inflated message over the limit", CLOSE_TOO_BIG)
        except zlib.error:
            raise ProtocolError("corrupt compressed data", CLOSE_INVALID_DATA) from None
        return out

    def __iter__(self):
        return self

    def __next__(self):
        message = self.wait()
        if message is None:
            raise StopIteration
        return message

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return f"<fasthub WebSocket {'client' if self.client else 'server'} {state} path={self.path!r}>"
