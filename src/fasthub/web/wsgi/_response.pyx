# cython: language_level=3, boundscheck=False, wraparound=False
"""Writing one WSGI response, compiled: ``start_response`` (validation of status and headers, once),
the status line and headers (framing decided: Content-Length, chunked, or close), the body (with a
small one in the same send as the headers), ``wsgi.file_wrapper`` with sendfile(2), and the error
answers the server itself gives (4xx/5xx, ``100 Continue``).

``Response`` is the base class of the connection (``_conn.Connection``), which sets ``sock``, the
timeouts and, per request, ``req`` and the state below; the connection answers ``_stopping()``.
Status line and headers are written straight into one bytes object from the latin-1 data of the
header strings: no intermediate str, list or encode per response.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject
from cpython.unicode cimport (PyUnicode_1BYTE_DATA, PyUnicode_1BYTE_KIND, PyUnicode_GET_LENGTH,
                              PyUnicode_KIND)
from libc.math cimport INFINITY
from libc.string cimport memcpy
from libc.time cimport time as c_time, time_t

from fasthub.core._gsocket cimport _wait, sendall_for
from fasthub.core.includes.poller cimport FH_WRITE, fh_monotonic
from fasthub.web.wsgi._http cimport Request

import io
import os
import stat
from email.utils import formatdate

from fasthub.web.wsgi._http import STATUS_REASONS

__all__ = ["FileWrapper", "Response"]

cdef extern from *:
    """
    /* Strings are always "ready" from 3.12 on; before, PyUnicode_KIND needs a ready string. */
    #if PY_VERSION_HEX < 0x030C0000
    #define fh_str_ready(o) PyUnicode_READY(o)
    #else
    #define fh_str_ready(o) 0
    #endif
    """
    int fh_str_ready(object o) except -1

cdef enum:
    SMALL_BODY = 65536       # bodies up to this size are sent in the same send() as the headers


class FileWrapper:
    """``wsgi.file_wrapper``: iterate a file in blocks; the server sends regular files with
    sendfile(2) (zero copy) when the connection is not TLS."""

    def __init__(self, filelike, blksize=65536):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


# --- cached strings and C helpers ------------------------------------------------------------------

cdef time_t _date_second = 0
cdef bytes _date_line = b""          # b"Date: ...\r\n" for _date_second


cdef bytes _http_date_line():
    global _date_second, _date_line
    cdef time_t now = c_time(NULL)
    if now != _date_second:
        _date_line = ("Date: " + formatdate(now, usegmt=True) + "\r\n").encode("latin-1")
        _date_second = now
    return _date_line


cdef enum:
    KIND_PLAIN = 0
    KIND_CL = 1
    KIND_CONN = 2
    KIND_TE = 3
    KIND_DATE = 4
    KIND_HOP = 5

cdef dict _RESPONSE_NAMES = {}       # response header name (str) -> KIND_*
cdef frozenset _TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
cdef frozenset _HOP_BY_HOP = frozenset({"keep-alive", "proxy-connection", "upgrade", "te", "trailer"})
cdef dict _FRAMING = {"content-length": KIND_CL, "connection": KIND_CONN, "transfer-encoding": KIND_TE,
                      "date": KIND_DATE}


cdef int _response_header_kind(object name) except -1:
    cdef PyObject *found = PyDict_GetItem(_RESPONSE_NAMES, name) if type(name) is str else NULL
    if found != NULL:
        return <int><object>found
    if type(name) is not str:
        raise TypeError(f"fasthub.wsgi: response header name must be str, not {name!r}")
    if not name or not _TOKEN_CHARS.issuperset(name):
        raise ValueError(f"fasthub.wsgi: invalid response header name {name!r}")
    low = name.lower()
    kind = _FRAMING.get(low, KIND_HOP if low in _HOP_BY_HOP else KIND_PLAIN)
    if len(_RESPONSE_NAMES) < 2048:
        _RESPONSE_NAMES[name] = kind
    return kind


cdef inline bint _has_ctl(str value) except -1:
    # CR, LF or NUL anywhere in a header value (header injection).
    cdef Py_ssize_t i, n
    cdef const unsigned char *p
    fh_str_ready(value)
    if PyUnicode_KIND(value) != PyUnicode_1BYTE_KIND:
        return "\r" in value or "\n" in value or "\0" in value
    p = PyUnicode_1BYTE_DATA(value)
    n = PyUnicode_GET_LENGTH(value)
    for i in range(n):
        if p[i] < 14 and (p[i] == 13 or p[i] == 10 or p[i] == 0):
            return True
    return False


cdef int _status_code(object status) except -2:
    # The code of a status str like "200 OK" (three digits, a space, a reason); -1 if malformed.
    cdef const unsigned char *p
    if type(status) is not str or PyUnicode_GET_LENGTH(status) < 4:
        return -1
    fh_str_ready(status)
    if PyUnicode_KIND(status) != PyUnicode_1BYTE_KIND:
        return -1
    p = PyUnicode_1BYTE_DATA(status)
    if not (48 <= p[0] <= 57 and 48 <= p[1] <= 57 and 48 <= p[2] <= 57) or p[3] != 32:
        return -1
    return (p[0] - 48) * 100 + (p[1] - 48) * 10 + (p[2] - 48)


cdef inline bint _no_body(int code):
    # Responses that never have a body (RFC 9110 6.4.1).
    return code < 200 or code == 204 or code == 304


cdef inline Py_ssize_t _latin1_len(object s) except -1:
    # Length of str ``s`` once encoded as latin-1; UnicodeEncodeError (-> 500) if it cannot be.
    if type(s) is not str:
        raise TypeError(f"fasthub.wsgi: response headers must be str, not {type(s).__name__}")
    fh_str_ready(s)
    if PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND:
        (<str>s).encode("latin-1")   # raises, naming the character
    return PyUnicode_GET_LENGTH(s)


cdef inline char *_put(char *p, object s):
    # Copy str ``s`` (checked by _latin1_len) as latin-1 bytes.
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(s)
    memcpy(p, PyUnicode_1BYTE_DATA(s), n)
    return p + n


cdef inline char *_put_c(char *p, const char *s, Py_ssize_t n):
    memcpy(p, s, n)
    return p + n


cdef inline int _itoa(char *out, Py_ssize_t n):
    # Decimal digits of n >= 0 into out (at least 20 bytes); returns how many.
    cdef char tmp[24]
    cdef int i = 0, k
    while True:
        tmp[i] = <char>(48 + n % 10)
        n //= 10
        i += 1
        if n == 0:
            break
    for k in range(i):
        out[k] = tmp[i - 1 - k]
    return i


cdef inline Py_ssize_t _digits(str s):
    # The value of a str of ASCII digits (at most 18), or -1 if it is anything else.
    cdef const unsigned char *p
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(s), v = 0
    if n == 0 or n > 18 or PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND:
        return -1
    p = PyUnicode_1BYTE_DATA(s)
    for i in range(n):
        if p[i] < 48 or p[i] > 57:
            return -1
        v = v * 10 + (p[i] - 48)
    return v



# --- the response ---------------------------------------------------------------------------------

@cython.final
@cython.freelist(8)
cdef class _Write:
    """The write() callable start_response returns (PEP 3333's legacy imperative API): made from a
    free list, cheaper than a bound method for the many apps that never call it."""

    cdef Response response

    def __call__(self, data):
        self.response._write(data)


cdef class Response:
    """One connection's response side (the base of ``_conn.Connection``)."""

    cdef bint _stopping(self) except -1:
        # The server is stopping: the response says Connection: close. The connection knows.
        return False

    cdef bytes _keep_alive_lines(self):
        # What a response that keeps the connection says so with (the connection adds the idle
        # timeout it knows: Keep-Alive: timeout=N).
        return b"Connection: keep-alive\r\n"

    cdef int _send_continue(self, Request req, bint again) except -1:
        # '100 Continue' to a client that asked for it (Expect), with the headers the application
        # set (_set_continue_headers): once, when the application first reads the body (the body may
        # already have arrived: the answer is then harmless and eventlet's clients wait for it), or
        # again when it asks (again=True, eventlet's send_hundred_continue_response()). Never once
        # the final response has started.
        cdef list parts
        if not req.expect or self.headers_sent or (self.continue_sent and not again):
            return 0
        self.continue_sent = True
        parts = [b"HTTP/1.1 100 Continue\r\n"]
        if self.continue_headers:
            for name, value in self.continue_headers:
                parts.append(f"{name}: {value}\r\n".encode("latin-1"))
        parts.append(b"\r\n")
        sendall_for(self.sock, b"".join(parts), self.send_timeout)
        return 0

    cdef int _set_continue_headers(self, object headers, bint capitalize) except -1:
        # Checked like start_response()'s headers; capitalize: 'x-my-name' -> 'X-My-Name'.
        cdef list checked = []
        for item in headers:
            name, value = item
            _response_header_kind(name)
            if type(value) is not str or _has_ctl(value):
                raise ValueError(f"fasthub.wsgi: bad value for 100 Continue header {name!r}: a str "
                                 f"without CR, LF or NUL is required")
            if capitalize:
                name = "-".join(part.capitalize() for part in name.split("-"))
            checked.append((name, value))
        self.continue_headers = checked
        return 0

    def _start_response(self, status, headers, exc_info=None):
        """start_response(status, headers, exc_info=None) -> write (PEP 3333)."""
        cdef Py_ssize_t out_length = -1
        cdef int kind, code
        cdef list kept
        cdef bint has_date
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("fasthub.wsgi: start_response() called a second time without exc_info")
        code = _status_code(status)
        if code < 0:
            raise ValueError(f"fasthub.wsgi: status must be a str like '200 OK', not {status!r}")
        if _has_ctl(status):
            raise ValueError("fasthub.wsgi: CR or LF in the response status")
        kept = []   # what _head writes: name, value, name, value... (the framing headers are ours)
        has_date = False
        for item in headers:
            name, value = item
            kind = _response_header_kind(name)
            if type(value) is not str:
                raise TypeError(f"fasthub.wsgi: value of response header {name!r} must be str, "
                                f"not {type(value).__name__}")
            if _has_ctl(value):
                raise ValueError(f"fasthub.wsgi: CR, LF or NUL in the value of response header "
                                 f"{name!r}: refused (header injection)")
            if kind == KIND_CL:
                out_length = _digits(value)
                if out_length < 0:
                    try:
                        out_length = int(value)
                    except ValueError:
                        raise ValueError(f"fasthub.wsgi: bad Content-Length {value!r}") from None
                    if out_length < 0:
                        raise ValueError(f"fasthub.wsgi: bad Content-Length {value!r}")
            elif kind == KIND_CONN:
                if "close" in value.lower():
                    self.close_after = True
            if kind == KIND_PLAIN or kind == KIND_DATE:
                kept.append(name)
                kept.append(value)
                has_date = has_date or kind == KIND_DATE
        self.status = status
        self.code = code
        self.out_headers = kept
        self.has_date = has_date
        self.out_length = out_length
        cdef _Write write = _Write.__new__(_Write)
        write.response = self
        return write

    cdef bytes _head(self, Py_ssize_t body_length, object body):
        """The status line and headers, followed by ``body`` (bytes) when given; decides framing
        (length, chunked, or close). body_length: the whole body's length, or -1 if unknown."""
        cdef str status = self.status
        cdef Request req = self.req
        cdef bint no_body
        cdef Py_ssize_t length = self.out_length, size, body_size = 0
        cdef list kept = self.out_headers
        cdef char number[24]
        cdef int digits = 0
        cdef char *p
        cdef bytes out, date = None, keep = None
        cdef const char *connection = NULL
        cdef Py_ssize_t connection_len = 0, i, n = len(kept)
        size = 9 + _latin1_len(status) + 2          # "HTTP/1.1 " status CRLF
        for i in range(n):
            size += _latin1_len(kept[i]) + 2        # name ": " / value CRLF
        if not self.has_date:
            date = _http_date_line()
            size += PyBytes_GET_SIZE(date)
        no_body = _no_body(self.code)
        if length < 0 and body_length >= 0 and not no_body:
            length = body_length
        if no_body:
            if self.out_length >= 0 and self.code == 304:
                digits = _itoa(number, self.out_length)
        elif length >= 0:
            digits = _itoa(number, length)
        elif req.version == "1.1":
            self.chunked = True
            size += 28                                # "Transfer-Encoding: chunked\r\n"
        else:
            self.close_after = True   # HTTP/1.0 without a length: the end of the body is the close
        if digits:
            size += 16 + digits + 2                   # "Content-Length: " n CRLF
        self.out_length = 0 if no_body else length
        if req.expect and not self.continue_sent and not req.complete:
            # Answered before asking for the body: the client may or may not send it now, so the
            # connection cannot be reused (RFC 9110 10.1.1).
            self.close_after = True
        if self.close_after or self._stopping():
            self.close_after = True
            connection, connection_len = b"Connection: close\r\n", 19
        elif req.version == "1.0" or (req.connection_header and self.code != 101):
            # Said only to a client that said Connection itself (an HTTP/1.0 client must be told;
            # eventlet's clients check it is echoed).
            keep = self._keep_alive_lines()
            connection, connection_len = keep, PyBytes_GET_SIZE(keep)
        size += connection_len + 2
        if body is not None:
            body_size = PyBytes_GET_SIZE(body)
        out = PyBytes_FromStringAndSize(NULL, size + body_size)
        p = PyBytes_AS_STRING(out)
        p = _put_c(p, b"HTTP/1.1 ", 9)
        p = _put(p, status)
        p = _put_c(p, b"\r\n", 2)
        for i in range(0, n, 2):
            p = _put(p, kept[i])
            p = _put_c(p, b": ", 2)
            p = _put(p, kept[i + 1])
            p = _put_c(p, b"\r\n", 2)
        if date is not None:
            p = _put_c(p, PyBytes_AS_STRING(date), PyBytes_GET_SIZE(date))
        if digits:
            p = _put_c(p, b"Content-Length: ", 16)
            p = _put_c(p, number, digits)
            p = _put_c(p, b"\r\n", 2)
        elif self.chunked:
            p = _put_c(p, b"Transfer-Encoding: chunked\r\n", 28)
        if connection_len:
            p = _put_c(p, connection, connection_len)
        p = _put_c(p, b"\r\n", 2)
        if body_size:
            memcpy(p, PyBytes_AS_STRING(body), body_size)
        self.headers_sent = True
        return out

    def _write(self, data):
        """The write() callable returned by start_response (PEP 3333's legacy imperative API)."""
        if self.status is None:
            raise AssertionError("fasthub.wsgi: write() called before start_response()")
        if type(data) is not bytes:
            if isinstance(data, (bytearray, memoryview)):
                data = bytes(data)
            else:
                raise TypeError(f"fasthub.wsgi: the body must be bytes, not {type(data).__name__}")
        if not self.headers_sent:
            self._send_body(self._head(-1, None), data)
        elif data:
            self._send_body(b"", data)

    cdef int _send(self, object data) except -1:
        sendall_for(self.sock, data, self.send_timeout)
        return 0

    cdef int _send_body(self, bytes prefix, object data) except -1:
        cdef Py_ssize_t n = len(data)
        if self.head or self.out_length == 0 and not n:
            if prefix:
                self._send(prefix)
            return 0
        if self.out_length >= 0 and n > self.out_length - self.sent:
            self.close_after = True
            raise ValueError(f"fasthub.wsgi: the application sent more than the "
                             f"Content-Length of {self.out_length} bytes")
        self.sent += n
        if self.chunked:
            if not n:
                if prefix:
                    self._send(prefix)
                return 0
            data = b"%s%x\r\n%s\r\n" % (prefix, n, data)
        elif prefix:
            if n <= SMALL_BODY:
                data = prefix + data
            else:
                self._send(prefix)
        self._send(data)
        return 0

    cdef int _write_result(self, object result) except -1:
        cdef Py_ssize_t n = 0
        cdef bytes body
        if type(result) is list or type(result) is tuple:
            if self.status is None:
                raise AssertionError("fasthub.wsgi: the application returned without calling "
                                     "start_response()")
            if not self.headers_sent:
                # The common case: the whole body is known, send it with its length in one send().
                for chunk in result:
                    if type(chunk) is not bytes:
                        raise TypeError(f"fasthub.wsgi: the body must be bytes, not "
                                        f"{type(chunk).__name__}")
                    n += PyBytes_GET_SIZE(chunk)
                if self.out_length >= 0 and self.out_length != n and not self.head and not _no_body(self.code):
                    raise ValueError(f"fasthub.wsgi: Content-Length {self.out_length} does not match "
                                     f"the body length {n}")
                if self.head or not n or _no_body(self.code):
                    self._send(self._head(n, None))   # no body goes out
                    return 0
                body = result[0] if len(result) == 1 else b"".join(result)
                self.sent = n
                if n <= SMALL_BODY:
                    self._send(self._head(n, body))
                else:
                    self._send(self._head(n, None))
                    self._send(body)
                return 0
        elif isinstance(result, FileWrapper) and self._try_sendfile(result):
            return 0
        write = self._write
        for chunk in result:
            write(chunk)
        if self.status is None:
            raise AssertionError("fasthub.wsgi: the application returned without calling "
                                 "start_response()")
        if not self.headers_sent:
            self._send(self._head(0, None))
        elif self.chunked:
            if not self.head:
                self._send(b"0\r\n\r\n")
        elif self.out_length >= 0 and self.sent != self.out_length and not self.head:
            self.close_after = True   # the app sent less than it declared: the client must see EOF
        return 0

    cdef bint _try_sendfile(self, object wrapper) except -1:
        f = wrapper.filelike
        if self.tls or self.status is None or self.headers_sent:
            return False
        try:
            in_fd = f.fileno()
            st = os.fstat(in_fd)
            offset = f.tell()
        except (AttributeError, OSError, io.UnsupportedOperation):
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        count = max(0, st.st_size - offset)
        if self.out_length >= 0:
            count = min(count, self.out_length)
        self._send(self._head(count, None))
        if self.head or self.chunked:
            return True
        out_fd = self.sock.fileno()
        timeout = self.send_timeout
        sent = 0
        while sent < count:
            try:
                n = os.sendfile(out_fd, in_fd, offset + sent, count - sent)
            except (BlockingIOError, InterruptedError):
                _wait(out_fd, FH_WRITE, None if timeout == INFINITY else fh_monotonic() + timeout)
                continue
            if n == 0:
                break   # the file shrank under us
            sent += n
        self.sent = sent
        if sent != count:
            self.close_after = True
        try:
            f.seek(offset + sent)
        except OSError:
            pass
        return True

    cdef int _send_error(self, int code, str reason) except -1:
        if self.headers_sent or self.detached:
            return 0
        body = f"{code} {STATUS_REASONS.get(code, 'Error')}: {reason}\n".encode("latin-1", "replace")
        head = (f"HTTP/1.1 {code} {STATUS_REASONS.get(code, 'Error')}\r\n"
                f"Content-Type: text/plain; charset=latin-1\r\nContent-Length: {len(body)}\r\n").encode(
                    "latin-1") + _http_date_line() + b"Connection: close\r\n\r\n"
        self.headers_sent = True
        self.close_after = True
        try:
            sendall_for(self.sock, head + body, self.error_timeout)
        except (OSError, TimeoutError):
            pass
        return 0

