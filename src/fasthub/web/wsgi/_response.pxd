# Writing one WSGI response: its table of contents. Bodies: _response.pyx.

from fasthub.web.wsgi._http cimport Request


cdef class Response:
    cdef readonly object sock             # a green socket, or a green SSLSocket
    cdef bint tls
    cdef bint detached                    # the application took the socket over
    cdef double send_timeout              # each wait while sending (INFINITY: no limit)
    cdef double error_timeout             # the same, for the server's own error answers
    # the request being answered
    cdef Request req
    cdef object status                    # str, or None before start_response()
    cdef int code                         # its status code
    cdef list out_headers                 # the headers _head writes: name, value, name, value...
    cdef bint has_date                    # ... one of them is Date
    cdef Py_ssize_t out_length            # -1: no length known
    cdef Py_ssize_t sent
    cdef bint headers_sent
    cdef bint chunked
    cdef bint close_after
    cdef bint continue_sent
    cdef list continue_headers            # extra headers of '100 Continue' (None: none)
    cdef bint head

    cdef bint _stopping(self) except -1
    cdef bytes _keep_alive_lines(self)
    cdef int _send_continue(self, Request req, bint again) except -1
    cdef int _set_continue_headers(self, object headers, bint capitalize) except -1
    cdef bytes _head(self, Py_ssize_t body_length, object body)
    cdef int _send(self, object data) except -1
    cdef int _send_body(self, bytes prefix, object data) except -1
    cdef int _write_result(self, object result) except -1
    cdef bint _try_sendfile(self, object wrapper) except -1
    cdef int _send_error(self, int code, str reason) except -1
