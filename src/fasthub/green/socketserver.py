"""Green ``socketserver``: CPython's module on fasthub's green socket, selectors and threading.

``ThreadingMixIn`` servers handle each request in a green thread; ``serve_forever`` waits on a green
selector. Nothing is patched globally.
"""
from fasthub.green._counterparts import install

install(__name__, "socketserver", __doc__)
