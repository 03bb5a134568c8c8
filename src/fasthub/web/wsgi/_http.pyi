from typing import Any, Optional

STATUS_REASONS: dict[int, str]

class ParseError(Exception):
    status: int
    reason: str
    def __init__(self, status: int, reason: str) -> None: ...

class Request:
    method: Optional[bytes]
    url: Optional[bytes]
    headers: Optional[list[bytes]]
    version: Optional[str]
    keep_alive: bool
    upgrade: bool
    complete: bool
    headers_done: bool
    chunked: bool
    expect: bool
    body: Any
    hcount: int
    hbytes: int
    body_read: int
    received: int
    content_length: int
    error: Optional[ParseError]

class RequestParser:
    cur: Optional[Request]
    nready: int
    error: Optional[ParseError]
    upgraded: bool
    leftover: bytes
    def __init__(self, max_url: int = ..., max_headers: int = ..., max_header_bytes: int = ...) -> None: ...
    def on_message_begin(self) -> None: ...
    def on_url(self, url: bytes) -> None: ...
    def on_header(self, name: bytes, value: bytes) -> None: ...
    def on_headers_complete(self) -> None: ...
    def on_body(self, data: bytes) -> None: ...
    def on_chunk_header(self) -> None: ...
    def on_message_complete(self) -> None: ...
