"""Green ``urllib.request``: CPython's module on green ``http.client``, socket and ssl.

``urlopen`` and every opener built here park only the calling green thread; ``URLError`` and
``HTTPError`` are the stdlib's own. Nothing is patched globally.
"""
from fasthub.green._counterparts import install

install(__name__, "urllib.request", __doc__)
