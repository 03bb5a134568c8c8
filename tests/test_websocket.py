"""fasthub.websocket over real loopback sockets: the handshake, then one test group per category of
the Autobahn testsuite (framing, pings/pongs, reserved bits, opcodes, fragmentation, UTF-8, limits,
close handling, compression), masking rules, concurrent senders, and the client."""

import base64
import hashlib
import io
import os
import struct
import time
import zlib

import pytest

import fasthub
import fasthub.green.socket
from fasthub import websocket
from fasthub.web.convenience import connect as tcp_connect
from fasthub.websocket import WebSocketWSGI
from fasthub.wsgi import WSGIServer

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# --- helpers ------------------------------------------------------------------------------------

def echo_handler(ws):
    for message in ws:
        ws.send(message)


def serve(handler=echo_handler, **kw):
    app = WebSocketWSGI(handler, **kw)
    srv = WSGIServer(("127.0.0.1", 0), app, log=None, error_log=io.StringIO())
    srv.start()
    return srv


def url(srv, path="/ws"):
    return f"ws://127.0.0.1:{srv.address[1]}{path}"


class Raw:
    """A hand-driven WebSocket client: writes exactly the frames a test asks for and reads the
    server's frames back, so protocol violations can be sent on purpose."""

    def __init__(self, srv, extensions=None, path="/ws", extra=b""):
        self.sock = tcp_connect(srv.address)
        self.sock.settimeout(10)
        key = base64.b64encode(os.urandom(16))
        req = (b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n")
        if extensions:
            req += b"Sec-WebSocket-Extensions: " + extensions.encode() + b"\r\n"
        self.sock.sendall(req + b"\r\n" + extra)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(4096)
            assert d, "server closed during the handshake"
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        assert self.head.startswith("HTTP/1.1 101"), self.head
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        assert f"Sec-WebSocket-Accept: {accept}" in self.head
        self.inflater = zlib.decompressobj(-15)

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, mask=True, length=None):
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload) if length is None else length
        if n < 126:
            header = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            header = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            header = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            header += key
        self.sock.sendall(header + payload)

    def _need(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError
            self.buf += d

    def recv_frame(self):
        """(fin, rsv, opcode, payload) of the next server frame; EOFError when the server closed."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        assert not b1 & 0x80, "server frames must not be masked"
        n, pos = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, pos = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, pos = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(pos + n)
        payload, self.buf = self.buf[pos:pos + n], self.buf[pos + n:]
        return bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload

    def recv_message(self):
        fin, rsv, op, payload = self.recv_frame()
        if rsv & 4:
            payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
        return op, payload

    def expect_close(self, code):
        """The server sends a close frame with ``code`` and drops the connection."""
        while True:
            fin, rsv, op, payload = self.recv_frame()
            if op == 0x8:
                break
        got = struct.unpack("!H", payload[:2])[0] if payload else None
        assert got == code, (got, payload)
        try:
            self.send_frame(0x8, payload[:2])   # complete the closing handshake
        except OSError:
            pass                                # the server already dropped the connection
        with pytest.raises(EOFError):
            while True:
                self.recv_frame()
        self.sock.close()

    def close(self):
        self.sock.close()


def alive(srv):
    """A fresh client still gets its echo (the server survived the previous test step)."""
    ws = websocket.connect(url(srv))
    ws.send("still here")
    assert ws.wait() == "still here"
    ws.close()


# --- handshake ----------------------------------------------------------------------------------

def test_handshake_and_echo_with_our_client():
    srv = serve()
    ws = websocket.connect(url(srv, "/ws?x=1"))
    ws.send("hello")
    ws.send(b"\x00\x01binary")
    assert ws.wait() == "hello"
    assert ws.wait() == b"\x00\x01binary"
    ws.close()
    assert ws.closed and ws.close_code == 1000
    srv.stop()


@pytest.mark.parametrize("headers, status", [
    (b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 400),  # no key
    (b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n", 400),
    (b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n", 426),
    (b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", 400),
    (b"Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", 400),
])
def test_bad_handshakes_are_refused(headers, status):
    srv = serve()
    s = tcp_connect(srv.address)
    s.settimeout(10)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 %d" % status), data
    if status == 426:
        assert b"Sec-WebSocket-Version: 13" in data
    s.close()
    alive(srv)
    srv.stop()


def test_rfc_sample_key_and_post_refused():
    srv = serve()
    s = tcp_connect(srv.address)
    s.settimeout(10)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    data = s.recv(4096)
    # The example of RFC 6455 section 1.3.
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in data
    s.close()
    s = tcp_connect(srv.address)
    s.sendall(b"POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 405")
    s.close()
    srv.stop()


def test_subprotocols_origin_checker_and_environ():
    seen = []

    def handler(ws):
        seen.append((ws.protocol, ws.path, ws.origin, ws.environ["QUERY_STRING"]))
        ws.send("hi")

    srv = serve(handler, supported_protocols=["chat.v2", "chat.v1"],
                origin_checker=lambda host, origin: origin == "http://good.example")
    ws = websocket.connect(url(srv, "/room?id=7"), protocols=["chat.v1", "chat.v2"],
                           origin="http://good.example")
    assert ws.protocol == "chat.v2" and ws.wait() == "hi"
    assert ws.wait() is None and ws.close_code == 1000   # the handler returned: server closed
    ws.close()
    assert seen == [("chat.v2", "/room", "http://good.example", "id=7")]
    with pytest.raises(websocket.HandshakeError, match="403"):
        websocket.connect(url(srv), origin="http://evil.example")
    srv.stop()


def test_configured_decorator_and_frames_sent_with_the_handshake():
    @WebSocketWSGI.configured(supported_protocols=["p"])
    def app(ws):
        ws.send(ws.protocol or "none")
        echo_handler(ws)
    srv = WSGIServer(("127.0.0.1", 0), app, log=None)
    srv.start()
    ws = websocket.connect(url(srv), protocols=["p"])
    assert ws.wait() == "p"
    ws.close()
    # A client that sends a frame right behind its handshake request (before the 101): the bytes
    # the HTTP server already read are handed to the WebSocket, not lost.
    key = os.urandom(4)
    early = struct.pack("!BB", 0x81, 0x80 | 5) + key + bytes(b ^ key[i % 4] for i, b in enumerate(b"early"))
    raw = Raw(srv, extra=early)
    assert raw.recv_message() == (0x1, b"none")    # Raw offers no subprotocol
    assert raw.recv_message() == (0x1, b"early")
    raw.close()
    srv.stop()


# --- framing (Autobahn 1.x) ---------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 300_000])
def test_framing_text_and_binary_lengths(size):
    srv = serve()
    raw = Raw(srv)
    text = ("é" * size)[:size]
    payload = os.urandom(size)
    raw.send_frame(0x1, text.encode())
    raw.send_frame(0x2, payload)
    assert raw.recv_message() == (0x1, text.encode())
    assert raw.recv_message() == (0x2, payload)
    raw.send_frame(0x8, struct.pack("!H", 1000))
    raw.expect_close(1000)
    srv.stop()


# --- pings and pongs (Autobahn 2.x) -------------------------------------------------------------

def test_pings_and_pongs():
    srv = serve()
    raw = Raw(srv)
    raw.send_frame(0x9, b"")
    assert raw.recv_frame() == (True, 0, 0xA, b"")
    raw.send_frame(0x9, b"x" * 125)
    assert raw.recv_frame() == (True, 0, 0xA, b"x" * 125)
    raw.send_frame(0x9, bytes(range(100)))
    assert raw.recv_frame()[3] == bytes(range(100))
    raw.send_frame(0xA, b"unsolicited")          # ignored
    raw.send_frame(0x1, b"after")
    assert raw.recv_message() == (0x1, b"after")
    for _ in range(10):
        raw.send_frame(0x9, b"burst")
    assert [raw.recv_frame()[2] for _ in range(10)] == [0xA] * 10
    raw.send_frame(0x9, b"x" * 126)             # control payloads are limited to 125 bytes
    raw.expect_close(1002)
    raw = Raw(srv)
    raw.send_frame(0x9, b"frag", fin=False)     # control frames cannot be fragmented
    raw.expect_close(1002)
    alive(srv)
    srv.stop()


def test_client_ping_gets_pong_and_server_side_ping():
    got = []

    def handler(ws):
        ws.ping(b"from-server")
        got.append(ws.wait())
    srv = serve(handler)
    raw = Raw(srv)
    assert raw.recv_frame() == (True, 0, 0x9, b"from-server")
    raw.send_frame(0xA, b"from-server")
    raw.send_frame(0x1, b"then text")
    raw.expect_close(1000)
    assert got == ["then text"]
    srv.stop()


# --- reserved bits (Autobahn 3.x) and opcodes (4.x) ---------------------------------------------

@pytest.mark.parametrize("rsv, opcode", [(1, 0x1), (2, 0x1), (4, 0x1), (7, 0x2), (2, 0x9)])
def test_reserved_bits_without_extension_are_1002(rsv, opcode):
    srv = serve()
    raw = Raw(srv)
    raw.send_frame(0x1, b"ok")
    assert raw.recv_message() == (0x1, b"ok")
    raw.send_frame(opcode, b"bad", rsv=rsv)
    raw.expect_close(1002)
    alive(srv)
    srv.stop()


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_reserved_opcodes_are_1002(opcode):
    srv = serve()
    raw = Raw(srv)
    raw.send_frame(opcode, b"")
    raw.expect_close(1002)
    srv.stop()


@pytest.mark.parametrize("b0, length_code", [
    (0x83, 127),   # reserved data opcode, then a 64-bit length that never comes
    (0x8B, 126),   # reserved control opcode
    (0x89, 127),   # ping with a 64-bit length
    (0x88, 126),   # close with a 16-bit length
    (0x09, 127),   # fragmented ping
    (0xA1, 127),   # reserved bit without an extension
], ids=["reserved-opcode", "reserved-control-opcode", "ping-64bit-length", "close-16bit-length",
        "fragmented-ping", "reserved-bit"])
def test_bad_first_two_header_bytes_are_1002_at_once(b0, length_code):
    # Only the two first header bytes are sent: the error is in them, so the server must not wait
    # for the extended length (or the mask key) before closing with 1002.
    srv = serve()
    raw = Raw(srv)
    raw.sock.settimeout(5)
    raw.sock.sendall(bytes([b0, 0x80 | length_code]))
    raw.expect_close(1002)
    alive(srv)
    srv.stop()


# --- fragmentation (Autobahn 5.x) ---------------------------------------------------------------

def test_fragmented_messages_with_interleaved_control_frames():
    srv = serve()
    raw = Raw(srv)
    raw.send_frame(0x1, b"frag", fin=False)
    raw.send_frame(0x0, b"men", fin=False)
    raw.send_frame(0x9, b"ping in the middle")
    raw.send_frame(0x0, b"ted", fin=True)
    assert raw.recv_frame() == (True, 0, 0xA, b"ping in the middle")   # answered at once
    assert raw.recv_message() == (0x1, b"fragmented")
    raw.send_frame(0x2, b"", fin=False)
    raw.send_frame(0x0, b"", fin=False)
    raw.send_frame(0x0, b"\x01", fin=True)
    assert raw.recv_message() == (0x2, b"\x01")
    raw.close()
    srv.stop()


@pytest.mark.parametrize("frames", [
    [(0x0, b"cont", True)],                              # continuation with nothing to continue
    [(0x0, b"cont", False), (0x0, b"x", True)],
    [(0x1, b"a", False), (0x1, b"b", True)],              # new message inside a fragmented one
    [(0x1, b"a", False), (0x2, b"b", True)],
])
def test_fragmentation_errors_are_1002(frames):
    srv = serve()
    raw = Raw(srv)
    for opcode, payload, fin in frames:
        raw.send_frame(opcode, payload, fin=fin)
    raw.expect_close(1002)
    srv.stop()


# --- UTF-8 handling (Autobahn 6.x) --------------------------------------------------------------

def test_valid_utf8_split_anywhere_is_accepted():
    srv = serve()
    raw = Raw(srv)
    text = "κόσμε 𝄞 ✓ ok".encode()
    for cut in range(1, len(text)):
        raw.send_frame(0x1, text[:cut], fin=False)
        raw.send_frame(0x0, text[cut:], fin=True)
        assert raw.recv_message() == (0x1, text)
    raw.close()
    srv.stop()


@pytest.mark.parametrize("bad", [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"a\xce"])
def test_invalid_utf8_is_1007(bad):
    srv = serve()
    raw = Raw(srv)
    raw.send_frame(0x1, bad)
    raw.expect_close(1007)
    alive(srv)
    srv.stop()


def test_invalid_utf8_fails_fast_before_the_message_ends():
    srv = serve()
    raw = Raw(srv)
    raw.send_frame(0x1, b"good \xce\xba then bad \xff", fin=False)
    raw.expect_close(1007)          # without the final fragment ever being sent
    srv.stop()


def test_invalid_utf8_fails_fast_inside_a_frame():
    # The text is checked as its bytes arrive: a frame announcing 100,000 bytes whose first ones are
    # not UTF-8 is refused with 1007 without waiting for the rest of the frame (never sent here).
    srv = serve()
    raw = Raw(srv)
    key = os.urandom(4)
    start = b"fine so far \xff"
    raw.sock.sendall(struct.pack("!BBH", 0x81, 0x80 | 126, 50_000) + key +
                     bytes(b ^ key[i % 4] for i, b in enumerate(start)))
    t0 = time.monotonic()
    raw.expect_close(1007)
    assert time.monotonic() - t0 < 3
    alive(srv)
    srv.stop()


def test_compressed_text_is_checked_as_it_inflates():
    srv = serve()
    raw = Raw(srv, extensions="permessage-deflate")
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    deflated = c.compress(b"ok \xff" + os.urandom(20_000)) + c.flush(zlib.Z_SYNC_FLUSH)
    first = deflated[:64]          # holds the bad byte once inflated; the rest is never sent
    key = os.urandom(4)
    raw.sock.sendall(struct.pack("!BBH", 0xC1, 0x80 | 126, len(deflated)) + key +
                     bytes(b ^ key[i % 4] for i, b in enumerate(first)))
    raw.expect_close(1007)
    srv.stop()


# --- limits (Autobahn 9.x/12.x sizes) -----------------------------------------------------------

def test_frame_and_message_limits_are_1009():
    srv = serve(max_frame_length=1000, max_message_length=2500)
    raw = Raw(srv)
    raw.send_frame(0x2, b"x" * 1000)
    assert raw.recv_message() == (0x2, b"x" * 1000)
    raw.send_frame(0x2, b"", length=1001)         # header announces too much: refused at once
    raw.expect_close(1009)
    raw = Raw(srv)
    for i in range(3):
        raw.send_frame(0x2 if i == 0 else 0x0, b"y" * 1000, fin=False)
    raw.expect_close(1009)
    alive(srv)
    srv.stop()


def test_inflated_size_is_limited():
    srv = serve(max_frame_length=10_000, max_message_length=10_000)
    raw = Raw(srv, extensions="permessage-deflate")
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = c.compress(b"\0" * 1_000_000) + c.flush(zlib.Z_SYNC_FLUSH)
    assert len(bomb) < 10_000
    raw.send_frame(0x2, bomb[:-4], rsv=4)
    raw.expect_close(1009)
    srv.stop()


# --- close handling (Autobahn 7.x) --------------------------------------------------------------

@pytest.mark.parametrize("payload, reply", [
    (b"", 1000),
    (struct.pack("!H", 1000) + b"bye", 1000),
    (struct.pack("!H", 1001), 1001),
    (struct.pack("!H", 3000), 3000),
    (struct.pack("!H", 4999), 4999),
    (b"\x03", 1002),                           # 1-byte payload
    (struct.pack("!H", 999), 1002),
    (struct.pack("!H", 1004), 1002),
    (struct.pack("!H", 1005), 1002),
    (struct.pack("!H", 1006), 1002),
    (struct.pack("!H", 1016), 1002),
    (struct.pack("!H", 2999), 1002),
    (struct.pack("!H", 5000), 1002),
    (struct.pack("!H", 1000) + b"\xff\xfe", 1007),  # reason not UTF-8
])
def test_close_frames(payload, reply):
    srv = serve()
    raw = Raw(srv)
    raw.send_frame(0x8, payload)
    raw.expect_close(reply)
    srv.stop()


def test_nothing_is_processed_after_close_and_server_initiated_close():
    got = []

    def handler(ws):
        got.append(ws.wait())
        ws.close(4000, "done here")
        got.append(ws.close_code)
    srv = serve(handler)
    raw = Raw(srv)
    raw.send_frame(0x1, b"one")
    fin, rsv, op, payload = raw.recv_frame()
    assert op == 0x8 and payload == struct.pack("!H", 4000) + b"done here"
    raw.send_frame(0x1, b"ignored")               # data after a close is dropped
    raw.send_frame(0x8, struct.pack("!H", 4000))
    with pytest.raises(EOFError):
        raw.recv_frame()
    raw.close()
    fasthub.sleep(0.05)
    assert got == ["one", 4000]
    srv.stop()


def test_abrupt_disconnect_ends_the_handler():
    ended = []

    def handler(ws):
        message = ws.wait()
        if message is None:
            ended.extend([None, ws.close_code])
        else:
            ws.send(message)
    srv = serve(handler)
    raw = Raw(srv)
    raw.send_frame(0x1, b"partial", fin=False)
    raw.close()
    for _ in range(200):
        if ended:
            break
        fasthub.sleep(0.01)
    assert ended == [None, 1006]
    alive(srv)
    srv.stop()


# --- masking ------------------------------------------------------------------------------------

def test_unmasked_client_frame_is_1002():
    srv = serve()
    raw = Raw(srv)
    raw.send_frame(0x1, b"naked", mask=False)
    raw.expect_close(1002)
    srv.stop()


def test_client_refuses_masked_server_frames():
    lsock = fasthub.listen(("127.0.0.1", 0))

    def fake_server():
        conn, _ = lsock.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        key = [l.split(b": ")[1] for l in data.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key")][0]
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        conn.sendall(b"\x81\x82abcd" + bytes([ord("h") ^ ord("a"), ord("i") ^ ord("b")]))
        rest = b""
        while True:
            d = conn.recv(4096)
            if not d:
                break
            rest += d
        conn.close()
        return rest
    gt = fasthub.spawn(fake_server)
    ws = websocket.connect(f"ws://127.0.0.1:{lsock.getsockname()[1]}/", permessage_deflate=False)
    assert ws.wait() is None and ws.close_code == 1002
    rest = gt.wait()
    # Our client sent a masked close frame with 1002.
    assert rest[0] == 0x88 and rest[1] & 0x80
    key = rest[2:6]
    assert bytes(b ^ key[i % 4] for i, b in enumerate(rest[6:8])) == struct.pack("!H", 1002)
    lsock.close()


# --- compression (Autobahn 12.x/13.x) -----------------------------------------------------------

def test_permessage_deflate_with_our_client():
    seen = []

    def handler(ws):
        seen.append(ws.extensions)
        echo_handler(ws)
    srv = serve(handler)
    ws = websocket.connect(url(srv))
    assert ws.extensions and ws.extensions[0].startswith("permessage-deflate")
    big = "compress me " * 5000
    for _ in range(3):                 # context takeover across messages
        ws.send(big)
        assert ws.wait() == big
    ws.send(b"\x00" * 100_000)
    assert ws.wait() == b"\x00" * 100_000
    ws.send("tiny")                    # below the threshold: sent uncompressed
    assert ws.wait() == "tiny"
    ws.close()
    assert seen[0] == ["permessage-deflate"]
    srv.stop()


@pytest.mark.parametrize("offer, answer", [
    ("permessage-deflate", "permessage-deflate"),
    ("permessage-deflate; client_max_window_bits", "permessage-deflate"),
    ("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
    ("permessage-deflate; server_max_window_bits=10; client_max_window_bits=12",
     "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12"),
    ("permessage-deflate; server_max_window_bits=8, permessage-deflate", "permessage-deflate"),
    ("permessage-deflate; bogus=1", None),
    ("x-webkit-deflate-frame", None),
])
def test_deflate_negotiation_and_raw_compressed_frames(offer, answer):
    srv = serve()
    raw = Raw(srv, extensions=offer)
    line = [l for l in raw.head.split("\r\n") if l.lower().startswith("sec-websocket-extensions")]
    if answer is None:
        assert line == []
        raw.send_frame(0x1, b"plain")
        assert raw.recv_message() == (0x1, b"plain")
        raw.close()
        srv.stop()
        return
    assert line == ["Sec-WebSocket-Extensions: " + answer]
    bits = 12 if "client_max_window_bits=12" in answer else 15
    reset = "client_no_context_takeover" in answer
    c = zlib.compressobj(6, zlib.DEFLATED, -bits)
    if "server_max_window_bits=10" in answer:
        raw.inflater = zlib.decompressobj(-10)
    for i in range(3):
        if reset:
            c = zlib.compressobj(6, zlib.DEFLATED, -bits)
        msg = ("message %d " % i).encode() * 50
        data = c.compress(msg) + c.flush(zlib.Z_SYNC_FLUSH)
        raw.send_frame(0x1, data[:-4], rsv=4)
        op, payload = raw.recv_message()
        assert (op, payload) == (0x1, msg)
        if "server_no_context_takeover" in answer:
            raw.inflater = zlib.decompressobj(-15)
    # A compressed message in fragments: RSV1 only on the first frame.
    msg = os.urandom(300)      # incompressible: the split below falls inside the data
    data = c.compress(msg) + c.flush(zlib.Z_SYNC_FLUSH)
    raw.send_frame(0x2, data[:100], fin=False, rsv=4)
    raw.send_frame(0x0, data[100:-4], fin=True)
    assert raw.recv_message() == (0x2, msg)
    raw.send_frame(0x2, data[:100], fin=False, rsv=4)
    raw.send_frame(0x0, data[100:-4], fin=True, rsv=4)   # RSV1 on a continuation frame
    raw.expect_close(1002)
    srv.stop()


def test_compressed_bad_utf8_is_1007():
    srv = serve()
    raw = Raw(srv, extensions="permessage-deflate")
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = c.compress(b"ok \xff") + c.flush(zlib.Z_SYNC_FLUSH)
    raw.send_frame(0x1, data[:-4], rsv=4)
    raw.expect_close(1007)
    srv.stop()


# --- concurrency --------------------------------------------------------------------------------

def test_several_green_threads_send_on_one_websocket():
    def handler(ws):
        def sender(i):
            for j in range(20):
                ws.send(("%d:%d:" % (i, j)) + "z" * (10_000 + i * 997))
        gts = [fasthub.spawn(sender, i) for i in range(8)]
        for gt in gts:
            gt.wait()
        ws.close()
    srv = serve(handler)
    ws = websocket.connect(url(srv))
    counts = {}
    for message in ws:
        i, j, rest = message.split(":")
        assert rest == "z" * (10_000 + int(i) * 997)      # never interleaved with another
        assert int(j) == counts.get(i, 0)                  # each sender's order is kept
        counts[i] = int(j) + 1
    assert counts == {str(i): 20 for i in range(8)}
    ws.close()
    srv.stop()


@pytest.mark.parametrize("deflate", [False, True])
def test_senders_that_must_wait_for_buffer_space_never_interleave(deflate):
    # Frames big enough to fill the socket buffers while the client is not reading: senders then wait
    # in the middle of a frame (and the lock serialising them exists only from then on). Every
    # message still arrives whole, each sender's in order; compressed ones inflate (the compressor's
    # state followed the order frames went out in).
    size = 200_000

    def handler(ws):
        def sender(i):
            for j in range(6):
                body = bytes([65 + i]) * size if not deflate else os.urandom(size // 2).hex().encode()
                ws.send(b"%d:%d:" % (i, j) + body)
        gts = [fasthub.spawn(sender, i) for i in range(4)]
        for gt in gts:
            gt.wait()
        ws.close()
    srv = serve(handler)
    ws = websocket.connect(url(srv), permessage_deflate=deflate, max_message_length=1 << 24)
    fasthub.sleep(0.3)                                 # let the senders fill the buffers and wait
    counts = {}
    for message in ws:
        i, j, body = message.split(b":", 2)
        assert len(body) == size
        if not deflate:
            assert body == bytes([65 + int(i)]) * size
        assert int(j) == counts.get(i, 0)
        counts[i] = int(j) + 1
    assert counts == {str(i).encode(): 6 for i in range(4)}
    ws.close()
    srv.stop()


def test_many_clients_broadcast():
    clients = []

    def handler(ws):
        clients.append(ws)
        for message in ws:
            for other in list(clients):
                try:
                    other.send(message)
                except websocket.ConnectionClosed:
                    pass
        clients.remove(ws)
    srv = serve(handler)
    conns = [websocket.connect(url(srv)) for _ in range(20)]
    while len(clients) < 20:
        fasthub.sleep(0.01)
    conns[3].send("to everyone")
    assert [c.wait() for c in conns] == ["to everyone"] * 20
    for c in conns:
        c.close()
    srv.stop()


def test_send_after_close_raises_and_wait_timeout():
    srv = serve(lambda ws: ws.wait())
    ws = websocket.connect(url(srv))
    with pytest.raises(TimeoutError):
        ws.wait(timeout=0.05)          # nothing arrived: the WebSocket stays usable
    ws.send("x")
    assert ws.wait() is None           # the handler returned, the server closed
    with pytest.raises(websocket.ConnectionClosed):
        ws.send("too late")
    ws.close()
    srv.stop()


def test_corrupt_compressed_data_fails_the_connection():
    srv = serve()
    raw = Raw(srv, extensions="permessage-deflate")
    raw.send_frame(0x2, b"\xff\xff\xff\xff garbage", rsv=4)
    raw.expect_close(1007)
    alive(srv)
    srv.stop()


# --- the demo (make demo) -----------------------------------------------------------------------

def test_demo_chat_in_a_subprocess():
    import json
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "fasthub.demo", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        # Read the URL line without blocking the hub: the pipe is read in an OS thread.
        w = fasthub.Waiter()
        import threading
        threading.Thread(target=lambda: w.switch(proc.stdout.readline()), daemon=True).start()
        line = w.get()
        assert "http://127.0.0.1:" in line, line
        base = line.split("open ")[1].split()[0]
        port = int(base.rsplit(":", 1)[1].strip("/"))
        s = tcp_connect(("127.0.0.1", port))
        s.settimeout(10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        page = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            page += d
        s.close()
        assert page.startswith(b"HTTP/1.1 200") and b"new WebSocket(" in page
        a = websocket.connect(f"ws://127.0.0.1:{port}/ws")
        assert "joined" in json.loads(a.wait(timeout=10))["text"]
        b = websocket.connect(f"ws://127.0.0.1:{port}/ws")
        assert "joined" in json.loads(a.wait(timeout=10))["text"]
        assert "joined" in json.loads(b.wait(timeout=10))["text"]
        a.send(json.dumps({"name": "ann", "text": "hi all"}))
        assert json.loads(a.wait(timeout=10)) == {"name": "ann", "text": "hi all"}
        assert json.loads(b.wait(timeout=10)) == {"name": "ann", "text": "hi all"}
        b.close()
        assert "left" in json.loads(a.wait(timeout=10))["text"]
        a.close()
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def test_wss_over_tls(certs):
    import ssl
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(certs / "server.pem", certs / "server.key")
    srv = WSGIServer(("127.0.0.1", 0), WebSocketWSGI(echo_handler), log=None, ssl_context=ctx)
    srv.start()
    ws = websocket.connect(f"wss://localhost:{srv.address[1]}/ws",
                           ssl_context=ssl.create_default_context(cafile=str(certs / "ca.pem")))
    big = "tls " * 50_000
    ws.send(big)
    ws.send(b"\x01" * 70_000)
    assert ws.wait() == big and ws.wait() == b"\x01" * 70_000
    ws.close()
    assert ws.close_code == 1000
    srv.stop()


def test_server_stop_sends_going_away_to_websockets():
    srv = serve()
    ws = websocket.connect(url(srv))
    ws.send("x")
    assert ws.wait() == "x"
    t0 = time.monotonic()
    srv.stop(timeout=0.2)
    assert time.monotonic() - t0 < 3
    assert ws.wait(timeout=5) is None and ws.close_code == 1001
    ws.close()


def test_python_engineio_style_subclass():
    # python-engineio's eventlet driver subclasses WebSocketWSGI like this: it takes the socket
    # itself first, then lets the middleware do the handshake.
    class EngineIOWebSocketWSGI(WebSocketWSGI):
        def __init__(self, handler, server):
            try:
                super().__init__(handler, max_frame_length=int(server.max_http_buffer_size))
            except TypeError:
                super().__init__(handler)
            self._sock = None

        def __call__(self, environ, start_response):
            if "eventlet.input" not in environ:
                raise RuntimeError("You need to use the eventlet server.")
            self._sock = environ["eventlet.input"].get_socket()
            return super().__call__(environ, start_response)

    class FakeEngineIOServer:
        max_http_buffer_size = 1_000_000

    app = EngineIOWebSocketWSGI(echo_handler, FakeEngineIOServer())
    srv = WSGIServer(("127.0.0.1", 0), app, log=None)
    srv.start()
    ws = websocket.connect(url(srv, "/socket.io/?EIO=4&transport=websocket"))
    ws.send("2probe")
    assert ws.wait() == "2probe"
    ws.close()
    assert isinstance(app._sock, fasthub.green.socket.socket)
    srv.stop()
