"""``eventlet.convenience``: listen, connect, serve, StopServe and wrap_ssl are fasthub's."""

from fasthub.web.convenience import StopServe, connect, listen, serve, wrap_ssl

__all__ = ["connect", "listen", "serve", "StopServe", "wrap_ssl", "ReuseRandomPortWarning",
           "ReusePortUnavailableWarning"]


class ReuseRandomPortWarning(Warning):
    """eventlet warns when SO_REUSEPORT is asked for port 0; kept for code that filters it."""


class ReusePortUnavailableWarning(Warning):
    """eventlet warns when the OS lacks SO_REUSEPORT; kept for code that filters it."""
