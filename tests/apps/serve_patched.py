"""eventlet's in-process style on fasthub: ``python serve_patched.py module:app``.

Patches the standard library first, then imports the application (so it only ever sees green
sockets and locks), listens on a free port of 127.0.0.1, prints the port, and serves with
``fasthub.wsgi.server`` until SIGTERM.
"""

import importlib
import signal
import sys

import fasthub

fasthub.monkey_patch()

from fasthub import wsgi   # noqa: E402  (after monkey_patch, on purpose)


def main():
    module, _, name = sys.argv[1].partition(":")
    app = getattr(importlib.import_module(module), name or "application")
    sock = fasthub.listen(("127.0.0.1", 0))
    # SIGTERM ends the process at once; the test only sends it when the module is done.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    print(f"serve_patched: listening on 127.0.0.1:{sock.getsockname()[1]}", flush=True)
    wsgi.server(sock, app, log_output=False)


if __name__ == "__main__":
    main()
