"""``eventlet.green.socket``: fasthub's green socket module, whose ``socket`` class is
``eventlet.greenio.GreenSocket`` (fasthub's green socket plus eventlet's ``fd`` attribute and
``GreenSocket(existing_socket)``)."""

from fasthub.green import socket as _fasthub_socket

globals().update({k: v for k, v in vars(_fasthub_socket).items()
                  if not (k.startswith("__") and k.endswith("__"))})

from fasthub.compat.eventlet.greenio import GreenSocket  # noqa: E402

socket = SocketType = GreenSocket
