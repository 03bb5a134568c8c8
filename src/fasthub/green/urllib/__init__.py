"""Green ``urllib``: ``request`` is CPython's ``urllib.request`` on green ``http.client``, socket and
ssl; ``parse``, ``error``, ``response`` and ``robotparser`` are the stdlib's own modules (they do no
I/O of their own, and sharing them keeps ``urllib.error.URLError`` one class)."""

from fasthub.green._counterparts import package_getattr

__getattr__ = package_getattr(__name__, "urllib", ("request",))
del package_getattr
