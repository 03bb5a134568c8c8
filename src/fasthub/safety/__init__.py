"""Cooperative safety: ``monitor`` (reports a green thread that holds the hub too long; public path
``fasthub.monitor``), ``debug`` (warnings for blocking calls; ``fasthub.debug``) and ``doctor``
(``python -m fasthub doctor``, a patch audit).
"""
