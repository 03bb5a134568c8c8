# The WSGI server's request parsing (llhttp through httptools): its table of contents. Bodies: _http.pyx.

cdef class Request:
    cdef public bytes method
    cdef public bytes url
    cdef public list headers          # flat: [name0, value0, name1, value1, ...] (bytes)
    cdef public str version           # "1.1" or "1.0"
    cdef public bint keep_alive
    cdef public bint upgrade
    cdef bint connection_header       # a Connection header was sent
    cdef public bint complete         # the whole body was parsed
    cdef public bint headers_done
    cdef public bint chunked
    cdef public bint expect           # 100-continue asked for, with a body announced
    cdef public object body           # deque of body chunks not yet read, or None before the first
    cdef public Py_ssize_t hcount
    cdef public Py_ssize_t hbytes
    cdef public Py_ssize_t body_read      # body bytes handed to the application
    cdef public Py_ssize_t received       # body bytes parsed (decoded, for chunked bodies)
    cdef public Py_ssize_t content_length   # -1: no Content-Length header
    cdef public object error          # ParseError once this request's body is broken


cdef class RequestParser:
    cdef object parser                # httptools.HttpRequestParser, calling back the on_* methods
    cdef public Request cur           # the request being parsed, None between requests
    cdef Request first                # the oldest request whose header block is complete ...
    cdef list later                   # ... and those pipelined behind it (None while there are none)
    cdef readonly Py_ssize_t nready   # how many are queued (see pop())
    cdef public object error          # ParseError once the stream cannot be parsed any further
    cdef public bint upgraded         # an Upgrade/CONNECT request ended HTTP parsing
    cdef bint closing                 # a request without keep-alive ended: llhttp takes no more
    cdef public bytes leftover        # bytes after an upgrade request (the new protocol's first bytes)
    cdef Py_ssize_t max_url
    cdef Py_ssize_t max_headers
    cdef Py_ssize_t max_header_bytes
    cdef Py_ssize_t pending           # bytes fed since the current header block began
    cdef str first_version            # the version of the first request in the data being fed, if
                                      # read from its request line ("1.1"/"1.0"), else None
    cdef bint first_get               # ... and its method is GET

    cdef int feed(self, object data) except -1
    cdef int _read_request_line(self, bytes data) except -1
    cdef Request pop(self)
    cdef list _queued(self)
    cdef bint reusable(self)
    cdef int _fail(self, object err) except -1
