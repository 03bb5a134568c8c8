# The WSGI server's compiled request path: its table of contents. Bodies: _conn.pyx.

from fasthub.core._hub cimport Hub, Listener
from fasthub.core._timers cimport Timer
from fasthub.web.wsgi._http cimport Request, RequestParser
from fasthub.web.wsgi._response cimport Response


cdef class Protocol:
    cdef readonly object server           # the WSGIServer
    cdef object application
    cdef dict base_environ
    cdef double header_timeout            # seconds (INFINITY: no limit)
    cdef double keepalive_timeout
    cdef double socket_timeout
    cdef double error_timeout             # a 4xx/5xx answer to a broken request gets this long
    cdef Py_ssize_t max_requests
    cdef bint require_host                # HTTP/1.1 without Host is 400
    cdef Py_ssize_t max_body
    cdef Py_ssize_t max_url
    cdef Py_ssize_t max_headers
    cdef Py_ssize_t max_header_bytes
    cdef Hub hub                          # the OS thread's hub, where the connections run
    cdef object log                       # access log writer, or None
    cdef object socket_environ_key
    cdef bint park                        # idle keep-alive connections wait on a reader callback
    cdef bytes keep_alive_lines           # Connection: keep-alive (and Keep-Alive: timeout=N) CRLF
    cdef double sweep_interval
    cdef Timer sweeper                    # while connections are parked: the keep-alive sweep
    cdef dict conns                       # the server's running handlers (green thread -> socket)
    cdef object slots                     # the server's pool of connection slots (when parking)
    cdef public bint stopping
    cdef list parsers                     # parsers between requests, for the next connection
    cdef set live                         # open connections (running or parked)
    cdef readonly Py_ssize_t parked

    cpdef bint serve(self, sock, addr) except -1
    cdef Connection _connection(self, sock, addr, me=*)
    cdef RequestParser take_parser(self)
    cdef int give_parser(self, RequestParser parser) except -1


cdef class Connection(Response):
    cdef Protocol proto
    cdef str remote_addr
    cdef str remote_port
    cdef RequestParser parser             # None while parked or after a take-over
    cdef bytes leftover                   # an upgraded protocol's first bytes, once the parser is gone
    cdef bint eof
    cdef bint may_park                    # accepted by the server: may park between requests
    cdef bint is_parked
    cdef bint woken                       # resumed because the socket is readable: read, don't wait
    cdef readonly bint idle               # waiting for the next request
    cdef Py_ssize_t requests
    cdef Listener listener                # while parked: the hub's reader callback
    cdef double parked_at                 # and since when (monotonic)
    cdef double t0                        # when the request began (for the access log)

    cdef bint _serve(self) except -1
    cdef int _closing(self) except -1
    cdef Request _next_request(self)
    cdef bint _wait_idle(self) except -1
    cdef int _park(self) except -1
    cdef int _unpark(self) except -1
    cdef int _close_parked(self) except -1
    cdef int _release_parser(self) except -1
    cdef int _header_timeout(self) except -1
    cdef int _read_body(self, Request req) except -1
    cdef bint _handle(self, Request req) except -1
    cdef bint _respond(self, dict env, Request req, object result, double t0) except -1
    cdef dict _begin(self, Request req)
    cdef int _close_result(self, object result) except -1
    cdef bint _end(self, dict env, Request req, double t0, object status_code) except -1
    cdef bint _app_failed(self, dict env, Request req, object e, double t0) except -1
    cdef dict _environ(self, Request req)
    cdef bint _drain(self, Request req) except -1
    cdef object _detach(self)
    cdef bytes _take_leftover(self)


cdef class Input:
    cdef Connection _conn
    cdef Request _req
    cdef bytes _buf
    cdef Py_ssize_t _pos
    cdef bint _done

    cdef bytes _chunk(self)
