"""The WebSocket client side: ``connect(url)`` opens a ws:// or wss:// connection on a green socket
and returns the client-side WebSocket (``fasthub.websocket.connect``)."""

import base64
import os
import socket as _stdsocket
import ssl as _ssl
from urllib.parse import urlsplit

from fasthub.core._gsocket import recv_within, sendall_within
from fasthub.green import ssl as _green_ssl
from fasthub.green.socket import create_connection
from fasthub.web.websocket.frames import (DEFAULT_MAX_FRAME_LENGTH, DEFAULT_MAX_MESSAGE_LENGTH,
                                          HandshakeError, WebSocket, _accept_key, _Deflate,
                                          _header_tokens, _parse_extensions, _window_bits)

__all__ = ["connect"]

# --- the client -----------------------------------------------------------------------------------

def connect(url, protocols=None, headers=None, origin=None, timeout=30.0, ssl_context=None,
            permessage_deflate=True, max_frame_length=DEFAULT_MAX_FRAME_LENGTH,
            max_message_length=DEFAULT_MAX_MESSAGE_LENGTH):
    """Open a WebSocket to ``url`` (ws:// or wss://) and return the client-side WebSocket.

    Blocks the calling green thread for the TCP connect, TLS and the opening handshake (each
    bounded by ``timeout``). ``protocols``: subprotocols to offer; ``headers``: extra request
    headers (dict or list of pairs). Raises HandshakeError if the server refuses or answers
    wrongly, OSError if it cannot connect.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"fasthub.websocket: connect() needs a ws:// or wss:// URL, not {url!r}")
    secure = parts.scheme == "wss"
    host = parts.hostname
    port = parts.port or (443 if secure else 80)
    path = (parts.path or "/") + (("?" + parts.query) if parts.query else "")
    sock = _open(host, port, timeout)
    try:
        if secure:
            sock = _tls(sock, ssl_context or _ssl.create_default_context(), host, timeout)
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        hostport = host if ":" not in host else f"[{host}]"
        if parts.port:
            hostport += f":{port}"
        lines = [f"GET {path} HTTP/1.1", f"Host: {hostport}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if origin:
            lines.append(f"Origin: {origin}")
        if protocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        if permessage_deflate:
            lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        for name, value in (headers.items() if isinstance(headers, dict) else headers or ()):
            if any(c in str(name) + str(value) for c in "\r\n"):
                raise ValueError("fasthub.websocket: CR or LF in a request header")
            lines.append(f"{name}: {value}")
        sendall_within(sock, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), timeout)
        status, resp_headers, rest = _read_response_head(sock, timeout)
        if status != 101:
            raise HandshakeError(f"fasthub.websocket: the server answered {status} instead of 101")
        if "websocket" not in _header_tokens(resp_headers.get("upgrade")) or \
                "upgrade" not in _header_tokens(resp_headers.get("connection")):
            raise HandshakeError("fasthub.websocket: the server's 101 lacks Upgrade/Connection")
        if resp_headers.get("sec-websocket-accept", "").strip() != _accept_key(key):
            raise HandshakeError("fasthub.websocket: wrong Sec-WebSocket-Accept from the server")
        protocol = resp_headers.get("sec-websocket-protocol")
        if protocol is not None and protocol not in (protocols or ()):
            raise HandshakeError(f"fasthub.websocket: the server chose subprotocol {protocol!r} "
                                 f"that was not offered")
        deflate = None
        ext = resp_headers.get("sec-websocket-extensions")
        if ext:
            deflate = _client_deflate(ext, permessage_deflate)
        ws = WebSocket(sock, {"PATH_INFO": parts.path or "/"}, client=True, protocol=protocol,
                       deflate=deflate, max_frame_length=max_frame_length,
                       max_message_length=max_message_length, buffered=rest)
        ws.url = url
        return ws
    except BaseException:
        sock.close()
        raise


def _open(host, port, timeout):
    sock = create_connection((host, port), timeout)
    sock.settimeout(None)
    try:
        sock.setsockopt(_stdsocket.IPPROTO_TCP, _stdsocket.TCP_NODELAY, 1)
    except OSError:
        pass
    return sock


def _tls(sock, ctx, host, timeout):
    # The green SSLSocket's handshake (fasthub.core._gsocket.ssl_call, as the servers'), bounded by
    # ``timeout``; then blocking semantics, as the plain socket has.
    tls = _green_ssl.SSLContext.wrap_socket(ctx, sock, server_hostname=host, do_handshake_on_connect=False)
    tls.settimeout(timeout)
    tls.do_handshake()
    tls.settimeout(None)
    return tls


def _read_response_head(sock, timeout):
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > 65536:
            raise HandshakeError("fasthub.websocket: handshake response headers too large")
        data = recv_within(sock, timeout)
        if not data:
            raise HandshakeError("fasthub.websocket: the server closed the connection during "
                                 "the handshake")
        buf += data
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = lines[0].split(" ", 2)
    if len(fields) < 2 or not fields[0].startswith("HTTP/1.") or not fields[1].isdigit():
        raise HandshakeError(f"fasthub.websocket: bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise HandshakeError(f"fasthub.websocket: bad header line {line!r}")
        name = name.strip().lower()
        value = value.strip()
        headers[name] = headers[name] + ", " + value if name in headers else value
    return int(fields[1]), headers, rest


def _client_deflate(header, offered):
    exts = _parse_extensions(header)
    if not offered or not exts or len(exts) != 1 or exts[0][0] != "permessage-deflate":
        raise HandshakeError(f"fasthub.websocket: the server accepted an extension that was not "
                             f"offered: {header!r}")
    params = exts[0][1]
    known = {"server_no_context_takeover", "client_no_context_takeover",
             "server_max_window_bits", "client_max_window_bits"}
    if set(params) - known:
        raise HandshakeError(f"fasthub.websocket: unknown permessage-deflate parameter in {header!r}")
    smwb = _window_bits(params.get("server_max_window_bits"), True) \
        if "server_max_window_bits" in params else 15
    cmwb = _window_bits(params.get("client_max_window_bits"), False) \
        if "client_max_window_bits" in params else 15
    if smwb < 0 or cmwb < 0:
        raise HandshakeError(f"fasthub.websocket: bad window bits in {header!r}")
    return _Deflate(False, "server_no_context_takeover" in params,
                    "client_no_context_takeover" in params, smwb, cmwb)
