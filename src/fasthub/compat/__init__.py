"""Compatibility layers that let programs written for other green-thread libraries run on fasthub.

``fasthub.compat.eventlet``: ``import eventlet`` (and its submodules) resolved to fasthub, opt-in
with ``python -m fasthub --eventlet app.py`` or ``fasthub.compat.eventlet.install()``.
"""
