"""Green ``http.cookiejar``: CPython's module with a green ``RLock`` and green ``urllib.request``
(a ``CookieJar`` shared by green threads never blocks the OS thread)."""
from fasthub.green._counterparts import install

install(__name__, "http.cookiejar", __doc__)
