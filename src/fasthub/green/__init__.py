"""Cooperative drop-in replacements for stdlib modules.

``fasthub.green.socket``, ``ssl``, ``select``, ``selectors`` and ``time`` have the stdlib module's
names and behaviour, but a call that would block the OS thread parks only the calling green thread.
Import them directly (``from fasthub.green import socket``) or let ``fasthub.monkey_patch()`` put them
in place of the stdlib ones. ``fasthub.green.dns`` is the name resolver they use.
"""
