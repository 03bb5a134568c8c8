"""Green ``http.client``: CPython's module on fasthub's green socket and ssl.

``HTTPConnection`` and ``HTTPSConnection`` connect, send and read parking only the calling green
thread; the exception classes are the stdlib's own. Nothing is patched globally.
"""
from fasthub.green._counterparts import install

install(__name__, "http.client", __doc__)
