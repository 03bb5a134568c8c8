"""``eventlet.hubs.selects``: eventlet's select-based hub module. fasthub runs its own compiled hub
whatever is chosen; ``is_available()`` says whether this OS has select, and ``Hub`` is the
alias' hub interface class."""

import select as _select

from fasthub.compat.eventlet.hubs.hub import Hub  # noqa: F401


def is_available():
    """True if the select module offers select here."""
    return hasattr(_select, "select")
