"""``eventlet.hubs.epolls``: eventlet's epoll-based hub module. fasthub runs its own compiled hub
whatever is chosen; ``is_available()`` says whether this OS has epoll, and ``Hub`` is the
alias' hub interface class."""

import select as _select

from fasthub.compat.eventlet.hubs.hub import Hub  # noqa: F401


def is_available():
    """True if the select module offers epoll here."""
    return hasattr(_select, "epoll")
