"""Green ``http``: the stdlib package, with green ``client``, ``server`` and ``cookiejar``.

``HTTPStatus``, ``HTTPMethod`` and ``cookies`` are the stdlib's own objects. The submodules
``fasthub.green.http.client``, ``.server`` and ``.cookiejar`` are CPython's modules executed once
more on fasthub's green socket, ssl, threading and time (see ``fasthub.green._counterparts``), so a
request or a served connection parks only the calling green thread.
"""

from fasthub.green._counterparts import package_getattr

__getattr__ = package_getattr(__name__, "http", ("client", "server", "cookiejar"))
del package_getattr
