"""Green ``http.server``: CPython's module on fasthub's green socket, socketserver and threading.

``ThreadingHTTPServer`` serves each connection in a green thread; ``HTTPServer.serve_forever`` waits
on a green selector. Nothing is patched globally.
"""
from fasthub.green._counterparts import install

install(__name__, "http.server", __doc__)
