"""``eventlet.corolocal``: ``local`` (attributes private to each green thread) and ``get_ident``."""

import greenlet as _greenlet

from fasthub.green._thread import _local as local

__all__ = ["get_ident", "local"]


def get_ident():
    """An id of the running greenlet, unique among living ones."""
    return id(_greenlet.getcurrent())
