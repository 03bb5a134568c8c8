"""Servers on green threads: ``server`` (StreamServer), ``convenience`` (listen, connect, serve,
wrap_ssl), ``wsgi/`` (the HTTP/1.1 WSGI server, public path ``fasthub.wsgi``) and ``websocket/``
(public path ``fasthub.websocket``).
"""
