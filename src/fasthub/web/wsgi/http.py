"""HTTP/1.1 request parsing for the WSGI server: llhttp (through httptools) plus fasthub's limits.

llhttp is a callback parser and cannot pause between pipelined requests, so the protocol object
below turns callbacks into a queue of ``Request`` records: the connection pops the next complete
header block from ``ready`` and pulls that request's body chunks from ``Request.body`` as the
application reads ``wsgi.input``. Memory stays bounded because the connection only feeds the parser
what it reads on demand, one receive buffer at a time.

Strictness comes from llhttp (no bare LF, no obsolete line folding, no Content-Length together with
Transfer-Encoding, no duplicate Content-Length, chunk syntax checked); on top of it this module
limits the request line (414), the header count and size (431), rejects HTTP versions other than
1.0 and 1.1 (505), header names with an underscore are kept out of the environ (so ``X_Forwarded_For``
cannot spoof ``X-Forwarded-For``), and trailers are discarded.
"""

from collections import deque

import httptools

__all__ = ["Request", "RequestParser", "ParseError", "STATUS_REASONS"]

STATUS_REASONS = {
    400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
    417: "Expectation Failed", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
    501: "Not Implemented", 503: "Service Unavailable", 505: "HTTP Version Not Supported",
}


class ParseError(Exception):
    """The request stream is unusable: answer ``status`` and close the connection."""

    def __init__(self, status, reason):
        super().__init__(status, reason)
        self.status = status
        self.reason = reason


class Request:
    """One request as parsed: method, url (bytes), headers [(name, value) bytes], version ('1.1'),
    body chunks not yet read, and flags."""

    __slots__ = ("method", "url", "headers", "version", "keep_alive", "upgrade", "body", "complete",
                 "headers_done", "hcount", "hbytes", "chunked", "content_length", "expect",
                 "body_read", "error")

    def __init__(self):
        self.url = b""
        self.headers = []
        self.body = deque()
        self.complete = False
        self.headers_done = False
        self.hcount = 0
        self.hbytes = 0
        self.chunked = False
        self.content_length = None
        self.expect = None
        self.body_read = 0
        self.error = None
        self.upgrade = False


class RequestParser:
    """Feeds bytes to llhttp and queues complete header blocks in ``ready`` (see module doc)."""

    __slots__ = ("parser", "cur", "ready", "error", "upgraded", "leftover", "max_url", "max_headers",
                 "max_header_bytes", "pending")

    def __init__(self, max_url=8192, max_headers=100, max_header_bytes=65536):
        self.parser = httptools.HttpRequestParser(self)
        self.cur = None
        self.ready = deque()
        self.error = None          # ParseError once the stream cannot be parsed any further
        self.upgraded = False      # an Upgrade/CONNECT request ended HTTP parsing
        self.leftover = b""        # bytes after an upgrade request (the new protocol's first bytes)
        self.max_url = max_url
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes
        self.pending = 0           # bytes fed since the current header block began

    # -- llhttp callbacks ---------------------------------------------------------------------------

    def on_message_begin(self):
        self.cur = Request()

    def on_url(self, url):
        r = self.cur
        r.url += url
        if len(r.url) > self.max_url:
            raise ParseError(414, "request line too long")

    def on_header(self, name, value):
        r = self.cur
        if r.headers_done:
            return  # a trailer after a chunked body: discarded (no smuggling through trailers)
        r.hcount += 1
        r.hbytes += len(name) + len(value) + 4
        if r.hcount > self.max_headers:
            raise ParseError(431, "too many header fields")
        if r.hbytes > self.max_header_bytes:
            raise ParseError(431, "header fields too large")
        r.headers.append((name, value))

    def on_headers_complete(self):
        r = self.cur
        p = self.parser
        r.headers_done = True
        r.version = v = p.get_http_version()
        if v != "1.1" and v != "1.0":
            raise ParseError(505, f"HTTP/{v} is not supported")
        r.method = p.get_method()
        r.keep_alive = p.should_keep_alive()
        r.upgrade = p.should_upgrade()
        self.pending = 0
        self.ready.append(r)

    def on_body(self, data):
        self.cur.body.append(data)

    def on_message_complete(self):
        self.cur.complete = True
        self.cur = None

    # -- feeding ------------------------------------------------------------------------------------

    def feed(self, data):
        """Parse ``data`` (bytes or memoryview). Never raises: a parse error is recorded in
        ``error`` (and on the request it belongs to), after which nothing more is parsed."""
        if self.error is not None or self.upgraded:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as e:
            self.upgraded = True
            self.leftover = bytes(data[e.args[0]:])
            return
        except httptools.HttpParserCallbackError as e:
            ctx = e.__context__
            if isinstance(ctx, ParseError):
                self._fail(ctx)
            else:
                self._fail(ParseError(400, f"malformed request ({e})"))
            return
        except httptools.HttpParserError as e:
            self._fail(ParseError(_status_for(str(e), data), f"malformed request ({e})"))
            return
        if self.cur is not None and not self.cur.headers_done:
            self.pending += len(data)
            if self.pending > self.max_url + self.max_header_bytes + 4096:
                self._fail(ParseError(431, "request header block too large"))

    def _fail(self, err):
        self.error = err
        if self.cur is not None and self.cur.headers_done:
            self.cur.error = err   # the body of a request being read is broken


def _status_for(message, data):
    if "HTTP version" in message:
        return 505
    return 400
