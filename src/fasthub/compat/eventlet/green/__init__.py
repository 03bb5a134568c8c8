"""``eventlet.green``: the green stdlib modules are fasthub's own (``eventlet.green.socket`` is
``fasthub.green.socket``; see ``fasthub.compat.eventlet._finder.REDIRECTS`` for the full list)."""
