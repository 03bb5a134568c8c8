"""``eventlet.support.greenlets``: greenlet's names (greenlet, getcurrent, GreenletExit)."""

from greenlet import GreenletExit, error, getcurrent, greenlet  # noqa: F401

__all__ = ["greenlet", "getcurrent", "GreenletExit", "error"]
