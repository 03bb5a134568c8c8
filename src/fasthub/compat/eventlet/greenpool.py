"""``eventlet.greenpool``: GreenPool and GreenPile are fasthub's (same interface: spawn, spawn_n,
waitall, imap, starmap, resize, running, free, waiting; GreenPile.spawn and iteration)."""

from fasthub.pool import GreenPile, GreenPool

__all__ = ["GreenPool", "GreenPile"]


class GreenMap(GreenPile):
    """eventlet's internal GreenMap: a GreenPile fed by imap()."""
