"""``fasthub.wsgi``: the public path of the WSGI server, and ``python -m fasthub.wsgi module:app``.

The code lives in ``fasthub.web.wsgi`` (the server), ``fasthub.web.wsgi._conn`` (compiled: one
connection's request path), ``fasthub.web.wsgi._http`` (compiled: the parser glue) and
``fasthub.web.wsgi.cli`` (the command line).
"""

import sys

from fasthub.web.wsgi import *  # noqa: F401,F403
from fasthub.web.wsgi import (  # noqa: F401
    ALREADY_HANDLED, DEFAULT_LOG_FORMAT, DEFAULT_MAX_SIMULTANEOUS_REQUESTS, MAX_HEADER_LINE, MAX_HEADERS,
    MAX_REQUEST_LINE, MAX_TOTAL_HEADER_SIZE, BadRequestBody, ClientDisconnected, FileWrapper, Input,
    WSGIServer, __all__, server,
)

if __name__ == "__main__":
    from fasthub.web.wsgi.cli import main
    sys.exit(main())
