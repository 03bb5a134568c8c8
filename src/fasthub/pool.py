"""``fasthub.pool``: the public path of the pools: ``GreenPool`` and ``GreenPile`` (green threads) and
``ConnectionPool`` (database and other connections).

The code lives in ``fasthub.sync.pool`` and ``fasthub.integrations.connpool``.
"""

from fasthub.integrations.connpool import ConnectionPool, PoolClosed, PoolTimeout  # noqa: F401
from fasthub.sync.pool import *  # noqa: F401,F403
from fasthub.sync.pool import GreenPile, GreenPool  # noqa: F401

__all__ = ["GreenPool", "GreenPile", "ConnectionPool", "PoolTimeout", "PoolClosed"]
