"""``eventlet.green``: the green stdlib modules are fasthub's own (``eventlet.green.socket`` is
``fasthub.green.socket``; see ``fasthub.compat.eventlet._finder.REDIRECTS`` for the full list)."""

from fasthub.compat.eventlet._finder import submodule_getattr

__getattr__ = submodule_getattr("eventlet.green")
del submodule_getattr
