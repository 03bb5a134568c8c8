# cython: language_level=3, boundscheck=False, wraparound=False
"""HTTP/1.1 request parsing for the WSGI server: llhttp (through httptools) plus fasthub's limits.

llhttp is a callback parser and cannot pause between pipelined requests, so the protocol object
below turns callbacks into a queue of ``Request`` records: the connection pops the next complete
header block (``pop()``) and pulls that request's body chunks from ``Request.body`` as the
application reads ``wsgi.input``. Memory stays bounded because the connection only feeds the parser
what it reads on demand, one receive at a time. A parser between two requests holds nothing of
either, so the server pools parsers: an idle keep-alive connection holds none.

Strictness comes from llhttp (no bare LF, no obsolete line folding, no Content-Length together with
Transfer-Encoding, no duplicate Content-Length, chunk syntax checked); on top of it this module
limits the request line (414), the header count and size (431), rejects HTTP versions other than
1.0 and 1.1 (505), answers a method llhttp does not know with 501 when it is a valid token (RFC 9110
9.1: unknown methods are not malformed requests) and 400 otherwise, and discards trailers. The
connection (``_conn``) adds the checks that need the whole header block (Host, Transfer-Encoding,
Content-Length, Expect).
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.string cimport memchr, memcmp

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


@cython.final
@cython.freelist(32)
cdef class Request:
    """One request as parsed: method, url (bytes), headers (flat list of bytes), version ('1.1'),
    body chunks not yet read, and flags."""

    def __cinit__(self):
        self.headers = []
        self.content_length = -1


@cython.final
cdef class RequestParser:
    """Feeds bytes to llhttp and queues complete header blocks for pop() (see module doc)."""

    def __init__(self, Py_ssize_t max_url=8192, Py_ssize_t max_headers=100,
                 Py_ssize_t max_header_bytes=65536):
        self.parser = httptools.HttpRequestParser(self)
        self.leftover = b""
        self.max_url = max_url
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes

    # -- llhttp callbacks (httptools calls them by name) ----------------------------------------------

    def on_message_begin(self):
        self.cur = Request.__new__(Request)

    def on_url(self, bytes url):
        cdef Request r = self.cur
        r.url = url if r.url is None else r.url + url
        if PyBytes_GET_SIZE(r.url) > self.max_url:
            raise ParseError(414, "request line too long")

    def on_header(self, bytes name, bytes value):
        cdef Request r = self.cur
        if r.headers_done:
            return  # a trailer after a chunked body: discarded (no smuggling through trailers)
        r.hcount += 1
        r.hbytes += PyBytes_GET_SIZE(name) + PyBytes_GET_SIZE(value) + 4
        if PyBytes_GET_SIZE(name) == 10 and name.lower() == b"connection":
            r.connection_header = True
        if r.hcount > self.max_headers:
            raise ParseError(431, "too many header fields")
        if r.hbytes > self.max_header_bytes:
            raise ParseError(431, "header fields too large")
        r.headers.append(name)
        r.headers.append(value)

    def on_headers_complete(self):
        cdef Request r = self.cur
        p = self.parser
        r.headers_done = True
        # Version, method and keep-alive of the first request of the data come from its request line,
        # read by feed() (the common case; asking httptools costs calls, a new bytes and a formatted
        # str, a third of the parsing). llhttp's own rule decides keep-alive: HTTP/1.1 unless
        # "Connection: close", HTTP/1.0 only with "Connection: keep-alive"; so without a Connection
        # header the version tells, and the other way round.
        v = self.first_version
        if v is not None:
            self.first_version = None
            r.keep_alive = v == "1.1" if not r.connection_header else p.should_keep_alive()
            r.method = b"GET" if self.first_get else p.get_method()
        else:
            r.keep_alive = p.should_keep_alive()
            if r.keep_alive and not r.connection_header:
                v = "1.1"
            else:
                v = p.get_http_version()
                if v != "1.1" and v != "1.0":
                    raise ParseError(505, f"HTTP/{v} is not supported")
            r.method = p.get_method()
        r.version = v
        if r.url is None:
            r.url = b""
        self.pending = 0
        # Queued: the oldest in ``first``, pipelined ones behind it in ``later`` (rarely any).
        if self.first is None:
            self.first = r
        else:
            if self.later is None:
                self.later = []
            self.later.append(r)
        self.nready += 1

    def on_body(self, bytes data):
        cdef Request r = self.cur
        if r.body is None:
            r.body = deque()
        r.body.append(data)
        r.received += PyBytes_GET_SIZE(data)

    def on_chunk_header(self):
        self.cur.chunked = True

    def on_message_complete(self):
        cdef Request r = self.cur
        r.complete = True
        self.cur = None
        if not r.keep_alive:
            self.closing = True

    # -- feeding --------------------------------------------------------------------------------------

    cdef int feed(self, object data) except -1:
        """Parse ``data`` (bytes). Never raises for bad input: a parse error is recorded in ``error``
        (and on the request it belongs to), after which nothing more is parsed."""
        cdef bint at_boundary = self.cur is None
        cdef Py_ssize_t queued = self.nready
        if self.error is not None or self.upgraded:
            return 0
        if at_boundary:
            self._read_request_line(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as e:
            # llhttp stops after an Upgrade (or CONNECT) request: what follows is the new protocol's.
            self.upgraded = True
            self.leftover = data[e.args[0]:]
            if self.nready > queued:
                (<Request>(self.later[len(self.later) - 1] if self.later else self.first)).upgrade = True
            return 0
        except httptools.HttpParserCallbackError as e:
            ctx = e.__context__
            if isinstance(ctx, ParseError):
                self._fail(ctx)
            else:
                self._fail(ParseError(400, f"malformed request ({e})"))
            return 0
        except httptools.HttpParserInvalidMethodError as e:
            self._fail(ParseError(_method_status(data, at_boundary, self._queued()[queued:]),
                                  f"unknown or malformed method ({e})"))
            return 0
        except httptools.HttpParserError as e:
            self._fail(ParseError(505 if "HTTP version" in str(e) else 400, f"malformed request ({e})"))
            return 0
        if self.cur is not None and not self.cur.headers_done:
            self.pending += PyBytes_GET_SIZE(data)
            if self.pending > self.max_url + self.max_header_bytes + 4096:
                self._fail(ParseError(431, "request header block too large"))
        return 0

    cdef int _read_request_line(self, bytes data) except -1:
        # The first request of ``data``: if its whole request line is there (after the empty lines
        # RFC 9112 2.2 allows before a request) and ends in HTTP/1.1 or HTTP/1.0, note the version
        # and whether the method is GET; otherwise leave it to llhttp (first_version None).
        cdef const char *p = PyBytes_AS_STRING(data)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(data), start = 0
        cdef const char *eol
        self.first_version = None
        self.first_get = False
        while start < n and (p[start] == 13 or p[start] == 10):
            start += 1
        eol = <const char *>memchr(p + start, 10, n - start)
        if (eol == NULL or eol - (p + start) < 14 or (eol - 1)[0] != 13
                or memcmp(eol - 10, b" HTTP/1.", 8) != 0):
            return 0
        if (eol - 2)[0] == 49:
            self.first_version = "1.1"
        elif (eol - 2)[0] == 48:
            self.first_version = "1.0"
        self.first_get = memcmp(p + start, b"GET ", 4) == 0
        return 0


    cdef Request pop(self):
        """The oldest complete header block not handed out yet, or None."""
        cdef Request r = self.first
        if r is not None:
            self.nready -= 1
            self.first = self.later.pop(0) if self.later else None
        return r

    cdef list _queued(self):
        return ([self.first] if self.first is not None else []) + (self.later or [])

    cdef bint reusable(self):
        # Between two requests with nothing buffered: the next connection may use this parser.
        return (self.cur is None and self.nready == 0 and self.error is None and not self.upgraded
                and not self.closing and not self.leftover)

    cdef int _fail(self, object err) except -1:
        self.error = err
        if self.cur is not None and self.cur.headers_done:
            self.cur.error = err   # the body of a request being read is broken
        return 0


# RFC 9110 5.6.2 tchar: what a method may be made of.
cdef bytes _TCHAR = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
cdef bint _is_tchar[256]
for _c in _TCHAR:
    _is_tchar[_c] = True


cdef int _method_status(bytes data, bint at_boundary, list completed):
    # ``completed``: the requests this feed completed before the refused one.
    # llhttp refused the method of the request that starts after the ones completed in this feed.
    # 501 if that method is a token (a method we do not implement), 400 if it is not one. The start is
    # known when this feed began between requests and the requests it completed had no body or a
    # plain (not chunked) one, which follows its header block's end; otherwise answer 400.
    cdef Py_ssize_t pos = 0, end, n = PyBytes_GET_SIZE(data)
    cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(data)
    cdef Request r
    if not at_boundary:
        return 400
    for r in completed:
        end = data.find(b"\r\n\r\n", pos)
        if end < 0 or r.chunked:
            return 400
        pos = end + 4 + r.received
    while pos < n and (p[pos] == 13 or p[pos] == 10):
        pos += 1   # empty lines before a request are allowed (RFC 9112 2.2)
    end = pos
    while end < n and _is_tchar[p[end]]:
        end += 1
    if end == pos or (end < n and p[end] != 32):
        return 400
    return 501
